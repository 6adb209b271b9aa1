"""The session allowance ledger, each session's charge decision and technical-failure reports.

The ledger is append-only: every change to a patient's allowance is a new row with its reason, so
the balance is always the sum of the rows and the commissioner's statement can be reconciled
with it (DOMAIN.md section 2, "Charging"). The charge itself falls on the commissioner, never the
patient.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, enum_values, utcnow
from webapp.models.booking import Appointment
from webapp.models.people import User


class MovementKind(enum.StrEnum):
    GRANT = "grant"  # +N: a referral's funding, or more granted by the clinical lead
    DRAW = "draw"  # -1: a booking uses one funded session
    RETURN = "return"  # +1: a session that is not charged gives its funding back
    RETURN_REVERSED = "return_reversed"  # -1: an outcome changed to a charged one
    MOVE = "move"  # 0: a moved booking keeps the funding it drew (no second draw)


class AllowanceMovement(Base):
    __tablename__ = "allowance_movements"
    __table_args__ = (
        Index("ix_allowance_movements_patient", "patient_id", "occurred_at"),
        Index("ix_allowance_movements_occurred", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    kind: Mapped[MovementKind] = mapped_column(
        Enum(
            MovementKind,
            name="movement_kind",
            values_callable=enum_values,
            native_enum=False,
            length=20,
        )
    )
    sessions: Mapped[int] = mapped_column(Integer)  # signed: the change to the balance
    # Why: "referral", "granted", "booked", "rescheduled", or a webapp.charging reason code.
    reason_code: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class FailureFault(enum.StrEnum):
    PATIENT = "patient"  # the patient's device or connection
    PROVIDER = "provider"  # the therapist's side or the service
    UNKNOWN = "unknown"


class FailureAffected(enum.StrEnum):
    PATIENT = "patient"
    THERAPIST = "therapist"
    BOTH = "both"


class FailureStatus(enum.StrEnum):
    OPEN = "open"  # reported; waiting for the therapist's record of who was at fault
    DISPUTED = "disputed"  # the patient and the therapist disagree: the clinical lead decides
    SETTLED = "settled"  # an outcome has been recorded


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, values_callable=enum_values, native_enum=False, length=20)


class TechnicalFailure(Base):
    """One per appointment: who each party says was at fault, and how it was settled."""

    __tablename__ = "technical_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    status: Mapped[FailureStatus] = mapped_column(_enum(FailureStatus, "failure_status"))
    patient_says: Mapped[FailureFault | None] = mapped_column(_enum(FailureFault, "failure_fault"))
    therapist_says: Mapped[FailureFault | None] = mapped_column(
        _enum(FailureFault, "failure_fault")
    )
    # The server's own records: the therapist never joined, or the service was down.
    server_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_fault: Mapped[FailureFault | None] = mapped_column(_enum(FailureFault, "failure_fault"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    appointment: Mapped[Appointment] = relationship()
    reports: Mapped[list[FailureReport]] = relationship(
        back_populates="failure", order_by="FailureReport.id"
    )


class FailureReport(Base):
    """What one person said happened."""

    __tablename__ = "failure_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    failure_id: Mapped[int] = mapped_column(ForeignKey("technical_failures.id"), index=True)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_by_role: Mapped[str] = mapped_column(String(30))
    what_happened: Mapped[str] = mapped_column(Text)
    affected: Mapped[FailureAffected] = mapped_column(_enum(FailureAffected, "failure_affected"))
    fault: Mapped[FailureFault] = mapped_column(_enum(FailureFault, "failure_fault"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    failure: Mapped[TechnicalFailure] = relationship(back_populates="reports")
