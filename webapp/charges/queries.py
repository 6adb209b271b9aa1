"""Read-only questions about allowances, outcomes and failures. The actor's id comes first and
the docstring says whose rows each may return."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import abort, current_app
from sqlalchemy import Select, and_, func, or_, select

from webapp.extensions import db
from webapp.models import (
    AllowanceMovement,
    Appointment,
    AppointmentStatus,
    FailureStatus,
    Role,
    TechnicalFailure,
    User,
)


def sessions_left(patient_id: int) -> int:
    """The patient's unused funded sessions: the sum of their ledger (bookings already drew)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(AllowanceMovement.sessions), 0)).where(
            AllowanceMovement.patient_id == patient_id
        )
    )
    return int(total or 0)


def movements_for_lead(lead_id: int, patient_id: int) -> list[AllowanceMovement]:
    """Every ledger movement of one patient, oldest first; the clinical lead sees all patients."""
    return list(
        db.session.scalars(
            select(AllowanceMovement)
            .where(AllowanceMovement.patient_id == patient_id)
            .order_by(AllowanceMovement.occurred_at, AllowanceMovement.id)
        )
    )


def patient_for_lead(lead_id: int, patient_id: int) -> User:
    """A patient, for the clinical lead; 404 for anyone who is not a patient."""
    patient = db.session.get(User, patient_id)
    if patient is None or patient.role is not Role.PATIENT:
        abort(404)
    return patient


def _awaiting_outcome(now: datetime) -> Select[tuple[Appointment]]:
    return (
        select(Appointment)
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at <= now,
            Appointment.outcome.is_(None),
        )
        .order_by(Appointment.starts_at)
    )


def awaiting_outcome_for_therapist(therapist_id: int, *, now: datetime) -> list[Appointment]:
    """The therapist's own sessions that have started and have no outcome yet."""
    query = _awaiting_outcome(now).where(Appointment.therapist_id == therapist_id)
    return list(db.session.scalars(query))


def awaiting_outcome_for_lead(lead_id: int, *, now: datetime) -> list[Appointment]:
    """Every started session without an outcome; the clinical lead oversees them all."""
    return list(db.session.scalars(_awaiting_outcome(now)))


def past_for_therapist(therapist_id: int, appointment_id: int, *, now: datetime) -> Appointment:
    """One of the therapist's own started appointments; 404 for anyone else's or a future one."""
    appointment = db.session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id,
            Appointment.therapist_id == therapist_id,
            Appointment.starts_at <= now,
        )
    )
    if appointment is None:
        abort(404)
    return appointment


def past_for_lead(lead_id: int, appointment_id: int, *, now: datetime) -> Appointment:
    """Any started appointment, for the clinical lead; 404 for a future one."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.starts_at > now:
        abort(404)
    return appointment


def past_for_patient(patient_id: int, appointment_id: int, *, now: datetime) -> Appointment:
    """One of the patient's own started, live appointments; 404 for anyone else's."""
    appointment = db.session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id,
            Appointment.patient_id == patient_id,
            Appointment.starts_at <= now,
            Appointment.status.in_([AppointmentStatus.BOOKED, AppointmentStatus.CLOSED]),
        )
    )
    if appointment is None:
        abort(404)
    return appointment


def _waited_too_long(now: datetime) -> Any:
    """An open report that has waited longer than allowed for the other side's account."""
    waited = timedelta(days=current_app.config["FAILURE_REPORT_WAIT_DAYS"])
    return and_(
        TechnicalFailure.status == FailureStatus.OPEN,
        TechnicalFailure.created_at <= now - waited,
    )


def disputes_for_lead(lead_id: int) -> list[TechnicalFailure]:
    """Technical failures whose patient and therapist disagree about who was at fault."""
    return list(
        db.session.scalars(
            select(TechnicalFailure)
            .where(TechnicalFailure.status == FailureStatus.DISPUTED)
            .order_by(TechnicalFailure.created_at)
        )
    )


def overdue_reports_for_lead(lead_id: int, *, now: datetime) -> list[TechnicalFailure]:
    """Problems one side reported that are still waiting for the other's account."""
    return list(
        db.session.scalars(
            select(TechnicalFailure)
            .where(_waited_too_long(now))
            .order_by(TechnicalFailure.created_at)
        )
    )


def dispute_for_lead(lead_id: int, failure_id: int, *, now: datetime) -> TechnicalFailure:
    """One failure for the clinical lead to decide: disputed, or waited too long for the other
    side; 404 otherwise (already settled, still within its wait, or no such failure)."""
    failure = db.session.scalar(
        select(TechnicalFailure).where(
            TechnicalFailure.id == failure_id,
            or_(TechnicalFailure.status == FailureStatus.DISPUTED, _waited_too_long(now)),
        )
    )
    if failure is None:
        abort(404)
    return failure
