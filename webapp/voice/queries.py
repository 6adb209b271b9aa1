"""Read-only questions for the community's voice. The actor's id comes first (STYLE.md 3).

Members' functions return what that member may see: consultations once open, results once
closed (suppressed), visible suggestions and their own held ones; never another member's survey
answers. Staff functions (`*_for_staff`) return everything by handle, never by real name. The
two monthly-report functions return aggregates only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from webapp.extensions import db
from webapp.models import (
    Consultation,
    ConsultationAnswer,
    ConsultationChoice,
    ConsultationKind,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationResponse,
    Post,
    PostStatus,
    Suggestion,
    SuggestionStatus,
)
from webapp.voice import rules
from webapp.voice.rules import Phase


def phase_of(consultation: Consultation, now: datetime) -> Phase:
    return rules.phase(consultation.opens_at, consultation.closes_at, now)


def response_count(consultation_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(ConsultationResponse.id)).where(
                ConsultationResponse.consultation_id == consultation_id
            )
        )
        or 0
    )


def has_responded(member_id: int, consultation_id: int) -> bool:
    return (
        db.session.scalar(
            select(ConsultationResponse.id).where(
                ConsultationResponse.consultation_id == consultation_id,
                ConsultationResponse.member_id == member_id,
            )
        )
        is not None
    )


# --- members ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationLine:
    consultation: Consultation
    phase: Phase
    has_responded: bool


def consultations_for_member(member_id: int, now: datetime) -> list[ConsultationLine]:
    """Open and closed consultations (not those yet to open), open ones first, newest first."""
    found = db.session.scalars(
        select(Consultation)
        .where(Consultation.opens_at <= now)
        .order_by(Consultation.closes_at.desc(), Consultation.id.desc())
    )
    answered = set(
        db.session.scalars(
            select(ConsultationResponse.consultation_id).where(
                ConsultationResponse.member_id == member_id
            )
        )
    )
    lines = [ConsultationLine(c, phase_of(c, now), c.id in answered) for c in found]
    return sorted(lines, key=lambda line: line.phase is not Phase.OPEN)


def consultation_for_member(member_id: int, consultation_id: int, now: datetime) -> Consultation:
    """A consultation that has opened; 404 for one not yet open or not there."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or phase_of(consultation, now) is Phase.UPCOMING:
        abort(404)
    return consultation


def own_answers_need_support(member_id: int, consultation_id: int) -> bool:
    """Is one of this member's answers held for clinical risk (show them the crisis routes)?"""
    return _held_risk(
        select(Post.id)
        .join(ConsultationAnswer, ConsultationAnswer.post_id == Post.id)
        .join(ConsultationResponse, ConsultationResponse.id == ConsultationAnswer.response_id)
        .where(
            ConsultationResponse.consultation_id == consultation_id,
            ConsultationResponse.member_id == member_id,
        )
    )


def _held_risk(query: Select[tuple[int]]) -> bool:
    statement = query.where(Post.status == PostStatus.HELD, Post.is_clinical_risk)
    return db.session.scalar(statement.limit(1)) is not None


def poll_results(actor_id: int, consultation: Consultation) -> rules.PollResults:
    """Counts per option (members are shown the suppressed figures, staff the counts too)."""
    choices = db.session.execute(
        select(ConsultationChoice.response_id, ConsultationChoice.option_id)
        .join(ConsultationOption, ConsultationOption.id == ConsultationChoice.option_id)
        .where(ConsultationOption.consultation_id == consultation.id)
    ).all()
    options = [(option.id, option.label) for option in consultation.options]
    return rules.tally(options, [(row[0], row[1]) for row in choices])


def _member_sees_suggestion(member_id: int) -> ColumnElement[bool]:
    return or_(
        Post.status == PostStatus.VISIBLE,
        and_(Post.status == PostStatus.HELD, Suggestion.author_id == member_id),
    )


def suggestions_for_member(member_id: int) -> list[Suggestion]:
    """Visible suggestions and this member's own held ones, newest first; removed ones never."""
    return list(
        db.session.scalars(
            select(Suggestion)
            .join(Post, Post.id == Suggestion.post_id)
            .options(joinedload(Suggestion.post).joinedload(Post.thread))
            .options(joinedload(Suggestion.author))
            .where(_member_sees_suggestion(member_id))
            .order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
        ).unique()
    )


def own_suggestion_needs_support(member_id: int) -> bool:
    return _held_risk(
        select(Post.id)
        .join(Suggestion, Suggestion.post_id == Post.id)
        .where(Suggestion.author_id == member_id)
    )


