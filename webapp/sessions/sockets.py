"""The session room's real-time channel: one Socket.IO namespace, `/chat` (STYLE.md section 5).

Who may be here is checked at the door (`on_connect`: signed in, same-origin, a valid CSRF token,
the appointment's own patient or therapist, the room open for them) and again on every event,
since a session can end or an account be switched off while a socket stays open. Refusals are
audited. The namespace keeps no state of its own: what a connection is for (its `Connection`:
who, which room, as which party, when it started) is cached at the door in its Socket.IO
session, and everything else lives in the database, so any instance can serve any event. An
event re-checks the room's clock against the cached times and asks the database one question
(still signed in, still a participant, still booked) instead of reloading the user and the
appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import request, session, url_for
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room

from webapp import realtime
from webapp.extensions import socketio
from webapp.models import Appointment, AttendanceKind, ChatMessage, User
from webapp.realtime import door_problem
from webapp.sessions import queries, room, services
from webapp.user_text import to_html

CONNECTION_KEY = "chat_connection"
ENDED = "This session has ended."
SHARE_TYPING_KEY = "chat_share_typing"
ENDED_BY_LEAVING = {"client disconnect", "server disconnect"}


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMESPACE = "/chat"


def room_name(appointment_id: int) -> str:
    return f"appointment-{appointment_id}"


def therapists_room_name(appointment_id: int) -> str:
    """The therapist's own sockets in a session room, for what only they may be told."""
    return f"appointment-{appointment_id}-therapist"


def announce_risk_flag(appointment_id: int) -> None:
    """A risk answer was just given for this session (the patient may change answers until it
    ends): a therapist already in the room is told at once, with where to read it."""
    socketio.emit(
        "risk_flag",
        {
            "message": "Your patient has just given an answer that may be a sign of risk. "
            "Read it before you go on.",
            "url": url_for("measures.therapist_view", appointment_id=appointment_id),
        },
        namespace=NAMESPACE,
        to=therapists_room_name(appointment_id),
    )


@dataclass(frozen=True, slots=True)
class Connection:
    """What a socket is for, fixed at the door: none of it can change while it stays open (a
    moved session is a new appointment; a rotated session token fails the per-event check)."""

    user_id: int
    session_token: str
    appointment_id: int
    patient_id: int
    party: room.Party
    starts_at: datetime


def message_payload(message: ChatMessage | services.SentMessage, patient_id: int) -> dict[str, Any]:
    party = room.Party.PATIENT if message.sender_id == patient_id else room.Party.THERAPIST
    return {
        "sequence": message.sequence,
        "client_id": message.client_id,
        "party": party.value,
        "html": str(to_html(message.body)),
        "sent_at": message.sent_at.isoformat(),
    }


DOOR_REFUSALS = {
    "signed_out": "Sign in to join your session.",
    "origin": "This page is not allowed to join sessions.",
    "csrf": "Your page has expired. Reload it to join.",
}


