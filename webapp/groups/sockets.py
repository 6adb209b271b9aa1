"""A group meeting's real-time room: the Socket.IO namespace `/group` (STYLE.md section 5).

It keeps the session room's protections (webapp/sessions/sockets.py): at the door, signed in,
the site's own Origin and a valid CSRF token (`webapp.realtime.door_problem`), then a facilitator
or enrolled member of the meeting's group with the room open for them; on every event, one query
(`services.check_standing`: still signed in with the same session, still a facilitator or
enrolled member, the meeting not cancelled) and the cached clock. At the meeting's end the
server itself closes every connection (`webapp.realtime.close_when_over`), as the session room
does. Refusals are audited. Messages are numbered, resent messages stored once, and a
reconnecting page resyncs from the last number it saw.

Members appear under their community handle, never their real name. A member's message a
watchword holds reaches only its author (with crisis routes when it is a clinical risk) and the
facilitators, and a clinical risk alerts the facilitators and the moderators on shift. A
facilitator acknowledges an alert here (so the on-call clinician is not texted); a moderator
closes it. Facilitators can mute and remove members (from the group page, or here).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room

from webapp import realtime
from webapp.extensions import socketio
from webapp.groups import queries, services
from webapp.models import EnrolmentStatus, GroupMessage, GroupOccurrence, ModerationItem, User
from webapp.moderation_console import services as moderation_services
from webapp.realtime import door_problem
from webapp.sessions import room
from webapp.sessions.services import MessageRefused, RoomRefused
from webapp.user_text import to_html

log = logging.getLogger(__name__)

NAMESPACE = "/group"
CONNECTION_KEY = "group_connection"
MEETING_ENDED = "This meeting has ended."
DOOR_REFUSALS = {
    "signed_out": "Sign in to join your group.",
    "origin": "This page is not allowed to join groups.",
    "csrf": "Your page has expired. Reload it to join.",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def meeting_room(occurrence_id: int) -> str:
    return f"group-meeting-{occurrence_id}"


def facilitators_room(occurrence_id: int) -> str:
    return f"group-meeting-{occurrence_id}-facilitators"


def person_room(group_id: int, user_id: int) -> str:
    """Every socket one person has open in any meeting of a group: muting and removal reach
    them all."""
    return f"group-{group_id}-person-{user_id}"


@dataclass(frozen=True, slots=True)
class Connection:
    """What a socket is for, fixed at the door."""

    user_id: int
    session_token: str
    occurrence_id: int
    group_id: int
    is_facilitator: bool
    label: str  # the member's handle, or the facilitator's name
    starts_at: datetime
    ends_at: datetime


def message_payload(message: GroupMessage, label: str, *, by_facilitator: bool) -> dict[str, Any]:
    return {
        "sequence": message.sequence,
        "client_id": message.client_id,
        "sender": label,
        "by_facilitator": by_facilitator,
        "held": message.is_held,
        "html": str(to_html(message.body)),
        "sent_at": message.sent_at.isoformat(),
    }


class Refusal(Exception):
    def __init__(self, code: str, message: str, occurrence_id: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.occurrence_id = code, message, occurrence_id


# --- from outside a socket's own events ---------------------------------------------------------


def announce_muted(group_id: int, user_id: int, muted: bool) -> None:
    socketio.emit("muted", {"muted": muted}, namespace=NAMESPACE, to=person_room(group_id, user_id))


def close_member(group_id: int, user_id: int, message: str) -> None:
    """Tell every socket the person has open in the group's rooms, and close them."""
    _tell_and_close(person_room(group_id, user_id), "removed", message)


def close_meeting(occurrence_id: int, message: str) -> None:
    """Tell everyone in a meeting's room it is over (cancelled), and close their sockets."""
    _tell_and_close(meeting_room(occurrence_id), "closed", message)


def _tell_and_close(target: str, event: str, message: str) -> None:
    """The sockets on this instance are closed; any other instance's are refused at their next
    event (their standing or the meeting is checked there)."""
    socketio.emit(event, {"message": message}, namespace=NAMESPACE, to=target)
    server = socketio.server
    if server is None:
        return
    for sid, _eio_sid in list(server.manager.get_participants(NAMESPACE, target)):
        server.disconnect(sid, namespace=NAMESPACE)


def alert_payload(
    alert: ModerationItem, message: GroupMessage, handle: str, acknowledged_by: str | None
) -> dict[str, Any]:
    return {
        "alert_id": alert.id,
        "sequence": message.sequence,
        "sender": handle,
        "html": str(to_html(message.body)),
        "sent_at": message.sent_at.isoformat(),
        "acknowledged_by": acknowledged_by,
        "escalated": alert.escalated_to_clinical_at is not None,
    }


