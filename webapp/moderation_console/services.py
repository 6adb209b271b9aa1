"""Writes for moderation: queueing matched and reported posts, acknowledging alerts, the
moderators' decisions, escalation to the on-call clinical lead, watchwords and the rota.

One write = one function = one transaction (except `queue_match` and `queue_report`, which join
the community's posting transaction); time is passed in as `now`. Every decision is audited with
its reason. Moderators act on handles; only escalation to the clinical lead links a post to the
patient's record (the escalation page, for the clinical lead alone).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from moderation import Action, Decision, Verdict
from webapp import audit
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    EscalationFollowUp,
    GroupMessage,
    ItemKind,
    ModerationItem,
    ModeratorMessage,
    Post,
    PostStatus,
    Resolution,
    ShiftKind,
    StaffContact,
    User,
)
from webapp.moderation_console import queries
from webapp.moderation_console.queries import GROUP_MESSAGE, POST
from webapp.notify import DeliveryError, send_sms

log = logging.getLogger(__name__)

KIND_OF_ACTION = {
    Action.ALERT: ItemKind.ALERT,
    Action.HOLD: ItemKind.HOLD,
    Action.FLAG: ItemKind.FLAG,
}

# What a moderator's escalation is about (the audit rows' subject type), as its text names it.
ESCALATED_SUBJECTS = {POST: "a community post", GROUP_MESSAGE: "a group meeting's risk alert"}


class ModerationRefused(ValueError):
    """The decision cannot be made as asked; nothing was changed."""


def acknowledge_minutes() -> timedelta:
    return timedelta(minutes=current_app.config["ALERT_ACKNOWLEDGE_MINUTES"])


def repeat_minutes() -> timedelta:
    return timedelta(minutes=current_app.config["ALERT_REPEAT_MINUTES"])


# --- into the queue ------------------------------------------------------------------------------


def queue_match(post: Post, decision: Decision, *, now: datetime) -> ModerationItem | None:
    """In the poster's transaction: queue a post the watchwords matched (None if none did).
    An alert gets its escalation time: at once with no moderator on shift, else after the
    acknowledgement window."""
    if decision.action is None:
        return None
    kind = KIND_OF_ACTION[decision.action]
    item = ModerationItem(
        post_id=post.id,
        kind=kind,
        is_clinical_risk=decision.is_clinical_risk,
        rule_ids=sorted({match.rule_id for match in decision.matches}),
        created_at=now,
    )
    if kind is ItemKind.ALERT:
        _start_clock(item, now)
    db.session.add(item)
    db.session.flush()
    return item


def queue_group_alert(message_id: int, rule_ids: list[str], *, now: datetime) -> ModerationItem:
    """In the group message's own transaction: a member's clinical-risk message in a meeting is
    an alert like a post's, with the same acknowledgement window and escalation."""
    item = ModerationItem(
        group_message_id=message_id,
        kind=ItemKind.ALERT,
        is_clinical_risk=True,
        rule_ids=rule_ids,
        created_at=now,
    )
    _start_clock(item, now)
    db.session.add(item)
    db.session.flush()
    return item


def _start_clock(alert: ModerationItem, now: datetime) -> None:
    """Escalate at once with no moderator on shift, else after the acknowledgement window."""
    covered = bool(queries.on_shift(ShiftKind.MODERATOR, now))
    alert.next_escalation_at = now + acknowledge_minutes() if covered else now


def queue_report(
    post: Post, reporter: CommunityMember, reason: str, *, now: datetime
) -> ModerationItem:
    item = ModerationItem(
        post_id=post.id,
        kind=ItemKind.REPORT,
        is_clinical_risk=False,
        rule_ids=[],
        reporter_id=reporter.user_id,
        reason=reason,
        created_at=now,
    )
    db.session.add(item)
    db.session.flush()
    return item


def queue_for_review(post: Post, moderator: User, reason: str, *, now: datetime) -> ModerationItem:
    """A moderator reading the community puts a post in the queue, to decide on it there: its
    open item if it has one, otherwise a new one with their reason (audited)."""
    reason = _need(reason)
    existing = queries.open_items_on_post(post.id)
    if existing:
        return existing[0]
    with db.transaction():
        item = _moderators_item(post, f"Raised by a moderator: {reason}", now)
        db.session.flush()
        _audit("queued", moderator, post, reason)
    after_queued(item, now=now)
    return item