class Refusal(Exception):
    def __init__(self, code: str, message: str, appointment_id: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.appointment_id = code, message, appointment_id


class ChatNamespace(Namespace):
    """Events: connect(auth) → "joined" and "history"; send → ack; resync → ack; typing;
    typing_preference; leave. Broadcasts: "chat", "typing", "presence", "closed"; to the
    therapist alone, "risk_flag"."""

    # --- the door ------------------------------------------------------------------------------

    @realtime.connect_handler
    def on_connect(self, auth: Any = None) -> None:
        user = current_user if current_user.is_authenticated else None
        appointment_id = auth.get("appointment_id") if isinstance(auth, dict) else None
        appointment_id = appointment_id if isinstance(appointment_id, int) else None
        try:
            problem = door_problem(auth)
            if user is None or problem is not None:
                code = problem or "signed_out"
                raise Refusal(code, DOOR_REFUSALS[code])
            if appointment_id is None:
                raise Refusal("no_appointment", "Say which session to join.")
            appointment = self._appointment(user, appointment_id)
            try:
                last_seen = room.clean_last_seen(auth.get("last_seen"))
            except ValueError as error:
                raise Refusal("bad_last_seen", str(error), appointment_id) from error
        except Refusal as refusal:
            services.refuse(user, appointment_id, refusal.code)
            raise ConnectionRefusedError(refusal.message) from None
        now = utcnow()
        party = queries.party_of(user.id, appointment)
        connection = Connection(
            user_id=user.id,
            session_token=user.session_token,
            appointment_id=appointment.id,
            patient_id=appointment.patient_id,
            party=party,
            starts_at=appointment.starts_at,
        )
        session[CONNECTION_KEY] = connection
        session[SHARE_TYPING_KEY] = True
        join_room(room_name(appointment.id))
        if party is room.Party.THERAPIST:
            join_room(therapists_room_name(appointment.id))
        services.record_attendance(
            appointment.id,
            user.id,
            party,
            AttendanceKind.JOIN,
            connection=request.sid,  # type: ignore[attr-defined]
            now=now,
        )
        emit(
            "joined",
            {
                "party": party.value,
                # whoever came first is told by "presence"; the one who comes second, here
                "other_present": services.is_present(appointment.id, party.other, now),
                "starts_at": appointment.starts_at.isoformat(),
                "ends_at": room.closes_at(appointment.starts_at).isoformat(),
                "now": now.isoformat(),
                "seconds_left": room.seconds_left(appointment.starts_at, now),
            },
        )
        emit("history", self._missed(connection, last_seen))
        realtime.greet_with_relay_state()
        emit("presence", {"party": party.value, "present": True}, to=room_name(appointment.id))
        self.socketio.start_background_task(
            realtime.close_when_over,
            self,
            request.sid,  # type: ignore[attr-defined]
            room.closes_at(appointment.starts_at),
            ENDED,
            utcnow,
        )

    def _appointment(self, user: User, appointment_id: int) -> Appointment:
        appointment = queries.appointment_for_participant(user.id, appointment_id)
        if appointment is None:
            raise Refusal("not_a_participant", "You cannot join this session.", appointment_id)
        try:
            services.check_room(user, appointment, utcnow())
        except services.RoomRefused as refused:
            raise Refusal(refused.code, refused.message, appointment_id) from None
        return appointment

    def _current(self, *, checked_by_statement: bool = False) -> Connection:
        """Every event: the room still open (the cached times), and one query: still signed in
        (an account switched off or signed out everywhere is refused), still this room's
        patient or therapist, the session still booked. A message's INSERT carries that query
        as its guard, and a resync's read joins it (`checked_by_statement`), so each is one
        statement. What only matters at the door (questionnaires, risk flags, an owed record)
        was checked there and cannot become untrue during the session."""
        connection = session.get(CONNECTION_KEY)
        if not isinstance(connection, Connection):
            raise Refusal("no_appointment", "Join a session first.")
        try:
            services.check_clock(connection.party, connection.starts_at, utcnow())
            if not checked_by_statement:
                services.check_connection(
                    connection.user_id, connection.session_token, connection.appointment_id
                )
        except services.RoomRefused as refused:
            raise Refusal(refused.code, refused.message, connection.appointment_id) from None
        return connection

    def _refused(self, refusal: Refusal) -> dict[str, Any]:
        user = current_user if current_user.is_authenticated else None
        services.refuse(user, refusal.appointment_id, refusal.code)
        if refusal.code == "closed":
            emit("closed", {"message": refusal.message})
        return {"ok": False, "error": refusal.message, "code": refusal.code}

    def _missed(self, connection: Connection, last_seen: int) -> list[dict[str, Any]]:
        """Everything after `last_seen`, checked as every event is, in one query (at the door,
        and for a page that asks: `on_resync`). Raise RoomRefused as `check_connection` does."""
        messages = services.missed_messages(
            connection.user_id, connection.session_token, connection.appointment_id, last_seen
        )
        return [message_payload(message, connection.patient_id) for message in messages]

    # --- events --------------------------------------------------------------------------------

    def on_send(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """{client_id, body} → {ok, message} (the stored message, also on a resend) or
        {ok: False, error}. A new message is broadcast to the room's other sockets: the
        sending page has it in its acknowledgement, and the sender's other tabs get it too."""
        try:
            connection = self._current(checked_by_statement=True)
        except Refusal as refusal:
            return self._refused(refusal)
        data = data if isinstance(data, dict) else {}
        try:
            message, created = services.post_message(
                connection.appointment_id,
                connection.user_id,
                connection.session_token,
                data.get("client_id"),
                data.get("body"),
                now=utcnow(),
            )
        except services.RoomRefused as refused:
            return self._refused(Refusal(refused.code, refused.message, connection.appointment_id))
        except services.MessageRefused as error:
            return {"ok": False, "error": str(error), "code": "message"}
        payload = message_payload(message, connection.patient_id)
        if created:
            emit("chat", payload, to=room_name(connection.appointment_id), include_self=False)
        return {"ok": True, "message": payload, "duplicate": not created}

    def on_resync(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """{last_seen} → {ok, messages}: everything after it, in order, once. The room check
        and the read are one query (`services.missed_messages`)."""
        try:
            connection = self._current(checked_by_statement=True)
        except Refusal as refusal:
            return self._refused(refusal)
        try:
            last_seen = room.clean_last_seen(
                (data or {}).get("last_seen") if isinstance(data, dict) else None
            )
        except ValueError as error:
            return {"ok": False, "error": str(error), "code": "bad_last_seen"}
        try:
            return {"ok": True, "messages": self._missed(connection, last_seen)}
        except services.RoomRefused as refused:
            return self._refused(Refusal(refused.code, refused.message, connection.appointment_id))

    def on_typing(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        try:
            connection = self._current()
        except Refusal as refusal:
            return self._refused(refusal)
        if not session.get(SHARE_TYPING_KEY, True):
            return {"ok": True, "shared": False}
        typing = bool(data.get("typing")) if isinstance(data, dict) else False
        emit(
            "typing",
            {"party": connection.party.value, "typing": typing},
            to=room_name(connection.appointment_id),
            include_self=False,
        )
        return {"ok": True, "shared": True}

    def on_typing_preference(self, data: Any = None, *_more: Any) -> dict[str, Any]:
        """A patient may stop sharing that they are typing (and start again)."""
        try:
            connection = self._current()
        except Refusal as refusal:
            return self._refused(refusal)
        share = bool(data.get("share")) if isinstance(data, dict) else True
        session[SHARE_TYPING_KEY] = share
        if not share:
            emit(
                "typing",
                {"party": connection.party.value, "typing": False},
                to=room_name(connection.appointment_id),
                include_self=False,
            )
        return {"ok": True, "share": share}

    def on_disconnect(self, reason: str | None = None) -> None:
        """Recorded from the facts cached at the door: whoever joined also leaves, even if
        their account was switched off meanwhile."""
        connection = session.get(CONNECTION_KEY)
        if not isinstance(connection, Connection):
            return
        kind = AttendanceKind.LEAVE if reason in ENDED_BY_LEAVING else AttendanceKind.DISCONNECT
        services.record_attendance(
            connection.appointment_id,
            connection.user_id,
            connection.party,
            kind,
            connection=request.sid,  # type: ignore[attr-defined]
            now=utcnow(),
        )
        emit(
            "presence",
            {"party": connection.party.value, "present": False},
            to=room_name(connection.appointment_id),
            include_self=False,
        )
