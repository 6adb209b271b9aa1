"""The /chat channel with the Flask-SocketIO test client: the door, every refusal, messages,
idempotent resend, resync after reconnect, typing, attendance."""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest
from flask import request, url_for
from sqlalchemy import select, text
from werkzeug.test import create_environ

from tests import factories
from tests.conftest import submit
from tests.webapp.sessions.conftest import (
    STARTS_AT,
    complete_questionnaires,
    connect,
    fast_sign_in,
    raise_risk_flag,
    received,
    send,
)
from webapp.extensions import db
from webapp.heartbeat import HEARTBEAT_KEY
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AttendanceEvent,
    AttendanceKind,
    AuditEvent,
    ChatMessage,
    RiskFlag,
    Role,
    ServerInstance,
    SessionRecord,
    User,
)
from webapp.realtime import SocketEventContext


def refusals() -> list[str]:
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "session.refused").order_by(AuditEvent.id)
    )
    return [row.detail["reason"] for row in rows]


@pytest.fixture
def in_session(pair):
    pair.move_to(STARTS_AT + timedelta(minutes=1))
    return pair


def test_patient_and_therapist_join_and_talk(app, in_session):
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    assert therapist.is_connected("/chat") and patient.is_connected("/chat")
    joined = received(patient)["joined"][0]
    assert joined["party"] == "patient" and joined["seconds_left"] == 49 * 60
    received(therapist)

    ack = send(patient, "Hello <b>there</b>, see https://www.nhs.uk", "client-msg-0001")
    assert ack["ok"] and ack["message"]["sequence"] == 1
    chat = received(therapist)["chat"]
    assert [m["sequence"] for m in chat] == [1]
    assert chat[0]["party"] == "patient"
    assert "&lt;b&gt;there&lt;/b&gt;" in chat[0]["html"]
    assert 'rel="nofollow noopener noreferrer"' in chat[0]["html"]
    stored = db.session.scalar(select(ChatMessage))
    assert stored.body == "Hello <b>there</b>, see https://www.nhs.uk"
    raw = db.session.execute(text("SELECT body FROM chat_messages")).scalar()
    assert "Hello" not in raw  # encrypted at rest


def test_whoever_joins_second_is_told_the_other_is_already_there(app, in_session):
    """The first is told by a "presence" broadcast; the second learns it on joining, from the
    server's attendance records (so across instances too)."""
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    assert received(therapist)["joined"][0]["other_present"] is False
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    assert received(patient)["joined"][0]["other_present"] is True
    assert received(therapist)["presence"] == [{"party": "patient", "present": True}]
    therapist.disconnect("/chat")
    again = connect(app, in_session.patient_client, in_session.appointment.id)
    assert received(again)["joined"][0]["other_present"] is False


def _left_by_a_crashed_server(appointment, therapist, *, last_beat):
    """A therapist's connection whose server stopped without recording its end."""
    db.session.add(
        ServerInstance(
            id="crashed", host="old", started_at=STARTS_AT - timedelta(hours=1), beat_at=last_beat
        )
    )
    db.session.add(
        AttendanceEvent(
            appointment_id=appointment.id,
            user_id=therapist.id,
            party="therapist",
            kind=AttendanceKind.JOIN,
            connection="socket-on-the-crashed-server",
            instance="crashed",
            at=STARTS_AT,
        )
    )
    db.session.commit()


def test_someone_whose_server_stopped_is_not_said_to_be_in_the_room(app, in_session):
    """A crash leaves a join with no leave: the patient is not told "your therapist is here"
    when the server that held the therapist has fallen silent."""
    _left_by_a_crashed_server(in_session.appointment, in_session.therapist, last_beat=STARTS_AT)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    assert received(patient)["joined"][0]["other_present"] is False
    events = db.session.scalars(select(AttendanceEvent).order_by(AttendanceEvent.id)).all()
    assert events[-1].instance == app.extensions[HEARTBEAT_KEY].instance  # the joiner's server


def test_a_connection_on_another_live_instance_counts_only_where_instances_share_rooms(
    app, in_session, monkeypatch
):
    beat = STARTS_AT + timedelta(seconds=50)  # 10 s before now: still serving
    _left_by_a_crashed_server(in_session.appointment, in_session.therapist, last_beat=beat)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    # with no message queue no other instance can hold this room: it must have stopped
    assert received(patient)["joined"][0]["other_present"] is False
    patient.disconnect("/chat")
    monkeypatch.setitem(app.config, "SOCKETIO_MESSAGE_QUEUE", "redis://127.0.0.1:6379/15")
    again = connect(app, in_session.patient_client, in_session.appointment.id)
    assert received(again)["joined"][0]["other_present"] is True


