"""Group sessions (issue #15): a scheduled group a therapist or clinical lead runs, its
facilitators, who is enrolled or waiting, each meeting (an occurrence), the messages of a
meeting's room and each member's attendance.

Members appear in a group room under their community handle, never their real name. Message
bodies are encrypted at rest (EncryptedText), as in the one-to-one room. A delivered meeting is
one chargeable unit to the commissioner (`charge_pence`), never a charge to any patient.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, EncryptedText, UTCDateTime, enum_values, utcnow
from webapp.models.people import User


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    return Enum(kind, name=name, values_callable=enum_values, native_enum=False, length=20)


class GroupAccess(enum.StrEnum):
    OPEN = "open"  # every patient in their access period may enrol
    INVITATION = "invitation"  # only patients a facilitator has invited


class Group(Base):
    """A scheduled group: the weekly schedule is kept in UK local time (`weekday`, `local_time`
    from `first_date`, for `weeks` weeks); its meetings are expanded into occurrences in UTC."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    access: Mapped[GroupAccess] = mapped_column(_enum(GroupAccess, "group_access"))
    capacity: Mapped[int] = mapped_column(Integer)
    first_date: Mapped[date] = mapped_column(Date)
    local_time: Mapped[str] = mapped_column(String(5))  # "HH:MM", Europe/London
    weeks: Mapped[int] = mapped_column(Integer)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    facilitators: Mapped[list[GroupFacilitator]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class GroupFacilitator(Base):
    __tablename__ = "group_facilitators"

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)

    group: Mapped[Group] = relationship(back_populates="facilitators")
    user: Mapped[User] = relationship()


class EnrolmentStatus(enum.StrEnum):
    INVITED = "invited"  # a facilitator invited them; they have not taken the place yet
    ENROLLED = "enrolled"  # a member
    WAITING = "waiting"  # on the waiting list, in order of `requested_at`
    OFFERED = "offered"  # a place came free and is held for them
    LEFT = "left"  # they left (or declined an offered place)
    REMOVED = "removed"  # a facilitator removed them


class GroupEnrolment(Base):
    """One patient's place in (or wait for) a group."""

    __tablename__ = "group_enrolments"
    __table_args__ = (
        UniqueConstraint("group_id", "patient_id"),
        Index("ix_group_enrolments_group_status", "group_id", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(_enum(EnrolmentStatus, "enrolment_status"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_muted: Mapped[bool] = mapped_column(Boolean, default=False)

    group: Mapped[Group] = relationship()
    patient: Mapped[User] = relationship()


class OccurrenceStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    DELIVERED = "delivered"  # attendance recorded and someone attended: one chargeable unit
    NOT_DELIVERED = "not_delivered"  # attendance recorded and nobody attended
    CANCELLED = "cancelled"  # cancelled by the provider


class GroupOccurrence(Base):
    """One meeting of a group, in UTC."""

    __tablename__ = "group_occurrences"
    __table_args__ = (
        UniqueConstraint("group_id", "starts_at"),
        Index("ix_group_occurrences_starts", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[OccurrenceStatus] = mapped_column(
        _enum(OccurrenceStatus, "occurrence_status"), default=OccurrenceStatus.SCHEDULED
    )
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Charged to the commissioner when delivered (the configured rate at the time), else None.
    charge_pence: Mapped[int | None] = mapped_column(Integer)

    group: Mapped[Group] = relationship()


class GroupMessage(Base):
    """One message in a meeting's room. `sequence` orders the room; `client_id` makes a resend
    after a dropped connection store once. A held message (a watchword match) is seen only by
    its author and the facilitators."""

    __tablename__ = "group_messages"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "sequence"),
        UniqueConstraint("occurrence_id", "sender_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("group_occurrences.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(EncryptedText())
    is_held: Mapped[bool] = mapped_column(Boolean, default=False)
    is_clinical_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    occurrence: Mapped[GroupOccurrence] = relationship()


class GroupAttendance(Base):
    """A member's national attendance code for one meeting (DOMAIN.md section 5)."""

    __tablename__ = "group_attendance"

    occurrence_id: Mapped[int] = mapped_column(ForeignKey("group_occurrences.id"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(2))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupReminder(Base):
    """A reminder of a meeting sent to a member, at most once per kind ("reminder_24h",
    "reminder_1h"): the row is written (claimed) before sending, so a second run sends nothing."""

    __tablename__ = "group_reminders"

    occurrence_id: Mapped[int] = mapped_column(ForeignKey("group_occurrences.id"), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
