"""Information governance: the patient's dated consent choices, subject access requests, account
closures, and the runs of the retention schedule (issue #13).

Consent rows are append-only history: the current choice of a kind is its newest row. The
operational copies of the communication preferences stay on PatientProfile (the reminder jobs
read them); every change to them also writes a row here, so the record says when it changed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, utcnow
from webapp.models.people import User


class ConsentRecord(Base):
    """One dated choice: a communication preference or consent to an optional use."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_patient_kind", "patient_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))  # webapp.records.consent.CHOICES keys
    granted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(20))  # "referral", "patient" or "staff"
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))


class SubjectAccessRequest(Base):
    """A request for a copy of everything held about a patient (UK GDPR article 15): made from
    their own account (completed at once) or received by staff by other means."""

    __tablename__ = "subject_access_requests"
    __table_args__ = (Index("ix_subject_access_requests_open", "completed_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # "account", "email", "letter", ...
    requester: Mapped[str] = mapped_column(String(200))  # the patient, or who asked for them
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # one calendar month after receipt
    verification: Mapped[str] = mapped_column(Text, default="")  # how identity was checked
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    exported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])


class AccountClosure(Base):
    """A patient closed their account (or the retention schedule erased it): when, and what
    happened to their community content."""

    __tablename__ = "account_closures"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # "anonymised" or "deleted": what happened to their community posts.
    community_choice: Mapped[str] = mapped_column(String(20))
    posts_changed: Mapped[int] = mapped_column(Integer, default=0)
    bookings_cancelled: Mapped[int] = mapped_column(Integer, default=0)
    # Set when the retention schedule erased the record (clinical retention period over).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RetentionRun(Base):
    """One application of the retention schedule."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trigger: Mapped[str] = mapped_column(String(20))  # "schedule" (Huey) or "command"

    items: Mapped[list[RetentionRunItem]] = relationship(
        back_populates="run", order_by="RetentionRunItem.id"
    )


class RetentionRunItem(Base):
    """What one run did to one kind of data: how many rows went, and the cutoff it used."""

    __tablename__ = "retention_run_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("retention_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))  # "deleted" or "erased"
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer, default=0)

    run: Mapped[RetentionRun] = relationship(back_populates="items")