def test_the_door_holds_no_read_open_while_it_asks_for_missed_messages(
    app, in_session, monkeypatch
):
    """The missed messages come on a pooled connection of their own: an ORM read left open at
    the door would hold a second connection per joining socket, and 500 pairs joining at once
    ran the pool dry (benchmarks/chat.py: 966 connections refused)."""
    from webapp.sessions import queries

    real = queries.connection_state_and_messages_after
    open_reads: list[bool] = []

    def watched(*args, **kwargs):
        open_reads.append(db.session().in_transaction())
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "connection_state_and_messages_after", watched)
    connect(app, in_session.therapist_client, in_session.appointment.id)
    connect(app, in_session.patient_client, in_session.appointment.id)
    assert open_reads == [False, False]


def test_a_message_reaches_the_senders_other_tabs_but_not_the_sending_page_twice(app, in_session):
    sending_tab = connect(app, in_session.patient_client, in_session.appointment.id)
    other_tab = connect(app, in_session.patient_client, in_session.appointment.id)
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    for socket in (sending_tab, other_tab, therapist):
        received(socket)
    ack = send(sending_tab, "Hello", "two-tabs-0001")
    assert ack["ok"]
    assert "chat" not in received(sending_tab)  # it has the message in its acknowledgement
    assert received(other_tab)["chat"] == [ack["message"]]
    assert received(therapist)["chat"] == [ack["message"]]


def test_sequence_numbers_follow_the_room_not_the_sender(app, in_session):
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    sequences = [
        send(patient, "one", "p-000000001")["message"]["sequence"],
        send(therapist, "two", "t-000000001")["message"]["sequence"],
        send(patient, "three", "p-000000002")["message"]["sequence"],
    ]
    assert sequences == [1, 2, 3]


def test_a_resend_with_the_same_client_id_is_stored_and_delivered_once(app, in_session):
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    received(therapist)
    first = send(patient, "Are you there?", "resend-0000001")
    again = send(patient, "Are you there?", "resend-0000001")
    assert again["ok"] and again["duplicate"] and again["message"] == first["message"]
    assert len(received(therapist)["chat"]) == 1
    assert db.session.query(ChatMessage).count() == 1
    # the same client id from the other person is a different message
    assert send(therapist, "Yes", "resend-0000001")["message"]["sequence"] == 2


def test_a_reconnecting_client_gets_what_it_missed_in_order_without_duplicates(app, in_session):
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    send(therapist, "first", "t-000000001")
    received(patient)
    patient.disconnect("/chat")
    for number in range(2, 5):
        send(therapist, f"message {number}", f"t-00000000{number}")
    back = connect(app, in_session.patient_client, in_session.appointment.id, last_seen=1)
    history = received(back)["history"][0]
    assert [m["sequence"] for m in history] == [2, 3, 4]
    ack = back.emit("resync", {"last_seen": 3}, namespace="/chat", callback=True)
    assert [m["sequence"] for m in ack["messages"]] == [4]
    events = db.session.scalars(select(AttendanceEvent).order_by(AttendanceEvent.id)).all()
    assert [(e.party, e.kind.value) for e in events] == [
        ("therapist", "join"),
        ("patient", "join"),
        ("patient", "leave"),
        ("patient", "join"),
    ]


@pytest.mark.parametrize("last_seen", [-1, "3", 2.5, True])
def test_a_malformed_last_seen_is_refused(app, in_session, last_seen):
    socket = connect(app, in_session.patient_client, in_session.appointment.id)
    ack = socket.emit("resync", {"last_seen": last_seen}, namespace="/chat", callback=True)
    assert ack == {"ok": False, "error": ack["error"], "code": "bad_last_seen"}


@pytest.mark.parametrize(
    ("body", "client_id", "error"),
    [
        ("", "good-client-id", "Type a message"),
        ("   \n ", "good-client-id", "Type a message"),
        ("x" * 4001, "good-client-id", "too long"),
        (42, "good-client-id", "must be text"),
        ("hello", "short", "message id"),
        ("hello", None, "message id"),
        ("hello", "bad id with spaces", "message id"),
    ],
)
def test_bad_messages_get_a_clear_error_and_store_nothing(app, in_session, body, client_id, error):
    socket = connect(app, in_session.patient_client, in_session.appointment.id)
    ack = socket.emit(
        "send", {"client_id": client_id, "body": body}, namespace="/chat", callback=True
    )
    assert not ack["ok"] and error in ack["error"]
    assert db.session.query(ChatMessage).count() == 0


