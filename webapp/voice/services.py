"""Writes for the community's voice. One write = one function = one transaction; time is passed
in as `now`; every write is audited.

A member's free text (a survey answer, a suggestion) is screened by the watchword engine and
stored as a community post in the unlisted voice space, so a match is queued exactly as a post's
is (`moderation_console.services.queue_match`, in the same transaction) and announced, with an
alert's escalation clock started, once committed (`after_queued`). Held text is kept and waits for
a moderator; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from moderation import Decision
from webapp import audit
from webapp.community import services as community
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    Consultation,
    ConsultationAnswer,
    ConsultationChoice,
    ConsultationKind,
    ConsultationOption,
    ConsultationQuestion,
    ConsultationResponse,
    ModerationItem,
    Post,
    PostStatus,
    Space,
    Suggestion,
    SuggestionStatus,
    Thread,
    User,
)
from webapp.moderation_console import services as moderation
from webapp.moderation_console.watchwords import current_engine
from webapp.voice import queries, rules
from webapp.voice.rules import Phase

VOICE_SPACE_TITLE = "The community's voice (unlisted)"
ALREADY_RESPONDED = "You have already responded to this. Thank you."


class Refused(ValueError):
    """The request cannot be done; the message says why."""


@dataclass(frozen=True)
class Draft:
    """A consultation as the publishing form gives it, validated by `rules`."""

    kind: ConsultationKind
    title: str
    description: str
    options: tuple[str, ...]  # a poll's
    questions: tuple[str, ...]  # a survey's
    is_multiple_choice: bool
    max_choices: int
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class Screened:
    """What became of a member's free text: held for a moderator, and whether for risk."""

    is_held: bool
    is_clinical_risk: bool


# --- consultations (staff) ----------------------------------------------------------------------


def _fill(consultation: Consultation, draft: Draft) -> None:
    consultation.kind = draft.kind
    consultation.title = draft.title
    consultation.description = draft.description
    consultation.opens_at, consultation.closes_at = draft.opens_at, draft.closes_at
    is_poll = draft.kind is ConsultationKind.POLL
    consultation.is_multiple_choice = is_poll and draft.is_multiple_choice
    consultation.max_choices = draft.max_choices if is_poll else 1
    consultation.options = [
        ConsultationOption(position=n, label=label)
        for n, label in enumerate(draft.options if is_poll else ())
    ]
    consultation.questions = [
        ConsultationQuestion(position=n, prompt=prompt)
        for n, prompt in enumerate(() if is_poll else draft.questions)
    ]


def _audit_consultation(
    action: str, actor: User, consultation: Consultation, **detail: object
) -> None:
    audit.record(
        f"voice.consultation_{action}",
        actor=actor,
        subject_type="consultation",
        subject_id=consultation.id,
        detail={"title": consultation.title, **detail},
    )


def publish(actor: User, draft: Draft, *, now: datetime) -> Consultation:
    with db.transaction():
        consultation = Consultation(created_by_id=actor.id, created_at=now)
        _fill(consultation, draft)
        db.session.add(consultation)
        db.session.flush()
        _audit_consultation(
            "published",
            actor,
            consultation,
            kind=draft.kind.value,
            opens_at=draft.opens_at.isoformat(),
            closes_at=draft.closes_at.isoformat(),
        )
    return consultation


def update(actor: User, consultation: Consultation, draft: Draft, *, now: datetime) -> None:
    """Change a consultation nobody has responded to (after that it can only be closed early)."""
    with db.transaction():
        locked = db.session.scalar(
            select(Consultation).where(Consultation.id == consultation.id).with_for_update()
        )
        assert locked is not None
        if queries.response_count(consultation.id):
            raise Refused(
                "Members have responded, so this can no longer be changed: close it early instead"
            )
        # Old options and questions go first: their positions are unique within the consultation.
        consultation.options, consultation.questions = [], []
        db.session.flush()
        _fill(consultation, draft)
        _audit_consultation("changed", actor, consultation, kind=draft.kind.value)


