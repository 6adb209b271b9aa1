"""Read-only queries for administrators: accounts and the audit log, never clinical data."""

from __future__ import annotations

from flask import abort
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditEvent, Role, User

PAGE_SIZE = 50


def accounts(role: Role | None = None) -> list[User]:
    query = select(User).order_by(User.role, User.full_name)
    if role is not None:
        query = query.where(User.role == role)
    return list(db.session.scalars(query))


def account(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def audit_page(page: int, action: str | None = None) -> tuple[list[AuditEvent], int]:
    """One page of audit events, newest first, and the number of pages."""
    query = select(AuditEvent)
    count = select(func.count(AuditEvent.id))
    if action:
        query = query.where(AuditEvent.action.startswith(action))
        count = count.where(AuditEvent.action.startswith(action))
    total = db.session.scalar(count) or 0
    events = db.session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return list(events), max(1, -(-total // PAGE_SIZE))


def names_by_id(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {row.id: row.full_name for row in rows}