def test_a_message_of_exactly_4000_characters_is_accepted(app, in_session):
    socket = connect(app, in_session.patient_client, in_session.appointment.id)
    assert send(socket, "x" * 4000, "long-message-01")["ok"]


def test_sending_too_quickly_is_refused(app, in_session):
    socket = connect(app, in_session.patient_client, in_session.appointment.id)
    for number in range(20):
        assert send(socket, f"m{number}", f"rate-limit-{number:04d}")["ok"]
    ack = send(socket, "one too many", "rate-limit-9999")
    assert not ack["ok"] and "too quickly" in ack["error"]
    in_session.move_to(STARTS_AT + timedelta(minutes=1, seconds=11))
    assert send(socket, "later", "rate-limit-after")["ok"]


def test_typing_is_shown_to_the_other_person_and_a_patient_can_stop_sharing_it(app, in_session):
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    received(therapist)
    received(patient)
    patient.emit("typing", {"typing": True}, namespace="/chat")
    assert received(therapist)["typing"] == [{"party": "patient", "typing": True}]
    assert "typing" not in received(patient)
    patient.emit("typing_preference", {"share": False}, namespace="/chat")
    assert received(therapist)["typing"] == [{"party": "patient", "typing": False}]
    ack = patient.emit("typing", {"typing": True}, namespace="/chat", callback=True)
    assert ack == {"ok": True, "shared": False}
    assert "typing" not in received(therapist)


# --- the door -----------------------------------------------------------------------------------


def test_a_signed_out_visitor_is_refused_and_audited(app, in_session):
    socket = connect(app, app.test_client(), in_session.appointment.id, fetch_token=False)
    assert not socket.is_connected("/chat")
    assert refusals() == ["signed_out"]


def test_another_patient_is_refused_and_audited(app, client, in_session):
    factories.make_user(Role.PATIENT)
    stranger = factories.make_user(Role.PATIENT)
    fast_sign_in(client, stranger)
    socket = connect(app, client, in_session.appointment.id)
    assert not socket.is_connected("/chat")
    assert refusals() == ["not_a_participant"]


def test_another_therapist_is_refused_and_audited(app, client, in_session):
    fast_sign_in(client, factories.make_therapist())
    socket = connect(app, client, in_session.appointment.id)
    assert not socket.is_connected("/chat")
    assert refusals() == ["not_a_participant"]


def test_a_staff_member_who_is_not_the_therapist_is_refused(app, client, in_session):
    fast_sign_in(client, factories.make_user(Role.MODERATOR))
    socket = connect(app, client, in_session.appointment.id)
    assert not socket.is_connected("/chat")
    assert refusals() == ["not_a_participant"]


def test_a_missing_or_wrong_csrf_token_is_refused(app, in_session):
    for token in (None, "not-a-token"):
        socket = connect(
            app,
            in_session.patient_client,
            in_session.appointment.id,
            fetch_token=False,
            token=token,
        )
        assert not socket.is_connected("/chat")
    assert refusals() == ["csrf", "csrf"]


def test_another_origin_is_refused(app, in_session):
    socket = connect(
        app, in_session.patient_client, in_session.appointment.id, origin="https://evil.example"
    )
    assert not socket.is_connected("/chat")
    assert refusals() == ["origin"]


@pytest.mark.parametrize("appointment_id", [None, "1", 10**9])
def test_no_or_an_unknown_appointment_is_refused(app, in_session, appointment_id):
    socket = connect(app, in_session.patient_client, appointment_id)
    assert not socket.is_connected("/chat")
    assert refusals() in (["no_appointment"], ["not_a_participant"])


def test_a_bad_last_seen_at_the_door_is_refused(app, in_session):
    socket = connect(app, in_session.patient_client, in_session.appointment.id, last_seen="x")
    assert not socket.is_connected("/chat")
    assert refusals() == ["bad_last_seen"]


# --- the clock ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "therapist_in", "patient_in"),
    [
        (-11, False, False),
        (-10, True, False),
        (-1, True, False),
        (0, True, True),
        (49, True, True),
        (50, False, False),
    ],
)
def test_the_room_opens_10_minutes_early_for_the_therapist_and_at_the_start_for_the_patient(
    app, pair, minutes, therapist_in, patient_in
):
    pair.move_to(STARTS_AT + timedelta(minutes=minutes))
    therapist = connect(app, pair.therapist_client, pair.appointment.id)
    patient = connect(app, pair.patient_client, pair.appointment.id)
    assert therapist.is_connected("/chat") is therapist_in
    assert patient.is_connected("/chat") is patient_in


