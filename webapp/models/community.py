"""The peer community: members (pseudonymous handles), spaces, threads, posts, reactions,
reports; and its moderation: the queue, watchword rules, the rota, private messages to members.

Post text is stored as plain text, not encrypted: the community is semi-public (every member can
read a visible post), moderators must read it and back-testing scans every stored post. Real names
never appear in community tables; a member is known by `handle` everywhere except on the clinical
lead's escalation page.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base, EncryptedText, UTCDateTime, enum_values, utcnow
from webapp.models.people import User

if TYPE_CHECKING:
    from webapp.models.groups import GroupMessage


class CommunityMember(Base):
    """A patient who joined the community: their handle and house-rules acceptance."""

    __tablename__ = "community_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    house_rules_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and now < self.suspended_until


class Space(Base):
    """A topic area, e.g. "Anxiety and worry"."""

    __tablename__ = "community_spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # False for the voice space, which holds survey answers and suggestions as posts (so they
    # are screened and moderated as posts) but is never listed or opened as a community space.
    is_listed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Thread(Base):
    __tablename__ = "community_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("community_spaces.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("community_members.user_id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    space: Mapped[Space] = relationship()
    author: Mapped[CommunityMember] = relationship()


class PostStatus(enum.StrEnum):
    VISIBLE = "visible"  # everyone in the community sees it
    HELD = "held"  # waiting for a moderator; only its author sees it
    REMOVED = "removed"  # kept for the record, hidden from every member (its author included)


class Post(Base):
    """A thread's opening post or a reply (plain text; see the module docstring)."""

    __tablename__ = "community_posts"
    __table_args__ = (Index("ix_community_posts_created", "created_at"),)  # monthly reports

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("community_members.user_id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The thread's first post: screened with the title, and the thread is seen only when it is.
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PostStatus] = mapped_column(
        Enum(PostStatus, name="post_status", values_callable=enum_values)
    )
    is_clinical_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Shown under a post a moderator edited, e.g. "A phone number was removed".
    moderator_note: Mapped[str | None] = mapped_column(Text)

    thread: Mapped[Thread] = relationship()
    author: Mapped[CommunityMember] = relationship()


class Reaction(Base):
    """A member's "sending support" on a post: one per member per post."""

    __tablename__ = "community_reactions"
    __table_args__ = (UniqueConstraint("post_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("community_members.user_id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ItemKind(enum.StrEnum):
    """Why a post is in the moderation queue; `severity` orders the queue within risk."""

    ALERT = "alert"  # clinical-risk watchword: held, moderator on shift alerted
    HOLD = "hold"  # house-rules watchword: held until reviewed
    FLAG = "flag"  # watchword: visible, reviewed after
    REPORT = "report"  # a member reported it

    @property
    def severity(self) -> int:
        return {ItemKind.ALERT: 4, ItemKind.HOLD: 3, ItemKind.REPORT: 2, ItemKind.FLAG: 1}[self]


class Resolution(enum.StrEnum):
    APPROVED = "approved"
    EDITED = "edited"
    REMOVED = "removed"
    CLOSED = "closed"  # a group meeting's alert, checked with the facilitator: the room decides


class ModerationItem(Base):
    """One entry in the moderators' queue: a watchword match or a member's report on a post, or
    a clinical-risk alert on a member's message in a group meeting (`group_message_id`; the
    facilitator runs the room, so a moderator acknowledges, closes or escalates it).

    Alerts carry their acknowledgement and SMS escalation state: `next_escalation_at` is when the
    escalation job next texts the on-call clinical lead unless someone has acknowledged it.
    """

    __tablename__ = "moderation_items"
    __table_args__ = (
        Index("ix_moderation_items_open", "resolved_at", "is_clinical_risk"),
        Index("ix_moderation_items_created", "created_at"),  # monthly reports
        CheckConstraint("(post_id IS NULL) <> (group_message_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("community_posts.id"), index=True)
    group_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_messages.id"), index=True
    )
    kind: Mapped[ItemKind] = mapped_column(
        Enum(ItemKind, name="moderation_item_kind", values_callable=enum_values)
    )
    is_clinical_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    rule_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # For a report: who reported it and why (shown to moderators by handle only).
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("community_members.user_id"))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalations_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated_to_clinical_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[Resolution | None] = mapped_column(
        Enum(Resolution, name="moderation_resolution", values_callable=enum_values)
    )
    # The moderator's verdict on the rules that raised it ("upheld"/"dismissed"; None for reports).
    verdict: Mapped[str | None] = mapped_column(String(20))

    post: Mapped[Post | None] = relationship()
    group_message: Mapped[GroupMessage | None] = relationship()
    reporter: Mapped[CommunityMember | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    follow_ups: Mapped[list[EscalationFollowUp]] = relationship(
        order_by="EscalationFollowUp.id", back_populates="item"
    )

    @property
    def escalated_at(self) -> datetime:
        """When it last came to the clinical lead: a moderator's escalation, else its alert."""
        return self.escalated_to_clinical_at or self.created_at

    @property
    def waits_for_follow_up(self) -> bool:
        """No follow-up recorded since it last came to the clinical lead."""
        return all(follow_up.at < self.escalated_at for follow_up in self.follow_ups)

    @property
    def author_id(self) -> int:
        """The member it is about: the post's author, or the group message's sender."""
        if self.group_message is not None:
            return self.group_message.sender_id
        assert self.post is not None  # the table's check: one or the other
        return self.post.author_id


class EscalationFollowUp(Base):
    """What the clinical lead did about an escalated item: the note is about an identified
    patient, so it is encrypted, as clinical notes are. An item escalated again after its last
    follow-up waits for another."""

    __tablename__ = "escalation_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("moderation_items.id"), index=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(EncryptedText())

    item: Mapped[ModerationItem] = relationship(back_populates="follow_ups")
    by: Mapped[User] = relationship()


class WatchwordRule(Base):
    """A watchword managed in the database. A row whose id matches a shipped rule overrides it
    (so a shipped rule can be switched off); the engine is rebuilt when `changed_at` moves."""

    __tablename__ = "watchword_rules"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    tier: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    pattern: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ShiftKind(enum.StrEnum):
    MODERATOR = "moderator"  # watching the queue
    CLINICAL_ON_CALL = "clinical_on_call"  # texted when an alert escalates


class Shift(Base):
    """The rota: who is on duty from `starts_at` to `ends_at` (UTC)."""

    __tablename__ = "rota_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[ShiftKind] = mapped_column(
        Enum(ShiftKind, name="shift_kind", values_callable=enum_values)
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class StaffContact(Base):
    """A staff member's work mobile, for on-call escalation texts."""

    __tablename__ = "staff_contacts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mobile_e164: Mapped[str] = mapped_column(String(16))


class ModeratorMessage(Base):
    """A private message from a moderator to a member (a warning is one, marked as such)."""

    __tablename__ = "moderator_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("community_members.user_id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("community_posts.id"))
    body: Mapped[str] = mapped_column(Text)
    is_warning: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
