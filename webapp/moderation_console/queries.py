"""Read-only questions for the moderation console. The actor's id comes first. Moderators see
posts and handles (never real names); `escalations` (the clinical lead's page) alone joins a
post to the patient's account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import ColumnElement, func, not_, or_, select
from sqlalchemy.orm import joinedload

import moderation
from moderation import RulePrecision, Verdict
from webapp import london_datetime
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    EscalationFollowUp,
    GroupFacilitator,
    GroupMessage,
    GroupOccurrence,
    ModerationItem,
    ModeratorMessage,
    PatientProfile,
    Post,
    PostStatus,
    Role,
    Shift,
    ShiftKind,
    Space,
    StaffContact,
    Thread,
    User,
)

SHIFT_ROLE = {ShiftKind.MODERATOR: Role.MODERATOR, ShiftKind.CLINICAL_ON_CALL: Role.CLINICAL_LEAD}


def _queue_order(item: ModerationItem) -> tuple[bool, int, float]:
    """Risk first, then alert > hold > report > flag, then newest first."""
    return (not item.is_clinical_risk, -item.kind.severity, -item.created_at.timestamp())


def open_queue(actor_id: int) -> list[ModerationItem]:
    items = db.session.scalars(
        select(ModerationItem)
        .options(
            joinedload(ModerationItem.post).joinedload(Post.author),
            joinedload(ModerationItem.group_message)
            .joinedload(GroupMessage.occurrence)
            .joinedload(GroupOccurrence.group),
        )
        .where(ModerationItem.resolved_at.is_(None))
    ).unique()
    return sorted(items, key=_queue_order)


@dataclass(frozen=True)
class Subject:
    """What an item is about, as a moderator sees it: a handle (never a real name), where it
    was written ("" for a community post: the handle and text say enough) and its text."""

    handle: str
    where: str
    body: str


def subjects(items: list[ModerationItem]) -> dict[int, Subject]:
    """Each item's subject by item id, group members' handles in one query."""
    from webapp.groups import queries as group_queries  # (its package imports this console)

    senders = {i.group_message.sender_id for i in items if i.group_message is not None}
    handles = group_queries.handles(sorted(senders))
    found = {}
    for item in items:
        if item.group_message is not None:
            message = item.group_message
            meeting = message.occurrence
            where = f"group meeting “{meeting.group.title}”, {london_datetime(meeting.starts_at)}"
            handle = handles.get(message.sender_id, group_queries.MEMBER)
            found[item.id] = Subject(handle, where, message.body)
        else:
            assert item.post is not None  # the table's check: a post or a group message
            found[item.id] = Subject(item.post.author.handle, "", item.post.body)
    return found


@dataclass(frozen=True)
class Meeting:
    """A group meeting's alert in context: who facilitates (staff, named, so a moderator knows
    whom to check in with) and the messages up to the one that raised it, each with how the
    room shows its sender."""

    facilitators: list[User]
    messages: list[tuple[str, GroupMessage]]


CONTEXT_MESSAGES = 10


def meeting_before(actor_id: int, item: ModerationItem) -> Meeting:
    from webapp.groups import queries as group_queries  # (its package imports this console)

    message = item.group_message
    assert message is not None
    facilitators = list(
        db.session.scalars(
            select(User)
            .join(GroupFacilitator, GroupFacilitator.user_id == User.id)
            .where(GroupFacilitator.group_id == message.occurrence.group_id)
            .order_by(User.full_name)
        )
    )
    earlier = db.session.scalars(
        select(GroupMessage)
        .where(
            GroupMessage.occurrence_id == message.occurrence_id,
            GroupMessage.sequence <= message.sequence,
        )
        .order_by(GroupMessage.sequence.desc())
        .limit(CONTEXT_MESSAGES)
    ).all()
    labels = group_queries.labels_for(
        {m.sender_id for m in earlier}, {user.id for user in facilitators}
    )
    return Meeting(
        facilitators,
        [(labels.get(m.sender_id, group_queries.MEMBER), m) for m in reversed(earlier)],
    )


def item_for(actor_id: int, item_id: int) -> ModerationItem:
    item = db.session.get(ModerationItem, item_id)
    if item is None:
        abort(404)
    return item


def open_items_on_post(post_id: int) -> list[ModerationItem]:
    return list(
        db.session.scalars(
            select(ModerationItem).where(
                ModerationItem.post_id == post_id, ModerationItem.resolved_at.is_(None)
            )
        )
    )


def history_of_post(actor_id: int, post_id: int) -> list[ModerationItem]:
    return list(
        db.session.scalars(
            select(ModerationItem)
            .where(ModerationItem.post_id == post_id)
            .order_by(ModerationItem.created_at)
        )
    )


# The audit rows' subject types for what moderators act on.
POST, GROUP_MESSAGE = "community_post", "group_message"

ACTION_WORDS = {
    "moderation.approved": "approved it",
    "moderation.edited": "edited it",
    "moderation.removed": "removed it",
    "moderation.messaged": "messaged the author",
    "moderation.warned": "warned the author",
    "moderation.suspended": "paused the author's posting",
    "moderation.escalated": "escalated it to the clinical lead",
}


@dataclass(frozen=True)
class ActionOnPost:
    at: datetime
    by: str
    what: str
    reason: str
    message: str = ""  # what the author was sent, for a message or a warning


def actions_on_post(actor_id: int, post_id: int) -> list[ActionOnPost]:
    """What moderators have done about a post, oldest first, from the audit log (and what the
    author was sent): the next shift sees the author was already contacted."""
    rows = db.session.execute(
        select(AuditEvent, User.full_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.subject_type == POST,
            AuditEvent.subject_id == post_id,
            AuditEvent.action.in_(list(ACTION_WORDS)),
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    sent = list(
        db.session.scalars(
            select(ModeratorMessage)
            .where(ModeratorMessage.post_id == post_id)
            .order_by(ModeratorMessage.sent_at, ModeratorMessage.id)
        )
    )
    actions = []
    for event, name in rows:
        message = ""
        if event.action in ("moderation.messaged", "moderation.warned") and sent:
            message = sent.pop(0).body  # (each message is audited once, in the same order)
        actions.append(
            ActionOnPost(
                event.occurred_at,
                name or "A moderator",
                ACTION_WORDS[event.action],
                str(event.detail.get("reason", "")),
                message,
            )
        )
    return actions


def on_shift(kind: ShiftKind, now: datetime) -> list[User]:
    """Who is on a shift of this kind at `now` (active accounts with the matching role)."""
    return list(
        db.session.scalars(
            select(User)
            .join(Shift, Shift.user_id == User.id)
            .where(
                Shift.kind == kind,
                Shift.starts_at <= now,
                Shift.ends_at > now,
                User.is_active_account,
                User.role == SHIFT_ROLE[kind],
            )
            .distinct()
        )
    )


def rota(actor_id: int, now: datetime) -> list[Shift]:
    """Shifts not yet over, soonest first."""
    return list(
        db.session.scalars(
            select(Shift)
            .options(joinedload(Shift.user))
            .where(Shift.ends_at > now)
            .order_by(Shift.starts_at, Shift.id)
        )
    )


def rota_people(actor_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.MODERATOR, Role.CLINICAL_LEAD]), User.is_active_account)
            .order_by(User.full_name)
        )
    )


def rota_person(actor_id: int, user_id: int, kind: ShiftKind) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or user.role is not SHIFT_ROLE[kind] or not user.is_active_account:
        return None
    return user


def mobile_of(actor_id: int) -> str | None:
    contact = db.session.get(StaffContact, actor_id)
    return contact.mobile_e164 if contact else None


def precision_by_rule(actor_id: int) -> dict[str, RulePrecision]:
    """Each rule's share of upheld verdicts among the items it raised and moderators decided."""
    verdicts: list[tuple[str, Verdict]] = []
    for rule_ids, verdict in db.session.execute(
        select(ModerationItem.rule_ids, ModerationItem.verdict).where(
            ModerationItem.verdict.is_not(None)
        )
    ):
        verdicts.extend((rule_id, Verdict(verdict)) for rule_id in rule_ids)
    return moderation.precision(verdicts)