def test_at_50_minutes_sending_is_refused_and_the_room_says_it_closed(app, in_session):
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    received(patient)
    in_session.move_to(STARTS_AT + timedelta(minutes=50))
    ack = send(patient, "still there?", "late-message-01")
    assert ack["code"] == "closed"
    assert received(patient)["closed"]
    assert db.session.query(ChatMessage).count() == 0


def test_at_50_minutes_the_server_closes_the_room_without_waiting_for_the_page(
    app, in_session, background_tasks
):
    timers = background_tasks
    in_session.move_to(STARTS_AT + timedelta(minutes=49, seconds=59, milliseconds=500))
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    received(therapist)
    received(patient)
    in_session.clock.move_to(STARTS_AT + timedelta(minutes=50))  # nobody sends anything

    for timer in timers:  # each closes its connection and records the leave, then ends
        timer.join(timeout=20)
        assert not timer.is_alive()
    for socket in (therapist, patient):
        assert not socket.is_connected("/chat")
        # the test client refuses get_received once disconnected: read what it was sent
        closed = [event["args"][0] for event in socket.queue if event["name"] == "closed"]
        assert closed == [{"message": "This session has ended."}]
    kinds = db.session.scalars(select(AttendanceEvent.kind).order_by(AttendanceEvent.id)).all()
    assert [kind.value for kind in kinds] == ["join", "join", "leave", "leave"]


def test_the_patient_must_finish_the_questionnaires_first(app, client, clock):
    appointment = factories.make_appointment(starts_at=STARTS_AT)
    patient = db.session.get(type(appointment.patient), appointment.patient_id)
    fast_sign_in(client, patient)
    clock.move_to(STARTS_AT)
    socket = connect(app, client, appointment.id)
    assert not socket.is_connected("/chat")
    complete_questionnaires(appointment)
    assert connect(app, client, appointment.id).is_connected("/chat")
    assert refusals() == ["questionnaires"]


def test_an_unacknowledged_risk_flag_keeps_both_out(app, pair):
    flag = raise_risk_flag(pair.appointment)
    pair.move_to(STARTS_AT)
    assert not connect(app, pair.patient_client, pair.appointment.id).is_connected("/chat")
    assert not connect(app, pair.therapist_client, pair.appointment.id).is_connected("/chat")
    db.session.get(RiskFlag, flag.id).acknowledged_at = STARTS_AT
    db.session.commit()
    assert connect(app, pair.patient_client, pair.appointment.id).is_connected("/chat")
    assert refusals() == ["risk_flags", "risk_flags"]


def test_an_event_after_the_account_is_switched_off_is_refused(app, in_session):
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    db.session.get(User, in_session.patient.id).is_active_account = False
    db.session.commit()
    ack = send(patient, "hello", "switched-off-01")
    assert not ack["ok"] and ack["code"] == "signed_out"
    assert db.session.query(ChatMessage).count() == 0


def test_asking_for_missed_messages_is_refused_once_signed_out_or_no_longer_booked(app, in_session):
    """A resync's room check and read are one query: it still refuses as every event does."""
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    send(therapist, "Still there?", "t-resync-0001")
    asked = patient.emit("resync", {"last_seen": 0}, namespace="/chat", callback=True)
    assert [m["html"] for m in asked["messages"]] == ["Still there?"]
    assert patient.emit("resync", {"last_seen": 1}, namespace="/chat", callback=True) == {
        "ok": True,
        "messages": [],
    }

    db.session.get(User, in_session.patient.id).session_token = "signed-out-everywhere"
    db.session.commit()
    ack = patient.emit("resync", {"last_seen": 0}, namespace="/chat", callback=True)
    assert not ack["ok"] and ack["code"] == "signed_out" and "messages" not in ack

    db.session.get(Appointment, in_session.appointment.id).status = AppointmentStatus.CANCELLED
    db.session.commit()
    ack = therapist.emit("resync", {"last_seen": 0}, namespace="/chat", callback=True)
    assert not ack["ok"] and ack["code"] == "not_booked" and "messages" not in ack
    assert refusals()[-2:] == ["signed_out", "not_booked"]