def _moderators_item(post: Post, reason: str, now: datetime) -> ModerationItem:
    """A queue item a moderator opens on a post that has none (a report in their name)."""
    item = ModerationItem(
        post_id=post.id,
        kind=ItemKind.REPORT,
        is_clinical_risk=post.is_clinical_risk,
        rule_ids=[],
        reason=reason,
        created_at=now,
    )
    db.session.add(item)
    return item


def after_queued(item: ModerationItem | None, *, now: datetime) -> None:
    """Once committed: show the item on moderators' screens, and start an alert's clock."""
    if item is None:
        return
    from webapp.moderation_console import jobs, sockets

    sockets.announce(item)
    if item.kind is ItemKind.ALERT and item.next_escalation_at is not None:
        jobs.watch_alert(item.id, item.next_escalation_at, now=now)


# --- alerts and escalation ----------------------------------------------------------------------


def acknowledge(item: ModerationItem, by: User, *, now: datetime) -> bool:
    """Someone is seeing to the alert (a moderator or clinical lead from the queue, or a group
    meeting's facilitator from its room): the on-call clinician will not be texted. Every
    moderator's queue and, for a group alert, the meeting's facilitators are told. False if
    it was already acknowledged."""
    if item.kind is not ItemKind.ALERT:
        raise ModerationRefused("Only alerts need acknowledging")
    if item.acknowledged_at is not None:
        return False
    with db.transaction() as session:
        claimed = session.execute(  # (a facilitator and a moderator may press at once)
            update(ModerationItem)
            .where(ModerationItem.id == item.id, ModerationItem.acknowledged_at.is_(None))
            .values(acknowledged_at=now, acknowledged_by_id=by.id, next_escalation_at=None)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            audit.record(
                "moderation.alert_acknowledged",
                actor=by,
                subject_type="moderation_item",
                subject_id=item.id,
                detail={"minutes": int((now - item.created_at).total_seconds() // 60)},
            )
    db.session.refresh(item)
    if claimed.rowcount != 1:  # someone else's acknowledgement came first
        return False
    from webapp.moderation_console import sockets

    sockets.announce_acknowledged(item.id)
    if item.group_message is not None:
        from webapp.groups import sockets as group_sockets

        group_sockets.announce_acknowledged(item.group_message.occurrence_id, item.id, by)
    return True


def on_call_numbers(now: datetime) -> list[str]:
    """Mobiles of clinical leads on an on-call shift now, else the configured on-call number."""
    numbers = [
        contact.mobile_e164
        for user in queries.on_shift(ShiftKind.CLINICAL_ON_CALL, now)
        if (contact := db.session.get(StaffContact, user.id)) is not None
    ]
    fallback = current_app.config["ON_CALL_MOBILE"]
    return numbers or ([fallback] if fallback else [])


def _claim_due_alert(item_id: int, now: datetime) -> tuple[ModerationItem | None, datetime | None]:
    """Lock the alert and, if it is due, move its next time on (claiming this round, so that a
    concurrent or repeated run sends nothing). Returns (item to text about, next look)."""
    with db.transaction():
        item = db.session.scalar(
            select(ModerationItem).where(ModerationItem.id == item_id).with_for_update()
        )
        if item is None or item.kind is not ItemKind.ALERT or item.next_escalation_at is None:
            return None, None
        if item.acknowledged_at is not None or item.resolved_at is not None:
            return None, None
        if now < item.next_escalation_at:
            return None, item.next_escalation_at
        item.next_escalation_at = now + repeat_minutes()
        return item, item.next_escalation_at


def escalate_if_due(item_id: int, *, now: datetime) -> datetime | None:
    """Text the on-call clinical lead about an unacknowledged alert that is due; returns when
    to look again (None once acknowledged or resolved). Idempotent: a second run before the next
    due time sends nothing. The text carries no name, handle or post content."""
    item, next_look = _claim_due_alert(item_id, now)
    if item is None:
        return next_look
    numbers = on_call_numbers(now)
    minutes = int((now - item.created_at).total_seconds() // 60)
    body = (
        f"Talking Therapies community: a risk alert (item {item.id}) has waited {minutes} min "
        "without a moderator acknowledging it. Please open the moderation console now."
    )
    sent = []
    for number in numbers:
        try:
            send_sms(number, body)
            sent.append(number)
        except DeliveryError:
            log.exception("escalation text to the on-call clinical lead failed (item %s)", item.id)
    if not numbers:
        log.error("risk alert %s is due but nobody is on call: set ON_CALL_MOBILE", item.id)
    with db.transaction():
        item.escalations_sent += 1 if sent else 0
        audit.record(
            "moderation.alert_escalated" if sent else "moderation.alert_escalation_failed",
            subject_type="moderation_item",
            subject_id=item.id,
            detail={"texts": len(sent), "numbers_tried": len(numbers)},
        )
    return next_look


# --- decisions ----------------------------------------------------------------------------------


def _audit(action: str, moderator: User, post: Post, reason: str, **detail: object) -> None:
    audit.record(
        f"moderation.{action}",
        actor=moderator,
        subject_type=POST,
        subject_id=post.id,
        detail={"reason": reason, **detail},
    )


@dataclass(frozen=True)
class Deciding:
    """The queue item a decision is made from, and what its page said had been decided ("" for
    nothing yet)."""

    item: ModerationItem
    shown: str


def _resolve_open_items(
    post: Post,
    moderator: User,
    resolution: Resolution,
    now: datetime,
    deciding: Deciding | None = None,
) -> None:
    """Inside the decision's transaction. A decision from a page that said the item was open,
    while another moderator has since decided it, is refused: it would silently reverse
    theirs. From a page that showed the earlier decision it replaces it, and says so."""
    verdict = Verdict.DISMISSED if resolution is Resolution.APPROVED else Verdict.UPHELD
    if deciding is not None:
        item = db.session.execute(
            select(ModerationItem)
            .where(ModerationItem.id == deciding.item.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        decided = item.resolution.value if item.resolution is not None else ""
        if decided != deciding.shown:
            raise ModerationRefused(
                f"Another decision was made on this item while you had it open ("
                f"{decided or 'it was reopened'}). Nothing was changed: read the item again."
            )
        if item.resolution is not None:
            audit.record(
                "moderation.decision_replaced",
                actor=moderator,
                subject_type="moderation_item",
                subject_id=item.id,
                detail={"was": decided, "now": resolution.value},
            )
            _resolve(item, moderator, resolution, verdict, now)
    for item in queries.open_items_on_post(post.id):
        _resolve(item, moderator, resolution, verdict, now)


def _resolve(
    item: ModerationItem, moderator: User, resolution: Resolution, verdict: Verdict, now: datetime
) -> None:
    item.resolved_at = now
    item.resolved_by_id = moderator.id
    item.resolution = resolution
    item.verdict = None if item.kind is ItemKind.REPORT else verdict.value
    _acknowledge_if_waiting(item, moderator, now)


def _acknowledge_if_waiting(item: ModerationItem, moderator: User, now: datetime) -> None:
    """A decision on an alert answers it: no more texts to the on-call clinical lead."""
    if item.kind is ItemKind.ALERT and item.acknowledged_at is None:
        item.acknowledged_at, item.acknowledged_by_id = now, moderator.id
    item.next_escalation_at = None


def _need(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ModerationRefused("Give a reason: it is kept in the audit log")
    return reason


def approve(
    post: Post, moderator: User, reason: str, *, now: datetime, deciding: Deciding | None = None
) -> None:
    """The post may be seen: it appears (if held) and its queue items close as false alarms."""
    reason = _need(reason)
    with db.transaction():
        _resolve_open_items(post, moderator, Resolution.APPROVED, now, deciding)
        post.status = PostStatus.VISIBLE
        _audit("approved", moderator, post, reason)


def edit(
    post: Post,
    moderator: User,
    reason: str,
    new_body: str,
    note: str,
    *,
    now: datetime,
    deciding: Deciding | None = None,
) -> None:
    """Replace the text (the original is kept in the audit row), show a note, and publish."""
    reason = _need(reason)
    if not new_body.strip():
        raise ModerationRefused("Enter the edited text, or remove the post instead")
    if not note.strip():
        raise ModerationRefused("Enter a note for readers, for example: a phone number was removed")
    with db.transaction():
        _resolve_open_items(post, moderator, Resolution.EDITED, now, deciding)
        _audit("edited", moderator, post, reason, original=post.body, note=note.strip())
        post.body = new_body.strip()
        post.moderator_note = note.strip()
        post.edited_at = now
        post.status = PostStatus.VISIBLE


def remove(
    post: Post, moderator: User, reason: str, *, now: datetime, deciding: Deciding | None = None
) -> None:
    """Hidden from every member (its author included); kept for the record."""
    reason = _need(reason)
    with db.transaction():
        _resolve_open_items(post, moderator, Resolution.REMOVED, now, deciding)
        post.status = PostStatus.REMOVED
        _audit("removed", moderator, post, reason)


def message_author(
    post: Post, moderator: User, reason: str, body: str, *, now: datetime, is_warning: bool = False
) -> ModeratorMessage:
    reason = _need(reason)
    if not body.strip():
        raise ModerationRefused("Enter the message to send")
    with db.transaction():
        message = ModeratorMessage(
            member_id=post.author_id,
            sender_id=moderator.id,
            post_id=post.id,
            body=body.strip(),
            is_warning=is_warning,
            sent_at=now,
        )
        db.session.add(message)
        if is_warning:
            post.author.warnings += 1
        _audit("warned" if is_warning else "messaged", moderator, post, reason)
    return message


def suspend(post: Post, moderator: User, reason: str, days: int | None, *, now: datetime) -> None:
    reason = _need(reason)
    if days is None or not 1 <= days <= 90:
        raise ModerationRefused("Enter how many days to pause posting, from 1 to 90")
    with db.transaction():
        post.author.suspended_until = now + timedelta(days=days)
        _audit("suspended", moderator, post, reason, days=days)


def escalate_to_clinical(post: Post, moderator: User, reason: str, *, now: datetime) -> None:
    """Ask the clinical lead to look: the post's items appear on the escalation page, which
    alone shows the patient's identity."""
    reason = _need(reason)
    items = queries.open_items_on_post(post.id)
    with db.transaction():
        if not items:
            items = [_moderators_item(post, f"Escalated by a moderator: {reason}", now)]
        for item in items:
            item.escalated_to_clinical_at = now
            _acknowledge_if_waiting(item, moderator, now)
        _audit("escalated", moderator, post, reason)
    from webapp.moderation_console import jobs

    jobs.text_escalation(POST, post.id, now=now)


# --- a group meeting's alert ---------------------------------------------------------------------

GROUP_VERDICTS = {"upheld": Verdict.UPHELD, "dismissed": Verdict.DISMISSED}


def _still_open(item: ModerationItem) -> GroupMessage:
    """The group message an open group alert is about."""
    if item.group_message is None:
        raise ModerationRefused("This item is not about a group meeting")
    if item.resolved_at is not None:
        raise ModerationRefused("This alert is already closed")
    return item.group_message


def close_group_alert(
    item: ModerationItem, moderator: User, reason: str, verdict: Verdict, *, now: datetime
) -> None:
    """Checked with the facilitator: the item leaves the queue. The message stays held from the
    group (the facilitator runs the room); the verdict counts towards the rules' precision."""
    reason = _need(reason)
    message = _still_open(item)
    with db.transaction():
        _resolve(item, moderator, Resolution.CLOSED, verdict, now)
        audit.record(
            "moderation.group_alert_closed",
            actor=moderator,
            subject_type=GROUP_MESSAGE,
            subject_id=message.id,
            detail={"reason": reason, "verdict": verdict.value},
        )
    from webapp.groups import sockets as group_sockets
    from webapp.moderation_console import sockets

    sockets.announce_closed(item.id)
    group_sockets.announce_alert_closed(message.occurrence_id, item.id)


def escalate_group_alert(
    item: ModerationItem, moderator: User, reason: str, *, now: datetime
) -> None:
    """Ask the clinical lead to look (their escalation page alone shows who the member is), and
    text the on-call clinical lead. The item stays open until a moderator closes it."""
    reason = _need(reason)
    message = _still_open(item)
    was_waiting = item.acknowledged_at is None
    with db.transaction():
        item.escalated_to_clinical_at = now
        _acknowledge_if_waiting(item, moderator, now)
        audit.record(
            "moderation.escalated",
            actor=moderator,
            subject_type=GROUP_MESSAGE,
            subject_id=message.id,
            detail={"reason": reason},
        )
    from webapp.groups import sockets as group_sockets
    from webapp.moderation_console import jobs, sockets

    if was_waiting:
        sockets.announce_acknowledged(item.id)
    group_sockets.announce_escalated(message.occurrence_id, item.id, moderator)
    jobs.text_escalation(GROUP_MESSAGE, message.id, now=now)


# --- the clinical lead's follow-up ---------------------------------------------------------------

FOLLOW_UP_NOTE_LIMIT = 2000


def follow_up_state(items: list[ModerationItem]) -> str:
    """What a follow-up page shows of the items it covers: each escalated item, when it last
    came to the clinical lead and how many follow-ups it has. A save from a page showing
    another state is refused, so a new escalation is never closed unseen."""
    return ";".join(
        f"{item.id}@{item.escalated_at.isoformat()}#{len(item.follow_ups)}"
        for item in sorted(items, key=lambda each: each.id)
        if queries.is_escalated(item)
    )


def follow_up_escalation(
    item: ModerationItem, lead: User, note: str, *, now: datetime, shown: str
) -> list[ModerationItem]:
    """The clinical lead records what they did about an escalation. The note goes on the item
    and on every other escalated item about the same post or group message that waits for
    follow-up, so they all leave the page's waiting list; an alert still being texted out is
    acknowledged by it. Refused if anything about them changed since the page was shown
    (`shown`, from `follow_up_state`): another follow-up, or another escalation. Returns the
    items followed up."""
    note = note.strip()
    if not note:
        raise ModerationRefused("Say what was done: it is kept with the escalation")
    if len(note) > FOLLOW_UP_NOTE_LIMIT:
        raise ModerationRefused(
            f"The follow-up note must be {FOLLOW_UP_NOTE_LIMIT:,} characters or fewer"
        )
    with db.transaction() as session:
        about = session.scalars(
            select(ModerationItem)
            .where(queries.same_subject(item))
            .order_by(ModerationItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        for each in about:
            session.refresh(each, ["follow_ups"])
        if follow_up_state(list(about)) != shown:
            raise ModerationRefused(
                "Something changed while you had this page open: another follow-up was "
                "recorded, or it was escalated again. Nothing was saved: read it again below, "
                "then save yours."
            )
        followed = [item] + [
            other
            for other in about
            if other.id != item.id and queries.is_escalated(other) and other.waits_for_follow_up
        ]
        acknowledged = [
            each
            for each in followed
            if each.kind is ItemKind.ALERT and each.acknowledged_at is None
        ]
        for each in followed:
            session.add(EscalationFollowUp(item=each, by_id=lead.id, at=now, note=note))
        for each in acknowledged:
            _acknowledge_if_waiting(each, lead, now)
            audit.record(
                "moderation.alert_acknowledged",
                actor=lead,
                subject_type="moderation_item",
                subject_id=each.id,
                detail={"minutes": int((now - each.created_at).total_seconds() // 60)},
            )
        audit.record(
            "moderation.escalation_followed_up",
            actor=lead,
            subject_type="moderation_item",
            subject_id=item.id,
            # (the note is about an identified patient: encrypted with the follow-up, not here)
            detail={"items": [each.id for each in followed], "note_length": len(note)},
        )
    from webapp.moderation_console import sockets

    for each in acknowledged:
        sockets.announce_acknowledged(each.id)
        if each.group_message is not None:
            from webapp.groups import sockets as group_sockets

            group_sockets.announce_acknowledged(each.group_message.occurrence_id, each.id, lead)
    return followed


# --- texts about a moderator's escalation --------------------------------------------------------


def text_escalation_if_owed(subject_type: str, subject_id: int, *, now: datetime) -> int:
    """Text the on-call clinical lead once per moderator escalation of this post or group
    message (the audit log counts both), so a repeated job sends nothing. Returns how many
    texts went."""
    escalated, texted = (
        queries.audit_count(action, subject_type, subject_id)
        for action in ("moderation.escalated", "moderation.escalation_texted")
    )
    if texted >= escalated:
        return 0
    body = (
        f"Talking Therapies community: a moderator has escalated {ESCALATED_SUBJECTS[subject_type]}"
        " to the clinical lead. Please open Escalations in the moderation console."
    )
    sent = 0
    for number in on_call_numbers(now):
        try:
            send_sms(number, body)
            sent += 1
        except DeliveryError:
            log.exception(
                "escalation text to the on-call clinical lead failed (%s %s)",
                subject_type,
                subject_id,
            )
    with db.transaction():
        audit.record(
            "moderation.escalation_texted",
            subject_type=subject_type,
            subject_id=subject_id,
            detail={"texts": sent},
        )
    return sent


def open_alert_ids() -> list[int]:
    """Alerts still waiting for acknowledgement (for the worker to re-arm after a restart)."""
    return list(
        db.session.scalars(
            select(ModerationItem.id).where(
                ModerationItem.kind == ItemKind.ALERT,
                ModerationItem.acknowledged_at.is_(None),
                ModerationItem.resolved_at.is_(None),
            )
        )
    )
