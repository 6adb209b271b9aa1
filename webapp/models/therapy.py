"""Therapy sessions: the chat transcript, the server's attendance records, the therapist's
session record, the patient's own notes and their Session Rating Scale answers.

Message bodies and clinical notes are encrypted at rest (EncryptedText; `flask rotate-keys`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, EncryptedText, UTCDateTime, enum_values, utcnow
from webapp.models.people import User


class ChatMessage(Base):
    """One message in a session room. `sequence` orders the room (1, 2, 3...) and is what a
    reconnecting client resumes from; `client_id` is the sender's own id for the message, so a
    resend after a dropped connection is stored once."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("appointment_id", "sequence"),
        UniqueConstraint("appointment_id", "sender_id", "client_id"),
        Index("ix_chat_messages_sender_sent", "sender_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(EncryptedText())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttendanceKind(enum.StrEnum):
    JOIN = "join"
    LEAVE = "leave"
    DISCONNECT = "disconnect"


class AttendanceEvent(Base):
    """The server's own record of who was in the room: one row per connection joining, and one
    when it ends (left, or dropped)."""

    __tablename__ = "attendance_events"
    __table_args__ = (Index("ix_attendance_events_appointment_at", "appointment_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    party: Mapped[str] = mapped_column(String(10))  # "patient" or "therapist"
    kind: Mapped[AttendanceKind] = mapped_column(
        Enum(
            AttendanceKind,
            name="attendance_kind",
            values_callable=enum_values,
            native_enum=False,
            length=12,
        )
    )
    connection: Mapped[str] = mapped_column(String(64))  # the socket's id
    # the app instance that held the connection (ServerInstance.id; no key: its row is made
    # by a heartbeat the tests and a lone CLI process do without)
    instance: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ServerInstance(Base):
    """One app process's time serving, from its own heartbeat (`webapp.heartbeat`): when it
    started, when it last said it was still serving, and when it stopped, if it could say so.
    A connection its instance took down unrecorded ends with it, and the gaps between lives
    are the provider's outages (`sessions.room.outages`)."""

    __tablename__ = "server_instances"
    __table_args__ = (Index("ix_server_instances_beat_at", "beat_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))  # which machine, for the operator's eye
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SessionRecord(Base):
    """The therapist's record of a session (DOMAIN.md section 2), one per appointment.

    `recorded_at` and `is_late` are as first saved: supervision counts a record filed after
    the 10-minute window as late, and amending it later does not make it so. Each amendment
    raises `version` and keeps what it replaced as a SessionRecordVersion."""

    __tablename__ = "session_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    clinical_notes: Mapped[str] = mapped_column(EncryptedText())
    therapy_type: Mapped[str] = mapped_column(String(40))
    step_of_care: Mapped[str] = mapped_column(String(10))
    contact_minutes: Mapped[int] = mapped_column(Integer)
    attendance_code: Mapped[str] = mapped_column(String(2))
    next_steps: Mapped[str] = mapped_column(EncryptedText())
    proposed_outcome: Mapped[str | None] = mapped_column(String(30))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_late: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    amended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    amended_by: Mapped[User | None] = relationship(foreign_keys=[amended_by_id])

    @property
    def saved_at(self) -> datetime:
        """When the version now held was saved."""
        return self.amended_at or self.recorded_at

    @property
    def saved_by(self) -> User:
        """Who saved the version now held."""
        return self.amended_by or self.therapist


class SessionRecordVersion(Base):
    """A session record as it was before an amendment replaced it: its fields (the notes
    encrypted, as in the record), who saved it and when, and who replaced it and when."""

    __tablename__ = "session_record_versions"
    __table_args__ = (UniqueConstraint("appointment_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    version: Mapped[int] = mapped_column(Integer)
    clinical_notes: Mapped[str] = mapped_column(EncryptedText())
    therapy_type: Mapped[str] = mapped_column(String(40))
    appointment_type: Mapped[str | None] = mapped_column(String(30))
    step_of_care: Mapped[str] = mapped_column(String(10))
    contact_minutes: Mapped[int] = mapped_column(Integer)
    attendance_code: Mapped[str] = mapped_column(String(2))
    next_steps: Mapped[str] = mapped_column(EncryptedText())
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    saved_by: Mapped[User] = relationship(foreign_keys=[saved_by_id])
    replaced_by: Mapped[User] = relationship(foreign_keys=[replaced_by_id])


class PatientSessionNote(Base):
    """The patient's own notes about a session: theirs to write and read, one per session."""

    __tablename__ = "patient_session_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(EncryptedText())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SessionRating(Base):
    """The patient's Session Rating Scale answers for a session, every item kept."""

    __tablename__ = "session_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[dict[str, int]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    is_alliance_concern: Mapped[bool] = mapped_column(default=False)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
