"""The care pathway: one episode per accepted referral, its dated state changes and its steps.

The episode's state and steps are what a therapist changes; whether the patient entered or
finished treatment is derived from the coded appointments (webapp/pathway/episode.py), never
typed in. Appointments belong to an episode through `appointments.episode_id` and carry the
therapist's coding in `appointments.appointment_type`.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, EncryptedText, UTCDateTime, enum_values, utcnow
from webapp.models.people import User
from webapp.models.referral import Referral
from webapp.pathway.episode import EpisodeState


def _episode_state_enum() -> Enum:
    return Enum(
        EpisodeState,
        name="episode_state",
        values_callable=enum_values,
        native_enum=False,
        length=30,
    )


class CareEpisode(Base):
    """One accepted referral's course through assessment, treatment and discharge."""

    __tablename__ = "care_episodes"
    __table_args__ = (
        Index("ix_care_episodes_patient", "patient_id", "opened_at"),
        Index("ix_care_episodes_ended_on", "ended_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The therapist responsible for the episode; None until one is allocated or chosen.
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[EpisodeState] = mapped_column(
        _episode_state_enum(), default=EpisodeState.WAITING_FOR_ASSESSMENT
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # referral accepted
    # The current step of care: "2" (low intensity) or "3" (high intensity); None before assessment.
    current_step: Mapped[str | None] = mapped_column(String(2))
    # The referral's end (DOMAIN.md section 5 end codes); all None while the episode is open.
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_code: Mapped[str | None] = mapped_column(String(2))
    end_reason: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship()
    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    therapist: Mapped[User | None] = relationship(foreign_keys=[therapist_id])


class EpisodeChange(Base):
    """A dated, attributed change of an episode's state (the audit trail of the pathway)."""

    __tablename__ = "episode_changes"
    __table_args__ = (Index("ix_episode_changes_episode", "episode_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("care_episodes.id", ondelete="CASCADE"))
    from_state: Mapped[EpisodeState | None] = mapped_column(_episode_state_enum())
    to_state: Mapped[EpisodeState] = mapped_column(_episode_state_enum())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])


class StepChange(Base):
    """Stepping up or down between steps of care, dated so the wait between steps is measurable."""

    __tablename__ = "step_changes"
    __table_args__ = (Index("ix_step_changes_episode", "episode_id", "changed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("care_episodes.id", ondelete="CASCADE"))
    from_step: Mapped[str | None] = mapped_column(String(2))
    to_step: Mapped[str] = mapped_column(String(2))
    changed_on: Mapped[date] = mapped_column(Date)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The step chosen in the assessment record (at most one per episode): it follows the
    # assessment's date and step when the assessment is corrected, while nothing later depends
    # on it (webapp.pathway.services.save_assessment).
    set_by_assessment: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class EpisodeAssessment(Base):
    """The assessment record of an episode (one per episode; saving it again updates it, and
    the version it replaces is kept in `episode_assessment_versions`).

    The presenting problem's descriptor picks the measure pair (questionnaires.measures); the
    risk summary, plan, goals and the options discussed are clinical notes, encrypted at rest.
    """

    __tablename__ = "episode_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(
        ForeignKey("care_episodes.id", ondelete="CASCADE"), unique=True
    )
    assessed_on: Mapped[date] = mapped_column(Date)
    # A questionnaires.measures.ProblemDescriptor value and an ICD-10 code from
    # webapp.pathway.codes.ICD10 (None only for "other or not yet known").
    problem_descriptor: Mapped[str] = mapped_column(String(30))
    icd10_code: Mapped[str | None] = mapped_column(String(8))
    risk_level: Mapped[str] = mapped_column(String(10))  # webapp.pathway.codes.RiskLevel
    risk_summary: Mapped[str] = mapped_column(EncryptedText())
    risk_plan: Mapped[str] = mapped_column(EncryptedText())
    goals: Mapped[str] = mapped_column(EncryptedText())
    # The choice offered: the options explained, the patient's preference, whether it was met.
    options_explained: Mapped[str] = mapped_column(EncryptedText())
    preference: Mapped[str] = mapped_column(Text, default="")
    preference_met: Mapped[bool] = mapped_column(Boolean)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class EpisodeAssessmentVersion(Base):
    """A version of an episode's assessment that a later save replaced, kept whole: who
    recorded it and when, who replaced it and when, and its words (still encrypted at rest).
    Nothing ever changes a version."""

    __tablename__ = "episode_assessment_versions"
    __table_args__ = (
        Index("ix_episode_assessment_versions_episode", "episode_id", "superseded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("care_episodes.id", ondelete="CASCADE"))
    assessed_on: Mapped[date] = mapped_column(Date)
    problem_descriptor: Mapped[str] = mapped_column(String(30))
    icd10_code: Mapped[str | None] = mapped_column(String(8))
    risk_level: Mapped[str] = mapped_column(String(10))
    risk_summary: Mapped[str] = mapped_column(EncryptedText())
    risk_plan: Mapped[str] = mapped_column(EncryptedText())
    goals: Mapped[str] = mapped_column(EncryptedText())
    options_explained: Mapped[str] = mapped_column(EncryptedText())
    preference: Mapped[str] = mapped_column(Text, default="")
    preference_met: Mapped[bool] = mapped_column(Boolean)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    superseded_by: Mapped[User | None] = relationship(foreign_keys=[superseded_by_id])
