"""The community's voice (issue #15): consultations (polls and short surveys) that moderators
publish, members' responses, and members' suggestions with staff's public replies.

Members appear here by their community handle only (`community_members`). Free text a member
writes (a survey answer, a suggestion) is stored as a community post in a thread of the unlisted
voice space, so the watchword screening, the moderators' queue, alerts and escalation, back-tests
and removal treat it exactly as a post; these tables link to those posts.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, UTCDateTime, enum_values, utcnow
from webapp.models.community import CommunityMember, Post, Thread


class ConsultationKind(enum.StrEnum):
    POLL = "poll"
    SURVEY = "survey"


class Consultation(Base):
    """A poll or a short survey, open from `opens_at` until `closes_at` (UTC)."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ConsultationKind] = mapped_column(
        Enum(ConsultationKind, name="consultation_kind", values_callable=enum_values)
    )
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    is_multiple_choice: Mapped[bool] = mapped_column(Boolean, default=False)
    # For a multiple-choice poll: the most options one response may pick.
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    closed_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    options: Mapped[list[ConsultationOption]] = relationship(
        order_by="ConsultationOption.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[ConsultationQuestion]] = relationship(
        order_by="ConsultationQuestion.position", cascade="all, delete-orphan"
    )


class ConsultationOption(Base):
    __tablename__ = "consultation_options"
    __table_args__ = (UniqueConstraint("consultation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))


class ConsultationQuestion(Base):
    __tablename__ = "consultation_questions"
    __table_args__ = (UniqueConstraint("consultation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text)


class ConsultationResponse(Base):
    """One member's response: one per member per consultation, refused by the database too."""

    __tablename__ = "consultation_responses"
    __table_args__ = (
        UniqueConstraint(
            "consultation_id", "member_id", name="uq_consultation_responses_one_per_member"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("community_members.user_id"), index=True)
    # A survey response's answers are posts in this thread (of the unlisted voice space).
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("community_threads.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member: Mapped[CommunityMember] = relationship()


class ConsultationChoice(Base):
    """An option a poll response picked."""

    __tablename__ = "consultation_choices"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_responses.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(ForeignKey("consultation_options.id"), primary_key=True)


class ConsultationAnswer(Base):
    """A survey response's answer to one question; its text is the linked post's body."""

    __tablename__ = "consultation_answers"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_responses.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("consultation_questions.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id"), unique=True)

    post: Mapped[Post] = relationship()


class SuggestionStatus(enum.StrEnum):
    NEW = "new"  # not yet answered
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    DONE = "done"
    NOT_DOING = "not_doing"  # the reply says why

    @property
    def label(self) -> str:
        return {
            SuggestionStatus.NEW: "Waiting for a reply",
            SuggestionStatus.UNDER_REVIEW: "Under review",
            SuggestionStatus.PLANNED: "Planned",
            SuggestionStatus.DONE: "Done",
            SuggestionStatus.NOT_DOING: "Not doing",
        }[self]


class Suggestion(Base):
    """A member's "suggest an improvement": its title is the thread's, its text the opening
    post's; staff reply publicly ("you said, we did") with a status."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("community_members.user_id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id"), unique=True)
    status: Mapped[SuggestionStatus] = mapped_column(
        Enum(SuggestionStatus, name="suggestion_status", values_callable=enum_values),
        default=SuggestionStatus.NEW,
    )
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    author: Mapped[CommunityMember] = relationship()
    post: Mapped[Post] = relationship()

    @property
    def thread(self) -> Thread:
        return self.post.thread
