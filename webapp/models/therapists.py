"""What the provider keeps about each therapist beyond their public profile: credentials with
expiry dates, weekly availability and its exceptions, and a profile photo.

Availability is stored as the therapist states it: weekly hours on the Europe/London wall clock
(so the clock changes never move a 09:00 slot) and exceptions as real moments in UTC.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, enum_values, utcnow
from webapp.models.people import User


class CredentialKind(enum.StrEnum):
    """The records the provider keeps for each therapist (DOMAIN.md section 2, "Therapists")."""

    DBS = "dbs"
    REGISTRATION = "registration"
    INSURANCE = "insurance"
    APPRAISAL = "appraisal"

    @property
    def label(self) -> str:
        return {
            CredentialKind.DBS: "Criminal records (DBS) check",
            CredentialKind.REGISTRATION: "Professional registration",
            CredentialKind.INSURANCE: "Professional liability insurance",
            CredentialKind.APPRAISAL: "Annual appraisal",
        }[self]


class Credential(Base):
    """The current record of one kind for one therapist; renewing it replaces the dates."""

    __tablename__ = "therapist_credentials"
    __table_args__ = (UniqueConstraint("therapist_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[CredentialKind] = mapped_column(
        Enum(
            CredentialKind,
            name="credential_kind",
            values_callable=enum_values,
            native_enum=False,
            length=20,
        )
    )
    # The registering body (e.g. "BABCP", "HCPC") for a registration; the insurer for insurance.
    body: Mapped[str] = mapped_column(String(120), default="")
    # Registration number, DBS certificate number or policy number.
    reference: Mapped[str] = mapped_column(String(80), default="")
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])


class WeeklyHours(Base):
    """A weekly block of availability on the Europe/London wall clock (weekday 0 is Monday)."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)


class ExceptionKind(enum.StrEnum):
    LEAVE = "leave"  # no slots in this period
    EXTRA = "extra"  # one-off hours on top of the weekly ones


class AvailabilityException(Base):
    """Leave or one-off extra hours, between two real moments (UTC)."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (
        Index("ix_availability_exceptions_therapist_starts", "therapist_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ExceptionKind] = mapped_column(
        Enum(
            ExceptionKind,
            name="availability_exception_kind",
            values_callable=enum_values,
            native_enum=False,
            length=10,
        )
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TherapistPhoto(Base):
    """A therapist's profile photo, re-encoded by the server (JPEG, no metadata) before storing."""

    __tablename__ = "therapist_photos"

    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(30))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
