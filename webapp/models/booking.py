"""Appointments: one booked 60-minute slot (50 minutes of session, 10 for the record), and the
notifications sent about them.

A therapist and a patient can each hold only one live booking at a start time: partial unique
indexes enforce it in the database (SQLite and PostgreSQL alike), whatever the Python checks
missed under concurrent requests. Overlapping (not identical) starts are refused by the booking
service inside a transaction that first locks the therapist's and the patient's rows.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
        # The commissioner reports: a month's appointments, and an episode's in order.
        Index("ix_appointments_starts", "starts_at"),
        Index("ix_appointments_episode_starts", "episode_id", "starts_at"),
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
    # How the session resolved: a webapp.charging.Outcome value, None while it is still booked.
    outcome: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The canceller's role when they cancelled ("patient", "therapist", "clinical_lead"...).
    cancelled_by_role: Mapped[str | None] = mapped_column(String(30))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # How many times the patient has moved this booking (carried over to the new appointment).
    reschedule_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rescheduled_to_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    # The charge decision (webapp.charging.decide_charge), set with the outcome: charged to the
    # commissioner or not, and the reason code. None until the outcome is recorded, and for a
    # booking moved to another time (the session moved with it).
    charged: Mapped[bool | None] = mapped_column(Boolean)
    charge_reason: Mapped[str | None] = mapped_column(String(40))
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # The care episode this appointment belongs to (webapp/models/pathway.py) and the therapist's
    # coding of it: a webapp.pathway.episode.AppointmentType value and the step of care ("2" or
    # "3"). None until coded; "entered" and "finished treatment" are derived from these.
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("care_episodes.id"), index=True)
    appointment_type: Mapped[str | None] = mapped_column(String(30))
    step_of_care: Mapped[str | None] = mapped_column(String(2))

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    cancelled_by: Mapped[User | None] = relationship(foreign_keys=[cancelled_by_id])

    @property
    def is_live(self) -> bool:
        return self.status is AppointmentStatus.BOOKED


class NotificationKind(enum.StrEnum):
    CONFIRMATION = "confirmation"  # sent on booking (with the calendar invite by email)
    REMINDER_24H = "reminder_24h"
    REMINDER_1H = "reminder_1h"
    CANCELLATION = "cancellation"  # the provider cancelled: tell the patient


class NotificationChannel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class NotificationStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time
    SENDING = "sending"  # claimed by one job; nobody else may send it
    SENT = "sent"
    FAILED = "failed"  # refused on every try, or interrupted; `error` says why; staff see it
    CANCELLED = "cancelled"  # the booking was cancelled or moved before it was due


class NotificationAttempt(Base):
    """One message about one appointment on one channel. The unique key means a reminder can
    exist, and so be sent, only once; the job claims it by moving it from scheduled to sending."""

    __tablename__ = "notification_attempts"
    __table_args__ = (UniqueConstraint("appointment_id", "kind", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(
            NotificationKind,
            name="notification_kind",
            values_callable=enum_values,
            native_enum=False,
            length=20,
        )
    )
    channel: Mapped[NotificationChannel] = mapped_column(
        Enum(
            NotificationChannel,
            name="notification_channel",
            values_callable=enum_values,
            native_enum=False,
            length=10,
        )
    )
    status: Mapped[NotificationStatus] = mapped_column(
        Enum(
            NotificationStatus,
            name="notification_status",
            values_callable=enum_values,
            native_enum=False,
            length=20,
        ),
        default=NotificationStatus.SCHEDULED,
        index=True,
    )
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    task_id: Mapped[str | None] = mapped_column(String(64))  # the Huey task, to revoke it
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many times a job has tried to send it (a refused message is retried a few times).
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    provider_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment] = relationship()
