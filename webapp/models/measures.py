"""Questionnaire answers (item by item, with the instrument's version and when they were given),
risk flags a clinician must acknowledge, and patient experience answers kept apart.

Totals, bands and flags are derived by `questionnaires.score` when a form is completed; nobody
types them in (DOMAIN.md section 3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, utcnow
from webapp.models.booking import Appointment
from webapp.models.people import User


class QuestionnaireResponse(Base):
    """One instrument's answers for one appointment (or, for PHQ-9/GAD-7 at referral, none)."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        UniqueConstraint("appointment_id", "instrument"),
        Index(
            "ix_questionnaire_responses_patient_instrument",
            "patient_id",
            "instrument",
            "completed_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    instrument: Mapped[str] = mapped_column(String(30))
    instrument_version: Mapped[str] = mapped_column(String(10))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    total: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str | None] = mapped_column(String(40))
    caseness: Mapped[bool | None] = mapped_column(Boolean)
    risk_flags: Mapped[list[str]] = mapped_column(JSON, default=list)

    appointment: Mapped[Appointment | None] = relationship()


class RiskFlag(Base):
    """A risk signal from the pre-session answers that the therapist must see before the session.
    An answer changed for the worse after a clinician acknowledged the flag raises another, at
    its new `level` (the answer or total that raised it; None on flags from before levels)."""

    __tablename__ = "risk_flags"
    __table_args__ = (UniqueConstraint("appointment_id", "code", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_responses.id"))
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    level: Mapped[int | None] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)

    appointment: Mapped[Appointment] = relationship()
    # The answers that raised it: on another appointment if the session was moved since.
    response: Mapped[QuestionnaireResponse] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])


class ExperienceResponse(Base):
    """Patient experience questionnaire (PEQ) answers, kept apart from the clinical record:
    they are reported only in aggregate and never shown to a therapist with a name."""

    __tablename__ = "experience_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who was asked, so the same person is not asked twice; never joined into clinical views.
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    instrument: Mapped[str] = mapped_column(String(30))
    instrument_version: Mapped[str] = mapped_column(String(10))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