def close_early(actor: User, consultation: Consultation, *, now: datetime) -> None:
    if queries.phase_of(consultation, now) is Phase.CLOSED:
        raise Refused("This consultation has already closed")
    with db.transaction():
        consultation.closes_at = now
        consultation.closed_early_at = now
        consultation.opens_at = min(consultation.opens_at, now)
        _audit_consultation("closed_early", actor, consultation)


# --- responses (members) ------------------------------------------------------------------------


def _check_member(member: CommunityMember, now: datetime) -> None:
    if member.is_suspended(now):
        raise Refused(
            "A moderator has paused your posting for now, so you cannot respond or make "
            "suggestions until the pause ends."
        )


def _check_can_respond(member: CommunityMember, consultation: Consultation, now: datetime) -> None:
    _check_member(member, now)
    if queries.phase_of(consultation, now) is not Phase.OPEN:
        raise Refused("This consultation is closed: responses are no longer taken")
    if queries.has_responded(member.user_id, consultation.id):
        raise Refused(ALREADY_RESPONDED)


def _start_fresh() -> None:
    """End the request's read-only transaction, so that the response's INSERT is the first
    statement of the writing one: SQLite waits (busy_timeout) for the write lock only then, and
    refuses to upgrade a read snapshot another writer has overtaken. Nothing is pending here."""
    session = db.session()
    if session.in_transaction():
        session.commit()


def _one_response(
    consultation: Consultation, member: CommunityMember, now: datetime
) -> ConsultationResponse:
    response = ConsultationResponse(
        consultation_id=consultation.id, member_id=member.user_id, created_at=now
    )
    db.session.add(response)
    db.session.flush()  # the unique constraint refuses a second response here
    return response


def _is_second_response(error: IntegrityError) -> bool:
    text = str(error.orig)
    return "uq_consultation_responses_one_per_member" in text or (
        "consultation_responses.consultation_id" in text
    )


def respond_to_poll(
    member: CommunityMember, consultation: Consultation, option_ids: Sequence[int], *, now: datetime
) -> ConsultationResponse:
    _check_can_respond(member, consultation, now)
    try:
        picked = rules.checked_choices(
            option_ids, [option.id for option in consultation.options], consultation.max_choices
        )
    except ValueError as error:
        raise Refused(str(error)) from None
    _start_fresh()
    try:
        with db.transaction():
            response = _one_response(consultation, member, now)
            db.session.add_all(
                ConsultationChoice(response_id=response.id, option_id=option_id)
                for option_id in sorted(picked)
            )
            audit.record(
                "voice.responded",
                actor=member.user,
                subject_type="consultation",
                subject_id=consultation.id,
                detail={"kind": "poll"},
            )
    except IntegrityError as error:
        if _is_second_response(error):
            raise Refused(ALREADY_RESPONDED) from None
        raise
    return response


def _voice_space() -> Space:
    space = db.session.scalar(select(Space).where(Space.title == VOICE_SPACE_TITLE))
    if space is None:
        space = Space(
            title=VOICE_SPACE_TITLE,
            description="Survey answers and suggestions, screened and moderated as posts.",
            position=10_000,
            is_listed=False,
        )
        db.session.add(space)
        db.session.flush()
    return space


def _screened_post(
    member: CommunityMember, thread: Thread, body: str, *, is_opening: bool, now: datetime
) -> tuple[Post, Decision, ModerationItem | None]:
    decision = current_engine().decide(f"{thread.title}\n{body}" if is_opening else body)
    post, item = community.store_post(
        member, thread, body, decision, is_opening=is_opening, now=now
    )
    return post, decision, item


def _screened(posts: Sequence[Post]) -> Screened:
    return Screened(
        is_held=any(post.status is PostStatus.HELD for post in posts),
        is_clinical_risk=any(post.is_clinical_risk for post in posts),
    )


