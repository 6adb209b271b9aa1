"""Writes for community members: joining with a handle, posting (screened on submission),
supporting a post and reporting one. One write = one function = one transaction; time is passed
in as `now`. Matches and reports go to the moderators' queue in the same transaction, and are
announced (and alerts put on their escalation clock) once it has committed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from moderation import Decision
from webapp import audit
from webapp.community import queries
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    ModerationItem,
    Post,
    PostStatus,
    Reaction,
    Space,
    Thread,
    User,
)
from webapp.moderation_console import services as moderation
from webapp.moderation_console.watchwords import current_engine

HANDLE_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,29}")
NAME_PART_MIN = 3  # shorter parts of a name ("Al", "Jo") are too common to refuse in a handle


class Refused(ValueError):
    """The member's request cannot be done; the message says why and what to do."""


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def handle_problem(handle: str, full_name: str) -> str | None:
    """Why `handle` may not be used, or None. House rules: no real names (the patient's own name
    is compared, ignoring case, accents and separators), no contact details or other sites."""
    if not HANDLE_SHAPE.fullmatch(handle):
        return (
            "Your name in the community must be 3 to 30 letters, numbers, hyphens or "
            "underscores, starting with a letter or number"
        )
    folded = _folded(handle)
    for part in re.split(r"[\s'-]+", full_name):
        part_folded = _folded(part)
        if len(part_folded) >= NAME_PART_MIN and part_folded in folded:
            return "Choose a name that does not include your real name, to keep you anonymous"
    spaced = re.sub(r"[_-]+", " ", handle)
    # Any watchword at all: a handle is shown beside every post, so nothing a rule would hold.
    if any(current_engine().check(text) for text in (handle, spaced)):
        return "Choose a name without contact details, other websites or unkind words"
    return None


def join(user: User, handle: str, *, now: datetime) -> CommunityMember:
    handle = handle.strip()
    problem = handle_problem(handle, user.full_name)
    if problem is None and queries.is_handle_taken(user.id, handle):
        problem = "That name is already taken. Choose another one"
    if problem is not None:
        raise Refused(problem)
    with db.transaction():
        member = CommunityMember(
            user_id=user.id, handle=handle, joined_at=now, house_rules_accepted_at=now
        )
        db.session.add(member)
        audit.record(
            "community.joined",
            actor=user,
            subject_type="community_member",
            subject_id=user.id,
            detail={"handle": handle},
        )
    return member


@dataclass(frozen=True)
class Posted:
    post: Post
    decision: Decision

    @property
    def is_held(self) -> bool:
        return self.post.status is PostStatus.HELD


def _check_can_post(member: CommunityMember, now: datetime) -> None:
    if member.is_suspended(now):
        assert member.suspended_until is not None
        raise Refused(
            "A moderator has paused your posting for now. You can read the community, and "
            "post again after the pause ends."
        )


def store_post(
    member: CommunityMember,
    thread: Thread,
    body: str,
    decision: Decision,
    *,
    is_opening: bool,
    now: datetime,
) -> tuple[Post, ModerationItem | None]:
    """Store a screened post (held if the decision holds it), queue any match for the
    moderators and audit it; inside the caller's transaction. The voice feature uses it too."""
    post = Post(
        thread=thread,
        author_id=member.user_id,
        body=body,
        is_opening=is_opening,
        status=PostStatus.HELD if decision.is_held else PostStatus.VISIBLE,
        is_clinical_risk=decision.is_clinical_risk,
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    item = moderation.queue_match(post, decision, now=now)
    audit.record(
        "community.posted",
        actor=member.user,
        subject_type="community_post",
        subject_id=post.id,
        detail={
            "thread_id": thread.id,
            "status": post.status.value,
            "rules": [match.rule_id for match in decision.matches],
        },
    )
    return post, item


def start_thread(
    member: CommunityMember, space: Space, title: str, body: str, *, now: datetime
) -> Posted:
    """A new thread: its title and opening post are screened together."""
    _check_can_post(member, now)
    decision = current_engine().decide(f"{title}\n{body}")
    with db.transaction():
        thread = Thread(space_id=space.id, author_id=member.user_id, title=title, created_at=now)
        db.session.add(thread)
        post, item = store_post(member, thread, body, decision, is_opening=True, now=now)
    moderation.after_queued(item, now=now)
    return Posted(post, decision)


def reply(member: CommunityMember, thread: Thread, body: str, *, now: datetime) -> Posted:
    _check_can_post(member, now)
    decision = current_engine().decide(body)
    with db.transaction():
        post, item = store_post(member, thread, body, decision, is_opening=False, now=now)
    moderation.after_queued(item, now=now)
    return Posted(post, decision)


def toggle_support(member: CommunityMember, post: Post, *, now: datetime) -> bool:
    """Send support to a post, or take it back; returns whether it is now supported."""
    with db.transaction():
        existing = db.session.scalar(
            select(Reaction).where(
                Reaction.post_id == post.id, Reaction.member_id == member.user_id
            )
        )
        if existing is not None:
            db.session.delete(existing)
            return False
        db.session.add(Reaction(post_id=post.id, member_id=member.user_id, created_at=now))
        return True


def report(member: CommunityMember, post: Post, reason: str, *, now: datetime) -> ModerationItem:
    reason = reason.strip()
    if not reason:
        raise Refused("Tell us why you are reporting this post")
    with db.transaction():
        item = moderation.queue_report(post, member, reason, now=now)
        audit.record(
            "community.reported",
            actor=member.user,
            subject_type="community_post",
            subject_id=post.id,
            detail={"reason": reason},
        )
    moderation.after_queued(item, now=now)
    return item
