"""Read-only questions for commissioners: aggregates and statements, never identifiable records.
A commissioner may read every statement; nothing here returns a name, an email or notes."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func, select

from webapp.extensions import db
from webapp.models import (
    AllowanceMovement,
    Appointment,
    GroupOccurrence,
    MovementKind,
    OccurrenceStatus,
)
from webapp.reports.statement import ReasonTotal, SessionLine, Statement, month_bounds


def statement(commissioner_id: int, year: int, month: int) -> Statement:
    """The month's sessions with their charge decisions, totals by reason (SQL aggregates) and
    the ledger's funded, used and returned sessions. Raises ValueError for an impossible month."""
    start, end = month_bounds(year, month)
    in_month = (
        Appointment.starts_at >= start,
        Appointment.starts_at < end,
        Appointment.charged.is_not(None),
    )
    lines = db.session.execute(
        select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.outcome,
            Appointment.charged,
            Appointment.charge_reason,
        )
        .where(*in_month)
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    totals = db.session.execute(
        select(Appointment.charge_reason, Appointment.charged, func.count(Appointment.id))
        .where(*in_month)
        .group_by(Appointment.charge_reason, Appointment.charged)
        .order_by(Appointment.charged.desc(), Appointment.charge_reason)
    ).all()

    def kind_sum(*kinds: MovementKind) -> ColumnElement[int]:
        return func.coalesce(
            func.sum(
                case((AllowanceMovement.kind.in_(kinds), AllowanceMovement.sessions), else_=0)
            ),
            0,
        )

    funded, drawn, returned = db.session.execute(
        select(
            kind_sum(MovementKind.GRANT),
            kind_sum(MovementKind.DRAW),
            kind_sum(MovementKind.RETURN, MovementKind.RETURN_REVERSED),
        ).where(AllowanceMovement.occurred_at >= start, AllowanceMovement.occurred_at < end)
    ).one()
    group_sessions, group_pence = db.session.execute(
        select(func.count(), func.coalesce(func.sum(GroupOccurrence.charge_pence), 0)).where(
            GroupOccurrence.starts_at >= start,
            GroupOccurrence.starts_at < end,
            GroupOccurrence.status == OccurrenceStatus.DELIVERED,
        )
    ).one()
    return Statement(
        year=year,
        month=month,
        group_sessions=int(group_sessions),
        group_pence=int(group_pence),
        sessions=tuple(
            SessionLine(
                appointment_id=row.id,
                starts_at=row.starts_at,
                outcome=row.outcome or "",
                charged=bool(row.charged),
                reason_code=row.charge_reason or "",
            )
            for row in lines
        ),
        by_reason=tuple(
            ReasonTotal(reason_code=reason or "", charged=bool(charged), sessions=int(count))
            for reason, charged, count in totals
        ),
        funded=int(funded),
        used=-int(drawn),
        returned=int(returned),
    )