def alert_facilitators(
    occurrence: GroupOccurrence, message: GroupMessage, handle: str, alert: ModerationItem
) -> None:
    payload = alert_payload(alert, message, handle, None)
    socketio.emit("alert", payload, namespace=NAMESPACE, to=facilitators_room(occurrence.id))


def announce_acknowledged(occurrence_id: int, alert_id: int, by: User) -> None:
    """Whoever acknowledged a meeting's alert (a facilitator, or a moderator from the queue):
    its facilitators' pages say so, and stop asking them to."""
    socketio.emit(
        "alert_acknowledged",
        {"alert_id": alert_id, "by": by.full_name},
        namespace=NAMESPACE,
        to=facilitators_room(occurrence_id),
    )


def announce_escalated(occurrence_id: int, alert_id: int, by: User) -> None:
    """A moderator asked the clinical lead to look, and the on-call clinician is texted."""
    socketio.emit(
        "alert_escalated",
        {"alert_id": alert_id, "by": by.full_name},
        namespace=NAMESPACE,
        to=facilitators_room(occurrence_id),
    )


def announce_alert_closed(occurrence_id: int, alert_id: int) -> None:
    """A moderator closed a meeting's alert: its facilitators' pages say so."""
    socketio.emit(
        "alert_closed",
        {"alert_id": alert_id},
        namespace=NAMESPACE,
        to=facilitators_room(occurrence_id),
    )


def open_alerts_payload(occurrence_id: int) -> list[dict[str, Any]]:
    """The meeting's alerts still open, for a facilitator's page as it (re)joins."""
    alerts = queries.open_alerts(occurrence_id)
    messages = [alert.group_message for alert in alerts if alert.group_message is not None]
    handles = queries.handles(sorted({m.sender_id for m in messages}))
    names = queries.names(sorted({a.acknowledged_by_id for a in alerts if a.acknowledged_by_id}))
    return [
        alert_payload(
            alert,
            message,
            handles.get(message.sender_id, queries.MEMBER),
            names.get(alert.acknowledged_by_id) if alert.acknowledged_by_id else None,
        )
        for alert, message in zip(alerts, messages, strict=True)
    ]


# --- the namespace -----------------------------------------------------------------------------