# --- staff --------------------------------------------------------------------------------------


def consultations_for_staff(actor_id: int) -> list[tuple[Consultation, int]]:
    """Every consultation with its number of responses, the latest to close first."""
    counts = dict(
        db.session.execute(
            select(
                ConsultationResponse.consultation_id, func.count(ConsultationResponse.id)
            ).group_by(ConsultationResponse.consultation_id)
        ).all()
    )
    found = db.session.scalars(
        select(Consultation).order_by(Consultation.closes_at.desc(), Consultation.id.desc())
    )
    return [(consultation, counts.get(consultation.id, 0)) for consultation in found]


def consultation_for_staff(actor_id: int, consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


@dataclass(frozen=True)
class AnswerLine:
    question: ConsultationQuestion
    handle: str
    post: Post


def survey_answers_for_staff(actor_id: int, consultation_id: int) -> list[AnswerLine]:
    """Every answer in full (held and removed ones marked), by question, then oldest first."""
    rows = db.session.execute(
        select(ConsultationQuestion, ConsultationResponse, Post)
        .join(ConsultationAnswer, ConsultationAnswer.question_id == ConsultationQuestion.id)
        .join(ConsultationResponse, ConsultationResponse.id == ConsultationAnswer.response_id)
        .join(Post, Post.id == ConsultationAnswer.post_id)
        .options(joinedload(ConsultationResponse.member))
        .where(ConsultationQuestion.consultation_id == consultation_id)
        .order_by(ConsultationQuestion.position, Post.created_at, Post.id)
    ).all()
    return [AnswerLine(question, response.member.handle, post) for question, response, post in rows]


def suggestions_for_staff(actor_id: int) -> list[Suggestion]:
    """Every suggestion, those still waiting for a reply first, then newest first."""
    found = db.session.scalars(
        select(Suggestion)
        .options(joinedload(Suggestion.post).joinedload(Post.thread))
        .options(joinedload(Suggestion.author))
        .order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
    ).unique()
    return sorted(found, key=lambda s: s.status is not SuggestionStatus.NEW)


def suggestion_for_staff(actor_id: int, suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None:
        abort(404)
    return suggestion


# --- the monthly commissioner report ------------------------------------------------------------


@dataclass(frozen=True)
class ConsultationSummary:
    """A consultation that closed in the month: no handle or answer text, only counts. Use
    `poll` (already suppressed in `respondents_shown`, each option's `shown` and `share`) or
    `rules.counts_shown` before publishing any figure."""

    title: str
    kind: ConsultationKind
    opens_at: datetime
    closes_at: datetime
    respondents: int
    poll: rules.PollResults | None  # None for a survey


def consultation_summary(month_start: datetime, month_end: datetime) -> list[ConsultationSummary]:
    """Consultations that closed in [month_start, month_end), oldest first, with their results
    (for the monthly commissioner report; aggregates only, never identifiable)."""
    closed = db.session.scalars(
        select(Consultation)
        .where(Consultation.closes_at >= month_start, Consultation.closes_at < month_end)
        .order_by(Consultation.closes_at, Consultation.id)
    )
    return [
        ConsultationSummary(
            title=consultation.title,
            kind=consultation.kind,
            opens_at=consultation.opens_at,
            closes_at=consultation.closes_at,
            respondents=response_count(consultation.id),
            poll=(
                poll_results(0, consultation)
                if consultation.kind is ConsultationKind.POLL
                else None
            ),
        )
        for consultation in closed
    ]


def suggestion_counts(month_start: datetime, month_end: datetime) -> dict[str, int]:
    """Suggestions received in [month_start, month_end) by their status now (every status
    listed, 0 included), plus "received" (all of them) and "replied" (replies given in the
    month, whenever the suggestion came). Unsuppressed: publish through `rules.counts_shown`."""
    by_status = dict(
        db.session.execute(
            select(Suggestion.status, func.count(Suggestion.id))
            .where(Suggestion.created_at >= month_start, Suggestion.created_at < month_end)
            .group_by(Suggestion.status)
        ).all()
    )
    counts = {status.value: int(by_status.get(status, 0)) for status in SuggestionStatus}
    counts["received"] = sum(counts.values())
    counts["replied"] = int(
        db.session.scalar(
            select(func.count(Suggestion.id)).where(
                Suggestion.replied_at >= month_start, Suggestion.replied_at < month_end
            )
        )
        or 0
    )
    return counts
