"""Clinical supervision meetings: when a therapist met their supervisor, which of their cases
were discussed and what was agreed. The agreed actions are clinical notes, encrypted at rest
(EncryptedText; `flask rotate-keys`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, EncryptedText, UTCDateTime, utcnow
from webapp.models.pathway import CareEpisode
from webapp.models.people import User


class SupervisionMeeting(Base):
    """One supervision meeting of one therapist, recorded by the clinical lead."""

    __tablename__ = "supervision_meetings"
    __table_args__ = (Index("ix_supervision_meetings_therapist", "therapist_id", "met_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    met_on: Mapped[date] = mapped_column(Date)
    agreed_actions: Mapped[str] = mapped_column(EncryptedText())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    cases: Mapped[list[SupervisionCase]] = relationship(
        cascade="all, delete-orphan", order_by="SupervisionCase.episode_id"
    )


class SupervisionCase(Base):
    """A care episode discussed at a supervision meeting (always the therapist's own)."""

    __tablename__ = "supervision_cases"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_meetings.id", ondelete="CASCADE"), primary_key=True
    )
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("care_episodes.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    episode: Mapped[CareEpisode] = relationship()