class GroupNamespace(Namespace):
    """Events: connect(auth: {occurrence_id, csrf_token, last_seen}) → "joined", "history"
    (and for facilitators "roster", "alerts"); send → ack; resync → ack; mute / remove /
    acknowledge_alert (facilitators) → ack; leave. Broadcasts: "chat", "presence", "muted",
    "removed", "alert", "alert_acknowledged", "alert_escalated" and "alert_closed"
    (facilitators), "closed"."""

    @realtime.connect_handler
    def on_connect(self, auth: Any = None) -> None:
        user = current_user if current_user.is_authenticated else None
        occurrence_id = auth.get("occurrence_id") if isinstance(auth, dict) else None
        occurrence_id = occurrence_id if isinstance(occurrence_id, int) else None
        now = utcnow()
        try:
            problem = door_problem(auth)
            if user is None or problem is not None:
                code = problem or "signed_out"
                raise Refusal(code, DOOR_REFUSALS[code])
            if occurrence_id is None:
                raise Refusal("no_meeting", "Say which meeting to join.")
            occurrence, standing = self._door(user, occurrence_id, now)
            try:
                last_seen = room.clean_last_seen(auth.get("last_seen"))
            except ValueError as error:
                raise Refusal("bad_last_seen", str(error), occurrence_id) from error
        except Refusal as refusal:
            services.refuse(user, occurrence_id, refusal.code)
            raise ConnectionRefusedError(refusal.message) from None
        is_facilitator = standing.is_facilitator
        label = queries.labels_for({user.id}, {user.id} if is_facilitator else set())[user.id]
        connection = Connection(
            user_id=user.id,
            session_token=user.session_token,
            occurrence_id=occurrence.id,
            group_id=occurrence.group_id,
            is_facilitator=is_facilitator,
            label=label,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
        )
        session[CONNECTION_KEY] = connection
        join_room(meeting_room(occurrence.id))
        join_room(person_room(occurrence.group_id, user.id))
        if is_facilitator:
            join_room(facilitators_room(occurrence.id))
        emit(
            "joined",
            {
                "you": label,
                "user_id": user.id,
                "facilitator": is_facilitator,
                "muted": standing.is_muted,
                "ends_at": occurrence.ends_at.isoformat(),
                "seconds_left": max(0, int((occurrence.ends_at - now).total_seconds())),
            },
        )
        emit("history", self._missed(connection, last_seen))
        realtime.greet_with_relay_state()
        if is_facilitator:
            emit("roster", roster(occurrence.group_id))
            emit("alerts", open_alerts_payload(occurrence.id))
        emit("presence", {"who": label, "present": True}, to=meeting_room(occurrence.id))
        self.socketio.start_background_task(
            realtime.close_when_over,
            self,
            request.sid,  # type: ignore[attr-defined]
            occurrence.ends_at,
            MEETING_ENDED,
            utcnow,
        )

    def _door(self, user: User, occurrence_id: int, now: datetime) -> tuple[GroupOccurrence, Any]:
        occurrence = queries.occurrence_for_participant(user.id, occurrence_id)
        if occurrence is None:
            standing = queries.standing(user.id, user.session_token, occurrence_id)
            if standing is not None and standing.enrolment is not None:
                code = "removed" if standing.enrolment.value == "removed" else "not_a_member"
                raise Refusal(code, "You cannot join this group.", occurrence_id)
            raise Refusal("not_a_member", "You cannot join this group.", occurrence_id)
        try:
            standing = services.check_standing(user.id, user.session_token, occurrence_id)
            services.check_clock(occurrence, now, facilitator=standing.is_facilitator)
        except RoomRefused as refused:
            raise Refusal(refused.code, refused.message, occurrence_id) from None
        return occurrence, standing

    def _current(self) -> tuple[Connection, Any]:
        connection = session.get(CONNECTION_KEY)
        if not isinstance(connection, Connection):
            raise Refusal("no_meeting", "Join a meeting first.")
        try:
            now = utcnow()
            state = services.rules.room_state(
                connection.starts_at,
                connection.ends_at,
                now,
                facilitator=connection.is_facilitator,
            )
            if state is services.rules.RoomState.CLOSED:
                raise RoomRefused("closed", MEETING_ENDED)
            standing = services.check_standing(
                connection.user_id, connection.session_token, connection.occurrence_id
            )
        except RoomRefused as refused:
            raise Refusal(refused.code, refused.message, connection.occurrence_id) from None
        return connection, standing

    def _refused(self, refusal: Refusal) -> dict[str, Any]:
        user = current_user if current_user.is_authenticated else None
        services.refuse(user, refusal.occurrence_id, refusal.code)
        if refusal.code in {"closed", "cancelled"}:
            emit("closed", {"message": refusal.message})
        elif refusal.code in {"removed", "not_a_member", "signed_out"}:
            emit("removed", {"message": refusal.message})
            self.disconnect(request.sid)  # type: ignore[attr-defined]
        return {"ok": False, "error": refusal.message, "code": refusal.code}

    def _missed(self, connection: Connection, last_seen: int) -> list[dict[str, Any]]:
        messages = queries.messages_after(
            connection.occurrence_id,
            connection.user_id,
            last_seen,
            facilitator=connection.is_facilitator,
        )
        facilitator_ids = queries.facilitator_ids(connection.group_id)
        labels = queries.labels_for({m.sender_id for m in messages}, facilitator_ids)
        return [
            message_payload(
                m,
                labels.get(m.sender_id, queries.MEMBER),
                by_facilitator=m.sender_id in facilitator_ids,
            )
            for m in messages
        ]

    # --- events --------------------------------------------------------------------------------

    def on_send(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """{client_id, body} → {ok, message, support?}. A visible message goes to the room; a
        held one to its author and the facilitators only."""
        try:
            connection, standing = self._current()
        except Refusal as refusal:
            return self._refused(refusal)
        if standing.is_muted and not standing.is_facilitator:
            return {
                "ok": False,
                "error": "A facilitator has muted you for now. You can still read.",
                "code": "muted",
            }
        data = data if isinstance(data, dict) else {}
        try:
            posted = services.post_message(
                connection.occurrence_id,
                connection.user_id,
                connection.session_token,
                data.get("client_id"),
                data.get("body"),
                is_facilitator=connection.is_facilitator,
                now=utcnow(),
            )
        except RoomRefused as refused:
            if refused.code == "muted":
                return {"ok": False, "error": refused.message, "code": "muted"}
            return self._refused(Refusal(refused.code, refused.message, connection.occurrence_id))
        except MessageRefused as error:
            return {"ok": False, "error": str(error), "code": "message"}
        message = posted.message
        payload = message_payload(
            message, connection.label, by_facilitator=connection.is_facilitator
        )
        support = message.is_clinical_risk
        if posted.created:
            if message.is_held:
                emit("chat", payload, to=person_room(connection.group_id, connection.user_id))
                emit("chat", payload, to=facilitators_room(connection.occurrence_id))
            else:
                emit("chat", payload, to=meeting_room(connection.occurrence_id))
            if posted.alert is not None:
                occurrence = queries.db.session.get(GroupOccurrence, connection.occurrence_id)
                services.alert_on_risk(occurrence, message, connection.label, posted.alert)
        return {"ok": True, "message": payload, "duplicate": not posted.created, "support": support}

    def on_resync(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """{last_seen} → {ok, messages, through}: everything after it this person may see, in
        order, and the room's highest number before the read. Held messages leave gaps in the
        numbers a member sees; `through` tells the page they are not missing (static/group.js).
        It is read first: a number is taken only once every lower one is stored, so all the
        messages up to it are in the answer."""
        try:
            connection, _standing = self._current()
        except Refusal as refusal:
            return self._refused(refusal)
        try:
            last_seen = room.clean_last_seen(
                data.get("last_seen") if isinstance(data, dict) else None
            )
        except ValueError as error:
            return {"ok": False, "error": str(error), "code": "bad_last_seen"}
        through = queries.highest_sequence(connection.occurrence_id)
        return {"ok": True, "messages": self._missed(connection, last_seen), "through": through}

    def _facilitating(self) -> Connection | dict[str, Any]:
        """The connection, if it is a facilitator's; else the refusal's answer (audited)."""
        try:
            connection, standing = self._current()
        except Refusal as refusal:
            return self._refused(refusal)
        if not standing.is_facilitator:
            services.refuse(
                db_user(connection.user_id), connection.occurrence_id, "not_a_facilitator"
            )
            return {"ok": False, "error": "Only facilitators can do that.", "code": "forbidden"}
        return connection

    def _as_facilitator(self, data: Any) -> tuple[Connection, Any] | dict[str, Any]:
        connection = self._facilitating()
        if isinstance(connection, dict):
            return connection
        member_id = data.get("user_id") if isinstance(data, dict) else None
        enrolment = (
            queries.enrolment_of(connection.group_id, member_id)
            if isinstance(member_id, int)
            else None
        )
        if enrolment is None:
            return {"ok": False, "error": "That person is not in this group.", "code": "member"}
        return connection, enrolment

    def on_mute(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """{user_id, muted} (facilitators): mute or unmute a member."""
        found = self._as_facilitator(data)
        if isinstance(found, dict):
            return found
        connection, enrolment = found
        muted = bool(data.get("muted", True))
        try:
            services.set_muted(db_user(connection.user_id), enrolment, muted, now=utcnow())
        except services.Refused as refused:
            return {"ok": False, "error": str(refused), "code": "member"}
        return {"ok": True, "muted": muted}

    def on_remove(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """{user_id} (facilitators): remove a member from the group."""
        found = self._as_facilitator(data)
        if isinstance(found, dict):
            return found
        connection, enrolment = found
        try:
            services.remove(db_user(connection.user_id), enrolment, now=utcnow())
        except services.Refused as refused:
            return {"ok": False, "error": str(refused), "code": "member"}
        return {"ok": True}

    def on_acknowledge_alert(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """{alert_id} (facilitators): they are checking in with the member, so the on-call
        clinician is not texted; the moderators see who acknowledged it and still close it."""
        connection = self._facilitating()
        if isinstance(connection, dict):
            return connection
        alert_id = data.get("alert_id") if isinstance(data, dict) else None
        alert = (
            queries.alert_in_meeting(connection.occurrence_id, alert_id)
            if isinstance(alert_id, int)
            else None
        )
        if alert is None:
            return {"ok": False, "error": "That alert is not from this meeting.", "code": "alert"}
        facilitator = db_user(connection.user_id)
        try:
            moderation_services.acknowledge(alert, facilitator, now=utcnow())
        except moderation_services.ModerationRefused as refused:
            return {"ok": False, "error": str(refused), "code": "alert"}
        by = db_user(alert.acknowledged_by_id) if alert.acknowledged_by_id else facilitator
        return {"ok": True, "alert_id": alert.id, "acknowledged_by": by.full_name}

    def on_disconnect(self, reason: str | None = None) -> None:
        connection = session.get(CONNECTION_KEY)
        if not isinstance(connection, Connection):
            return
        emit(
            "presence",
            {"who": connection.label, "present": False},
            to=meeting_room(connection.occurrence_id),
            include_self=False,
        )


def roster(group_id: int) -> list[dict[str, Any]]:
    """For facilitators only: the members by handle, with the ids their mute and remove
    buttons send."""
    members = queries.enrolments(group_id, EnrolmentStatus.ENROLLED)
    labels = queries.handles([m.patient_id for m in members])
    return [
        {
            "user_id": m.patient_id,
            "handle": labels.get(m.patient_id, queries.MEMBER),
            "muted": m.is_muted,
        }
        for m in members
    ]


def db_user(user_id: int) -> User:
    user = queries.db.session.get(User, user_id)
    assert user is not None
    return user


def register_namespace() -> None:
    """Once per process (as the chat channel is), whatever the number of apps."""
    if not any(isinstance(h, GroupNamespace) for h in socketio.namespace_handlers):
        socketio.on_namespace(GroupNamespace(NAMESPACE))
