"""Appointments: one booked 60-minute slot (50 minutes of session, 10 for the record).

A therapist and a patient can each hold only one live booking at a start time: partial unique
indexes enforce it in the database (SQLite and PostgreSQL alike), whatever the Python checks
missed under concurrent requests.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, enum_values, utcnow
from webapp.models.people import User


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"  # live: holds the slot
    CANCELLED = "cancelled"  # by the patient or the provider; see cancelled_by and the code
    RESCHEDULED = "rescheduled"  # moved to another appointment (rescheduled_to)
    CLOSED = "closed"  # the time has passed and the outcome is recorded


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index(
            "uq_appointments_therapist_live_slot",
            "therapist_id",
            "starts_at",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index(
            "uq_appointments_patient_live_slot",
            "patient_id",
            "starts_at",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        Index("ix_appointments_therapist_starts", "therapist_id", "starts_at"),
        Index("ix_appointments_patient_starts", "patient_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())  # end of the 50-minute session
    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(
            AppointmentStatus,
            name="appointment_status",
            values_callable=enum_values,
            native_enum=False,
            length=20,
        ),
        default=AppointmentStatus.BOOKED,
    )
    # National attendance code (DOMAIN.md section 5): "0" until the outcome is known.
    attendance_code: Mapped[str] = mapped_column(String(2), default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
