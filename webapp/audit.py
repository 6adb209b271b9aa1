"""Writes audit events. Callers commit them with the change they describe, in one transaction;
events about refusals and failed sign-ins are committed on their own, since nothing else is."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from webapp.extensions import db
from webapp.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current session (the caller's transaction commits it)."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_role=actor.role.value if actor is not None else None,
        subject_type=subject_type,
        subject_id=subject_id,
        patient_id=patient_id,
        detail=detail or {},
    )
    if has_request_context():
        event.ip_address = (request.remote_addr or "")[:45] or None
        event.user_agent = (request.user_agent.string or "")[:255] or None
    db.session.add(event)
    return event


def record_now(action: str, **kwargs: Any) -> AuditEvent:
    """Record and commit at once: for events that stand alone (refusals, failed sign-ins)."""
    with db.transaction():
        return record(action, **kwargs)


def record_patient_record_view(viewer: User, patient_id: int, what: str) -> None:
    """Every view of a patient's clinical record is audited (who, which record, what part)."""
    record_now(
        "patient_record.viewed",
        actor=viewer,
        subject_type="patient",
        subject_id=patient_id,
        patient_id=patient_id,
        detail={"what": what},
    )