# --- the record gate ----------------------------------------------------------------------------


def test_a_therapist_with_an_unrecorded_session_cannot_open_another(app, pair):
    pair.move_to(STARTS_AT)
    connect(app, pair.therapist_client, pair.appointment.id).disconnect("/chat")
    later = factories.make_appointment(
        factories.make_user(Role.PATIENT), pair.therapist, starts_at=STARTS_AT + timedelta(hours=1)
    )
    complete_questionnaires(later)
    pair.move_to(later.starts_at)
    assert not connect(app, pair.therapist_client, later.id).is_connected("/chat")
    assert refusals() == ["record_owed"]
    db.session.add(
        SessionRecord(
            appointment_id=pair.appointment.id,
            therapist_id=pair.therapist.id,
            clinical_notes="n",
            therapy_type="cbt",
            step_of_care="2",
            contact_minutes=50,
            attendance_code="5",
            next_steps="s",
        )
    )
    db.session.commit()
    assert connect(app, pair.therapist_client, later.id).is_connected("/chat")


def test_events_after_the_door_use_the_connections_session_without_reading_the_cookie(
    app, in_session, monkeypatch
):
    from flask.sessions import SecureCookieSessionInterface

    opened: list[str] = []
    real = SecureCookieSessionInterface.open_session

    def counting(self, app, request):  # type: ignore[no-untyped-def]
        opened.append(request.path)
        return real(self, app, request)

    monkeypatch.setattr(SecureCookieSessionInterface, "open_session", counting)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    assert patient.is_connected("/chat")
    at_the_door = len(opened)
    assert at_the_door >= 1  # the door reads the signed cookie: who is this?

    assert send(patient, "Hello", "client-msg-0001")["ok"]
    ack = patient.emit("typing", {"typing": True}, namespace="/chat", callback=True)
    assert ack["ok"]  # the session (who, which room) came from the connection's copy
    assert len(opened) == at_the_door


def test_messages_leave_no_garbage_cycles_behind(app, in_session):
    """Each event once left a reference cycle (Flask kept the NotFound from matching the
    Socket.IO path, traceback and all): garbage that only the collector's full passes free,
    which stalled every open room on a busy instance (realtime.SocketEventContext)."""
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    send(patient, "warm up", "client-msg-warm")
    gc.collect()
    gc.disable()
    try:
        for number in range(15):  # within the rate limit
            assert send(patient, f"message {number}", f"client-msg-{number:04}")["ok"]
            typing = {"typing": True}
            assert patient.emit("typing", typing, namespace="/chat", callback=True)["ok"]
        left_behind = gc.collect()
    finally:
        gc.enable()
    assert left_behind < 30  # fewer than one object per event: no cycle per event


def test_a_socket_event_matches_no_url_but_can_build_one(app):
    with app.request_context(create_environ("/socket.io/")) as context:
        assert isinstance(context, SocketEventContext)
        assert request.routing_exception is None and request.url_rule is None
        assert url_for("public.index") == "/"
    with app.request_context(create_environ("/no-such-page")) as context:
        assert not isinstance(context, SocketEventContext)
        assert request.routing_exception is not None


def test_a_risk_answer_given_during_the_session_is_shown_at_once_to_the_therapist_alone(
    app, in_session, outbox
):
    """The patient may change their answers until the session ends: a therapist already in the
    room is told at once, and emailed (without the patient's name or answer)."""
    therapist = connect(app, in_session.therapist_client, in_session.appointment.id)
    patient = connect(app, in_session.patient_client, in_session.appointment.id)
    received(therapist), received(patient)
    outbox.clear()
    base = f"/questionnaires/appointments/{in_session.appointment.id}/phq9"
    for page, answers in enumerate(
        ({"q1": "1", "q2": "1", "q3": "0"}, {"q4": "0", "q5": "0", "q6": "0"}),
        start=1,
    ):
        submit(in_session.patient_client, f"{base}/{page}", answers)
    assert "risk_flag" not in received(therapist)
    submit(in_session.patient_client, f"{base}/3", {"q7": "0", "q8": "0", "q9": "2"})

    (alert,) = received(therapist)["risk_flag"]
    assert alert["url"] == f"/questionnaires/therapist/appointments/{in_session.appointment.id}"
    assert "may be a sign of risk" in alert["message"]
    assert "risk_flag" not in received(patient)
    (email,) = outbox
    assert email.to == in_session.therapist.email
    assert in_session.patient.full_name not in email.body and alert["url"] in email.body