def posts_to_backtest(actor_id: int) -> list[tuple[int, str]]:
    """Every stored post's id and text (moderators may read them all, removed ones included)."""
    return [
        (row[0], row[1]) for row in db.session.execute(select(Post.id, Post.body).order_by(Post.id))
    ]


def post_bodies(actor_id: int, post_ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(select(Post.id, Post.body).where(Post.id.in_(post_ids))).all()
    return {post_id: body for post_id, body in rows}


@dataclass(frozen=True)
class Escalation:
    item: ModerationItem
    subject: Subject
    patient: User
    profile: PatientProfile | None
    escalated_by: str = ""  # the moderator who escalated it ("" for an alert texted out)
    reason: str = ""  # and why, in their words


@dataclass(frozen=True)
class Escalations:
    waiting: list[Escalation]  # clinical risk first, then the longest waiting
    followed_up: list[Escalation]  # the latest FOLLOWED_UP_SHOWN, newest first


FOLLOWED_UP_SHOWN = 50

_ESCALATED = or_(
    ModerationItem.escalated_to_clinical_at.is_not(None), ModerationItem.escalations_sent > 0
)
# (as `ModerationItem.waits_for_follow_up`)
_WAITS = ~(
    select(EscalationFollowUp.id)
    .where(
        EscalationFollowUp.item_id == ModerationItem.id,
        EscalationFollowUp.at
        >= func.coalesce(ModerationItem.escalated_to_clinical_at, ModerationItem.created_at),
    )
    .exists()
)
_LAST_FOLLOW_UP = (
    select(func.max(EscalationFollowUp.at))
    .where(EscalationFollowUp.item_id == ModerationItem.id)
    .scalar_subquery()
)


def is_escalated(item: ModerationItem) -> bool:
    """On the clinical lead's escalation page: escalated by a moderator, or texted out."""
    return item.escalated_to_clinical_at is not None or item.escalations_sent > 0


def escalations(actor_id: int) -> Escalations:
    """For the clinical lead only: escalated items (and alerts texted out) with the patient's
    identity, so they can act on the clinical record; those waiting for follow-up, and the
    latest followed up."""
    waiting = db.session.scalars(
        select(ModerationItem)
        .where(_ESCALATED, _WAITS)
        .order_by(ModerationItem.is_clinical_risk.desc(), ModerationItem.created_at)
    ).all()
    followed_up = db.session.scalars(
        select(ModerationItem)
        .where(_ESCALATED, not_(_WAITS))
        .order_by(_LAST_FOLLOW_UP.desc(), ModerationItem.id.desc())
        .limit(FOLLOWED_UP_SHOWN)
    ).all()
    about = subjects([*waiting, *followed_up])
    return Escalations(
        [_escalation(item, about) for item in waiting],
        [_escalation(item, about) for item in followed_up],
    )


def escalation(actor_id: int, item_id: int) -> Escalation:
    """One escalation, for the clinical lead's follow-up (404 for an item never escalated)."""
    item = item_for(actor_id, item_id)
    if not is_escalated(item):
        abort(404)
    return _escalation(item, subjects([item]))


def same_subject(item: ModerationItem) -> ColumnElement[bool]:
    """Queue items about the same post or group message as `item`."""
    if item.post_id is not None:
        return ModerationItem.post_id == item.post_id
    return ModerationItem.group_message_id == item.group_message_id


def items_about_the_same(item: ModerationItem) -> list[ModerationItem]:
    """Every queue item about the same post or group message as `item`, itself included."""
    return list(
        db.session.scalars(
            select(ModerationItem).where(same_subject(item)).order_by(ModerationItem.id)
        )
    )


def _escalation(item: ModerationItem, about: dict[int, Subject]) -> Escalation:
    patient = db.session.get(User, item.author_id)
    assert patient is not None
    by, reason = _escalated_by(item)
    profile = db.session.get(PatientProfile, patient.id)
    return Escalation(item, about[item.id], patient, profile, by, reason)


def _escalated_by(item: ModerationItem) -> tuple[str, str]:
    """Who escalated the item and why (the latest escalation's audit row)."""
    subject = (
        (POST, item.post_id) if item.post_id is not None else (GROUP_MESSAGE, item.group_message_id)
    )
    row = db.session.execute(
        select(User.full_name, AuditEvent.detail)
        .join(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.action == "moderation.escalated",
            AuditEvent.subject_type == subject[0],
            AuditEvent.subject_id == subject[1],
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    ).first()
    return (row[0], str(row[1].get("reason", ""))) if row else ("", "")


def open_queue_item(actor_id: int, item_id: int) -> ModerationItem | None:
    item = db.session.get(ModerationItem, item_id)
    return item if item is not None and item.resolved_at is None else None


def audit_count(action: str, subject_type: str, subject_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == action,
                AuditEvent.subject_type == subject_type,
                AuditEvent.subject_id == subject_id,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class ThreadLine:
    thread: Thread
    posts: int
    held: int
    last_post_at: datetime


def recent_threads(actor_id: int, space_id: int | None, *, limit: int = 50) -> list[ThreadLine]:
    """The most recently active conversations (in one space, or all), for moderators reading
    the community: every post counts, whatever its status."""
    last = func.max(Post.created_at)
    statement = (
        select(
            Thread,
            func.count(Post.id),
            func.count(Post.id).filter(Post.status == PostStatus.HELD),
            last,
        )
        .join(Post, Post.thread_id == Thread.id)
        .options(joinedload(Thread.space))
        .group_by(Thread.id)
        .order_by(last.desc(), Thread.id.desc())
        .limit(limit)
    )
    if space_id is not None:
        statement = statement.where(Thread.space_id == space_id)
    return [ThreadLine(*row) for row in db.session.execute(statement).all()]


def all_spaces(actor_id: int) -> list[Space]:
    return list(db.session.scalars(select(Space).order_by(Space.position, Space.id)))


def thread_or_404(actor_id: int, thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        abort(404)
    return thread


def open_item_ids(post_ids: list[int]) -> dict[int, int]:
    """Each post's open queue item, if it has one."""
    rows = db.session.execute(
        select(ModerationItem.post_id, func.min(ModerationItem.id))
        .where(ModerationItem.post_id.in_(post_ids), ModerationItem.resolved_at.is_(None))
        .group_by(ModerationItem.post_id)
    )
    return {post_id: item_id for post_id, item_id in rows if post_id is not None}


def post_or_404(actor_id: int, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    return post


def thread_context(actor_id: int, thread_id: int) -> list[Post]:
    """Every post in the thread, whatever its status (moderators judge a post in its context)."""
    return list(
        db.session.scalars(
            select(Post)
            .options(joinedload(Post.author))
            .where(Post.thread_id == thread_id)
            .order_by(Post.created_at, Post.id)
        )
    )
