"""Read-only questionnaire queries. Patients see their own answers; a therapist sees only the
answers given for their own appointments. Another person's appointment is a 404."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

import questionnaires
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    ExperienceResponse,
    QuestionnaireResponse,
    RiskFlag,
)


def responses_for_appointment(appointment_id: int) -> dict[str, QuestionnaireResponse]:
    rows = db.session.scalars(
        select(QuestionnaireResponse).where(QuestionnaireResponse.appointment_id == appointment_id)
    )
    return {row.instrument: row for row in rows}


def is_pre_session_set_complete(appointment_id: int) -> bool:
    """Has the patient completed every pre-session questionnaire for this appointment?
    The session room asks this before letting the patient in."""
    completed = db.session.scalars(
        select(QuestionnaireResponse.instrument).where(
            QuestionnaireResponse.appointment_id == appointment_id,
            QuestionnaireResponse.completed_at.is_not(None),
        )
    )
    return set(questionnaires.PRE_SESSION_SET) <= set(completed)


def unacknowledged_risk_flags(appointment_id: int) -> list[RiskFlag]:
    """Risk flags the therapist has not yet acknowledged; the session cannot start until none."""
    return list(
        db.session.scalars(
            select(RiskFlag)
            .where(RiskFlag.appointment_id == appointment_id, RiskFlag.acknowledged_at.is_(None))
            .order_by(RiskFlag.raised_at)
        )
    )


def open_risk_flags(therapist_id: int | None) -> list[RiskFlag]:
    """Risk flags nobody has acknowledged, oldest first, whatever became of their session
    (a cancelled or missed session's flag still needs reading): a therapist's own patients',
    or with None the whole service's, for the clinical lead."""
    query = (
        select(RiskFlag)
        .join(Appointment, Appointment.id == RiskFlag.appointment_id)
        .where(RiskFlag.acknowledged_at.is_(None))
        .options(joinedload(RiskFlag.appointment))
        .order_by(RiskFlag.raised_at, RiskFlag.id)
    )
    if therapist_id is not None:
        query = query.where(Appointment.therapist_id == therapist_id)
    return list(db.session.scalars(query))


def risk_flags_for_appointment(appointment_id: int) -> list[RiskFlag]:
    return list(
        db.session.scalars(
            select(RiskFlag)
            .where(RiskFlag.appointment_id == appointment_id)
            .order_by(RiskFlag.raised_at)
        )
    )


def upcoming_for_patient(patient_id: int, now: datetime) -> list[Appointment]:
    """The patient's live appointments that have not yet ended, soonest first."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.ends_at > now,
            )
            .order_by(Appointment.starts_at)
        )
    )


def previous_totals(patient_id: int, before: datetime) -> dict[str, int]:
    """The patient's latest completed PHQ-9 and GAD-7 totals before a moment (the last set)."""
    totals: dict[str, int] = {}
    for code in ("phq9", "gad7"):
        total = db.session.scalar(
            select(QuestionnaireResponse.total)
            .where(
                QuestionnaireResponse.patient_id == patient_id,
                QuestionnaireResponse.instrument == code,
                QuestionnaireResponse.completed_at.is_not(None),
                QuestionnaireResponse.completed_at < before,
            )
            .order_by(QuestionnaireResponse.completed_at.desc())
            .limit(1)
        )
        if total is not None:
            totals[code] = total
    return totals


def score_history(patient_id: int, code: str) -> list[QuestionnaireResponse]:
    """A patient's completed totals for one measure, oldest first."""
    return list(
        db.session.scalars(
            select(QuestionnaireResponse)
            .where(
                QuestionnaireResponse.patient_id == patient_id,
                QuestionnaireResponse.instrument == code,
                QuestionnaireResponse.completed_at.is_not(None),
                QuestionnaireResponse.total.is_not(None),
            )
            .order_by(QuestionnaireResponse.completed_at)
        )
    )


def pending_experience(patient_id: int) -> list[ExperienceResponse]:
    """Experience questionnaires offered to this patient and not yet answered."""
    return list(
        db.session.scalars(
            select(ExperienceResponse)
            .where(
                ExperienceResponse.patient_id == patient_id,
                ExperienceResponse.completed_at.is_(None),
            )
            .order_by(ExperienceResponse.offered_at)
        )
    )


def experience_for_patient(patient_id: int, response_id: int) -> ExperienceResponse:
    offer = db.session.scalar(
        select(ExperienceResponse).where(
            ExperienceResponse.id == response_id, ExperienceResponse.patient_id == patient_id
        )
    )
    if offer is None:
        abort(404)
    return offer
