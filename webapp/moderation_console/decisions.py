"""Turns the decision form into the one service call it asks for (keeps the view thin)."""

from __future__ import annotations

from datetime import datetime

from webapp.models import ModerationItem, Post, User
from webapp.moderation_console import services, sockets
from webapp.moderation_console.forms import DecisionForm, GroupAlertForm


def apply(
    form: DecisionForm, item: ModerationItem, post: Post, moderator: User, *, now: datetime
) -> str:
    """Make the decision; returns the confirmation to show. ModerationRefused if incomplete.
    Approve, edit and remove close the post's items: every moderator's live queue drops them.
    On an item already decided they replace that decision, but only when the page showed it
    (`services.check_decision_shown`)."""
    decision = services.Deciding(item, form.decided_shown.data or "")
    message = _apply(form, post, moderator, decision, now=now)
    if form.decision.data in CLOSING:
        sockets.announce_decided(post.id)
    return message


CLOSING = frozenset({"approve", "edit", "remove"})


def _apply(
    form: DecisionForm,
    post: Post,
    moderator: User,
    deciding: services.Deciding,
    *,
    now: datetime,
) -> str:
    reason = form.reason.data or ""
    message = form.message.data or ""
    match form.decision.data:
        case "approve":
            services.approve(post, moderator, reason, now=now, deciding=deciding)
            return "Approved: the post can be seen."
        case "edit":
            services.edit(
                post,
                moderator,
                reason,
                form.edited_body.data or "",
                form.note.data or "",
                now=now,
                deciding=deciding,
            )
            return "Edited and published with your note."
        case "remove":
            services.remove(post, moderator, reason, now=now, deciding=deciding)
            return "Removed: nobody in the community can see the post."
        case "message":
            services.message_author(post, moderator, reason, message, now=now)
            return "Your message is sent to the author."
        case "warn":
            services.message_author(post, moderator, reason, message, now=now, is_warning=True)
            return "Your warning is sent to the author."
        case "suspend":
            services.suspend(post, moderator, reason, form.days.data, now=now)
            return "The author's posting is paused."
        case "escalate":
            services.escalate_to_clinical(post, moderator, reason, now=now)
            return "Escalated to the clinical lead."
    raise services.ModerationRefused("Select what to do")


def apply_to_group_alert(
    form: GroupAlertForm, item: ModerationItem, moderator: User, *, now: datetime
) -> str:
    """Close a group meeting's alert (it leaves every moderator's live queue) or escalate it.
    ModerationRefused if incomplete."""
    reason = form.reason.data or ""
    match form.decision.data:
        case "escalate":
            services.escalate_group_alert(item, moderator, reason, now=now)
            return "Escalated to the clinical lead."
        case "upheld" | "dismissed" as verdict:
            services.close_group_alert(
                item, moderator, reason, services.GROUP_VERDICTS[verdict], now=now
            )
            return "Closed: the alert has left the queue."
    raise services.ModerationRefused("Select what to do")
