"""The live moderation queue: one Socket.IO namespace, `/moderation` (STYLE.md section 5).

The door (`on_connect`) checks what the chat namespace checks: signed in and not expired, the
site's own Origin, a valid CSRF token; and the role: moderators and clinical leads only. The role
is checked again on every event, since an account can be switched off while a socket stays open.
Refusals are audited. New queue items are broadcast to the "moderators" room as they are queued.
The namespace keeps no state of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room

from webapp import audit, realtime
from webapp.extensions import socketio
from webapp.models import ModerationItem, Role, User
from webapp.realtime import door_problem
from webapp.security import is_session_expired
from webapp.user_text import to_html

if TYPE_CHECKING:
    from webapp.moderation_console.queries import Subject

NAMESPACE = "/moderation"
ROOM = "moderators"
ALLOWED_ROLES = frozenset({Role.MODERATOR, Role.CLINICAL_LEAD})


def utcnow() -> datetime:
    return datetime.now(UTC)


def item_payload(item: ModerationItem, subject: Subject) -> dict[str, Any]:
    """What a moderator's screen shows: the handle, never the real name; the text made safe;
    for a group meeting's alert, which group ("where")."""
    from flask import url_for

    return {
        "id": item.id,
        "post_id": item.post_id,
        "kind": item.kind.value,
        "is_clinical_risk": item.is_clinical_risk,
        "handle": subject.handle,
        "where": subject.where,
        "html": str(to_html(subject.body)),
        "rule_ids": list(item.rule_ids),
        "reason_html": str(to_html(item.reason)) if item.reason else "",
        "created_at": item.created_at.isoformat(),
        "url": url_for("moderation_console.item", item_id=item.id),
    }


def announce(item: ModerationItem) -> None:
    from webapp.moderation_console import queries

    subject = queries.subjects([item])[item.id]
    socketio.emit("item", item_payload(item, subject), namespace=NAMESPACE, to=ROOM)


def queue_payload(actor_id: int) -> list[dict[str, Any]]:
    """The open queue as a moderator's screen shows it."""
    from webapp.moderation_console import queries

    items = queries.open_queue(actor_id)
    about = queries.subjects(items)
    return [item_payload(item, about[item.id]) for item in items]


def announce_decided(post_id: int) -> None:
    """A moderator decided on a post: its items leave every moderator's queue."""
    socketio.emit("decided", {"post_id": post_id}, namespace=NAMESPACE, to=ROOM)


def announce_acknowledged(item_id: int) -> None:
    """Someone acknowledged an alert: every moderator's queue shows it."""
    socketio.emit("acknowledged", {"id": item_id}, namespace=NAMESPACE, to=ROOM)


def announce_closed(item_id: int) -> None:
    """A moderator closed a group meeting's alert: it leaves every moderator's queue."""
    socketio.emit("decided", {"item_id": item_id}, namespace=NAMESPACE, to=ROOM)


def _staff() -> User | None:
    """The signed-in moderator or clinical lead, or None."""
    if not current_user.is_authenticated or is_session_expired():
        return None
    user: User = current_user._get_current_object()
    if user.role not in ALLOWED_ROLES or not user.is_active_account:
        return None
    return user


def _refuse(code: str) -> None:
    user = current_user if current_user.is_authenticated else None
    audit.record_now("moderation.socket_refused", actor=user, detail={"reason": code})


class ModerationNamespace(Namespace):
    """Events: connect(auth: {csrf_token}) → "queue"; acknowledge({item_id}) → ack.
    Broadcast: "item" (a new queue item), "acknowledged", and "decided" (a post's items, or
    one group meeting's alert, left the queue)."""

    @realtime.connect_handler
    def on_connect(self, auth: Any = None) -> None:
        code = door_problem(auth)
        if code is None and _staff() is None:
            code = "role"
        if code is not None:
            _refuse(code)
            raise ConnectionRefusedError("You cannot see the moderation queue.")
        join_room(ROOM)
        emit("queue", queue_payload(current_user.id))
        realtime.greet_with_relay_state()

    def on_refresh(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """→ {ok, items}: the open queue now, for a page that cannot count on live updates
        (the queue between the app's instances is down: static/moderation.js asks every few
        seconds meanwhile)."""
        user = _staff()
        if user is None:
            _refuse("role")
            return {"ok": False, "error": "You cannot see the moderation queue."}
        return {"ok": True, "items": queue_payload(user.id)}

    def on_acknowledge(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        user = _staff()
        if user is None:
            _refuse("role")
            return {"ok": False, "error": "You cannot see the moderation queue."}
        from webapp.moderation_console import queries, services

        item_id = data.get("item_id") if isinstance(data, dict) else None
        if not isinstance(item_id, int):
            return {"ok": False, "error": "Say which alert to acknowledge."}
        item = queries.open_queue_item(user.id, item_id)
        if item is None:
            return {"ok": False, "error": "That alert is no longer in the queue."}
        try:
            services.acknowledge(item, user, now=utcnow())
        except services.ModerationRefused as refused:
            return {"ok": False, "error": str(refused)}
        return {"ok": True}


def register_namespace() -> None:
    """Once per process (as the chat channel is), whatever the number of apps."""
    if not any(isinstance(h, ModerationNamespace) for h in socketio.namespace_handlers):
        socketio.on_namespace(ModerationNamespace(NAMESPACE))