def respond_to_survey(
    member: CommunityMember,
    consultation: Consultation,
    answers: Mapping[int, str],
    *,
    now: datetime,
) -> Screened:
    """Each answer (blank ones skipped, at least one needed) is screened on its own, as a reply
    is; a survey's first answer is screened with the thread's title, which is the survey's."""
    _check_can_respond(member, consultation, now)
    given = [
        (question, answers.get(question.id, "").strip()) for question in consultation.questions
    ]
    given = [(question, text) for question, text in given if text]
    if not given:
        raise Refused("Answer at least one question")
    if any(len(text) > rules.ANSWER_MAX_CHARS for _, text in given):
        raise Refused(f"Each answer must be {rules.ANSWER_MAX_CHARS:,} characters or fewer")
    items: list[ModerationItem] = []
    _start_fresh()
    try:
        with db.transaction():
            response = _one_response(consultation, member, now)
            thread = Thread(
                space_id=_voice_space().id,
                author_id=member.user_id,
                title=f"Survey: {consultation.title}",
                created_at=now,
            )
            db.session.add(thread)
            db.session.flush()
            response.thread_id = thread.id
            posts, rule_ids = [], []
            for n, (question, text) in enumerate(given):
                post, decision, item = _screened_post(
                    member, thread, text, is_opening=n == 0, now=now
                )
                db.session.add(
                    ConsultationAnswer(
                        response_id=response.id, question_id=question.id, post_id=post.id
                    )
                )
                posts.append(post)
                rule_ids += [match.rule_id for match in decision.matches]
                items += [item] if item is not None else []
            audit.record(
                "voice.responded",
                actor=member.user,
                subject_type="consultation",
                subject_id=consultation.id,
                detail={
                    "kind": "survey",
                    "posts": [post.id for post in posts],
                    "held": [post.id for post in posts if post.status is PostStatus.HELD],
                    "rules": sorted(set(rule_ids)),
                },
            )
    except IntegrityError as error:
        if _is_second_response(error):
            raise Refused(ALREADY_RESPONDED) from None
        raise
    for item in items:
        moderation.after_queued(item, now=now)
    return _screened(posts)


# --- suggestions --------------------------------------------------------------------------------


def suggest(member: CommunityMember, title: str, body: str, *, now: datetime) -> Screened:
    """A suggestion: its title and text are screened together, as a new thread's are."""
    _check_member(member, now)
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise Refused("Enter a title and your suggestion")
    with db.transaction():
        thread = Thread(
            space_id=_voice_space().id, author_id=member.user_id, title=title, created_at=now
        )
        db.session.add(thread)
        db.session.flush()
        post, decision, item = _screened_post(member, thread, body, is_opening=True, now=now)
        suggestion = Suggestion(
            author_id=member.user_id,
            post_id=post.id,
            status=SuggestionStatus.NEW,
            created_at=now,
        )
        db.session.add(suggestion)
        db.session.flush()
        audit.record(
            "voice.suggested",
            actor=member.user,
            subject_type="suggestion",
            subject_id=suggestion.id,
            detail={
                "post_id": post.id,
                "status": post.status.value,
                "rules": [match.rule_id for match in decision.matches],
            },
        )
    moderation.after_queued(item, now=now)
    return _screened([post])


REPLY_STATUSES = (
    SuggestionStatus.UNDER_REVIEW,
    SuggestionStatus.PLANNED,
    SuggestionStatus.DONE,
    SuggestionStatus.NOT_DOING,
)


def reply_to_suggestion(
    actor: User, suggestion: Suggestion, status: SuggestionStatus, reply: str, *, now: datetime
) -> None:
    """The public "you said, we did" reply; a later reply replaces it (the audit log keeps
    every one). "Not doing" must say why, as every reply must say something."""
    reply = reply.strip()
    if status not in REPLY_STATUSES:
        raise Refused("Select a status")
    if not reply:
        raise Refused(
            "Say why you are not doing it"
            if status is SuggestionStatus.NOT_DOING
            else "Enter your reply"
        )
    with db.transaction():
        suggestion.status, suggestion.reply = status, reply
        suggestion.replied_at, suggestion.replied_by_id = now, actor.id
        audit.record(
            "voice.suggestion_replied",
            actor=actor,
            subject_type="suggestion",
            subject_id=suggestion.id,
            detail={"status": status.value, "reply": reply},
        )
