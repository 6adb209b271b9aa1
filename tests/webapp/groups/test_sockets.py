"""The group room (`/group`): who gets in, who is refused (and audited), handles instead of
names, numbering and resync, held risk messages, and a facilitator's mute and remove."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.groups.conftest import (
    NAMESPACE,
    STARTS_AT,
    connect,
    make_member,
    received,
    send,
)
from tests.webapp.sessions.conftest import ORIGIN, fast_sign_in
from webapp.extensions import db, socketio
from webapp.groups import services
from webapp.models import (
    AuditEvent,
    EnrolmentStatus,
    GroupMessage,
    ModerationItem,
    Role,
    Shift,
    ShiftKind,
    User,
)
from webapp.realtime import RELAY_WATCH, RelayWatch

RISK = "I want to kill myself tonight"


def refusals() -> list[str]:
    return [
        event.detail["reason"]
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "group.room_refused")
        )
    ]


def test_a_member_and_the_facilitator_join_and_see_each_other_by_handle_and_name(world):
    facilitator = connect(world, world.facilitator)
    member = connect(world, world.members[0])
    assert facilitator.is_connected(NAMESPACE) and member.is_connected(NAMESPACE)
    joined = received(member)["joined"][0]
    assert joined["you"] == "calm-river" and joined["facilitator"] is False
    roster = received(facilitator)["roster"][0]
    assert sorted(m["handle"] for m in roster) == ["blue-heron", "calm-river", "quiet-oak"]


def test_members_appear_under_their_handle_never_their_real_name(world):
    first, second = connect(world, world.members[0]), connect(world, world.members[1])
    received(second)
    ack = send(first, "Hello everyone", "client-0001")
    assert ack["ok"] and ack["message"]["sender"] == "calm-river"
    chat = received(second)["chat"]
    assert [m["sender"] for m in chat] == ["calm-river"]
    assert "Realname" not in repr(chat) and "Alice" not in repr(chat)
    assert "Realname" not in repr(received(first))


def test_messages_are_numbered_stored_once_encrypted_and_resynced(world):
    member = connect(world, world.members[0])
    assert send(member, "one", "client-0001")["message"]["sequence"] == 1
    again = send(member, "one", "client-0001")
    assert again["duplicate"] and again["message"]["sequence"] == 1
    assert send(member, "two", "client-0002")["message"]["sequence"] == 2
    raw = db.session.execute(text("SELECT body FROM group_messages")).scalars().all()
    assert len(raw) == 2 and all("one" not in body and "two" not in body for body in raw)
    later = connect(world, world.members[1], last_seen=1)
    assert [m["html"] for m in received(later)["history"][0]] == ["two"]
    resync = later.emit("resync", {"last_seen": 0}, namespace=NAMESPACE, callback=True)
    assert [m["sequence"] for m in resync["messages"]] == [1, 2]
    bad = later.emit("resync", {"last_seen": -1}, namespace=NAMESPACE, callback=True)
    assert bad["ok"] is False and bad["code"] == "bad_last_seen"


def test_a_patient_who_is_not_a_member_is_refused_and_audited(world):
    outsider = make_member("lone-wolf")
    socket = connect(world, outsider)
    assert not socket.is_connected(NAMESPACE)
    assert refusals() == ["not_a_member"]


def test_someone_on_the_waiting_list_is_refused(world):
    waiting = make_member("patient-wait")
    assert services.request_place(waiting, world.group, now=STARTS_AT).status is (
        EnrolmentStatus.WAITING
    )
    assert not connect(world, waiting).is_connected(NAMESPACE)
    assert refusals() == ["not_a_member"]


def test_another_therapist_is_refused(world):
    other = factories.make_therapist()
    assert not connect(world, other).is_connected(NAMESPACE)
    assert refusals() == ["not_a_member"]


def test_a_removed_member_is_refused_at_the_door(world):
    enrolment = services.request_place(world.members[0], world.group, now=STARTS_AT)
    services.remove(world.facilitator, enrolment, now=STARTS_AT)
    assert not connect(world, world.members[0]).is_connected(NAMESPACE)
    assert refusals() == ["removed"]


def test_signed_out_is_refused(world):
    client = world.app.test_client()
    socket = connect(world, None, client=client)
    assert not socket.is_connected(NAMESPACE)
    assert refusals() == ["signed_out"]


def test_a_wrong_origin_is_refused(world):
    assert not connect(world, world.members[0], origin="https://evil.example").is_connected(
        NAMESPACE
    )
    assert refusals() == ["origin"]


def test_a_missing_or_wrong_csrf_token_is_refused(world):
    assert not connect(world, world.members[0], fetch_token=False, token=None).is_connected(
        NAMESPACE
    )
    assert not connect(world, world.members[1], fetch_token=False, token="forged").is_connected(
        NAMESPACE
    )
    assert refusals() == ["csrf", "csrf"]


def test_the_room_is_not_open_for_members_before_the_start_but_is_for_the_facilitator(world, clock):
    clock.move_to(STARTS_AT - timedelta(minutes=5))
    fast_sign_in(world.client(world.members[0]), world.members[0])
    fast_sign_in(world.client(world.facilitator), world.facilitator)
    assert not connect(world, world.members[0]).is_connected(NAMESPACE)
    assert connect(world, world.facilitator).is_connected(NAMESPACE)
    assert refusals() == ["not_yet"]


def test_membership_is_checked_on_every_event(world):
    """As if another instance removed the member: this socket is refused at its next event."""
    member = connect(world, world.members[0])
    received(member)
    enrolment = services.request_place(world.members[0], world.group, now=STARTS_AT)
    enrolment.status = EnrolmentStatus.REMOVED
    db.session.commit()
    ack = send(member, "still here?", "client-0003")
    assert ack["ok"] is False and ack["code"] == "removed"
    assert db.session.scalar(select(GroupMessage.id)) is None
    assert "removed" in refusals()
    assert not member.is_connected(NAMESPACE)


def test_a_facilitator_removing_someone_closes_their_sockets_at_once(world):
    member = connect(world, world.members[0])
    enrolment = services.request_place(world.members[0], world.group, now=STARTS_AT)
    services.remove(world.facilitator, enrolment, now=STARTS_AT)
    assert not member.is_connected(NAMESPACE)


def test_signing_out_everywhere_refuses_the_next_event(world):
    member = connect(world, world.members[0])
    db.session.get(User, world.members[0].id).session_token = "rotated-" + "x" * 30
    db.session.commit()
    ack = send(member, "hello", "client-0004")
    assert ack["ok"] is False and ack["code"] == "signed_out"
    assert "signed_out" in refusals()


def test_a_risk_message_is_held_from_the_group_and_alerts_the_facilitator_and_moderator(
    world, outbox
):
    moderator = factories.make_user(Role.MODERATOR, email="mod@example.org")
    db.session.add(
        Shift(
            user_id=moderator.id,
            kind=ShiftKind.MODERATOR,
            starts_at=STARTS_AT - timedelta(hours=1),
            ends_at=STARTS_AT + timedelta(hours=8),
        )
    )
    db.session.commit()
    author, other = connect(world, world.members[0]), connect(world, world.members[1])
    facilitator = connect(world, world.facilitator)
    for socket in (author, other, facilitator):
        received(socket)
    queue = moderation_queue(world, moderator)
    ack = send(author, RISK, "client-risk1")
    assert ack["ok"] and ack["support"] is True and ack["message"]["held"] is True
    assert "chat" not in received(other)  # hidden from the group
    seen_by_facilitator = received(facilitator)
    assert [m["held"] for m in seen_by_facilitator["chat"]] == [True]
    assert seen_by_facilitator["alert"][0]["sender"] == "calm-river"
    assert received(author)["chat"][0]["held"] is True
    alert = [m for m in outbox if m.to == "mod@example.org"]
    assert len(alert) == 1 and "kill" not in alert[0].body and "calm-river" not in alert[0].body
    live = [e["args"][0] for e in queue.get_received("/moderation") if e["name"] == "item"]
    assert [(item["kind"], item["handle"]) for item in live] == [("alert", "calm-river")]
    assert world.group.title in live[0]["where"]  # more in test_risk_alerts.py
    queue.disconnect("/moderation")
    # Nor does a later resync show it to other members.
    history = other.emit("resync", {"last_seen": 0}, namespace=NAMESPACE, callback=True)
    assert history["messages"] == []
    message = db.session.scalar(select(GroupMessage))
    assert message.is_held and message.is_clinical_risk and message.rule_ids


def test_a_resync_says_how_far_the_rooms_numbers_go_so_a_held_gap_is_settled(world):
    """A member never sees a message held from the group, so its number is a gap on their page;
    the answer's `through` (the highest number when asked) tells the page nothing is missing up
    to there, where a gap it cannot explain makes it ask (static/group.js)."""
    author, other = connect(world, world.members[0]), connect(world, world.members[1])
    send(other, "first", "client-0001")
    send(author, RISK, "client-risk1")  # 2: held
    send(other, "third", "client-0003")
    answer = other.emit("resync", {"last_seen": 1}, namespace=NAMESPACE, callback=True)
    assert [m["sequence"] for m in answer["messages"]] == [3]
    assert answer["through"] == 3
    answer = other.emit("resync", {"last_seen": 3}, namespace=NAMESPACE, callback=True)
    assert answer == {"ok": True, "messages": [], "through": 3}


def moderation_queue(world, moderator):
    """The moderator's live queue, connected as its page does."""
    client = world.app.test_client()
    fast_sign_in(client, moderator)
    return socketio.test_client(
        world.app,
        namespace="/moderation",
        flask_test_client=client,
        headers={"Origin": ORIGIN},
        auth={"csrf_token": csrf_token(client, "/account")},
    )


def test_a_facilitator_quoting_risk_words_is_not_held(world):
    facilitator, member = connect(world, world.facilitator), connect(world, world.members[0])
    received(member)
    ack = send(facilitator, "If you feel suicidal, call 111 option 2", "client-fac01")
    assert ack["ok"] and ack["message"]["held"] is False and ack["support"] is False
    assert received(member)["chat"][0]["sender"] == "Dr Tessa Facilitator (facilitator)"


def test_a_facilitator_mutes_a_member_who_can_then_read_but_not_post(world):
    facilitator, member = connect(world, world.facilitator), connect(world, world.members[0])
    roster = received(facilitator)["roster"][0]
    target = next(m for m in roster if m["handle"] == "calm-river")
    received(member)
    ack = facilitator.emit(
        "mute", {"user_id": target["user_id"], "muted": True}, namespace=NAMESPACE, callback=True
    )
    assert ack == {"ok": True, "muted": True}
    assert received(member)["muted"] == [{"muted": True}]
    refused = send(member, "can I talk?", "client-mute1")
    assert refused["ok"] is False and refused["code"] == "muted"
    send(facilitator, "welcome", "client-fac02")
    assert received(member)["chat"][0]["html"] == "welcome"
    facilitator.emit(
        "mute", {"user_id": target["user_id"], "muted": False}, namespace=NAMESPACE, callback=True
    )
    assert send(member, "thanks", "client-mute2")["ok"]


def test_a_member_cannot_mute_or_remove(world):
    member = connect(world, world.members[0])
    ack = member.emit(
        "remove", {"user_id": world.members[1].id}, namespace=NAMESPACE, callback=True
    )
    assert ack["ok"] is False and ack["code"] == "forbidden"
    assert "not_a_facilitator" in refusals()
    assert services.request_place(world.members[1], world.group, now=STARTS_AT).status is (
        EnrolmentStatus.ENROLLED
    )


def test_a_facilitator_removes_a_member_from_the_room(world):
    facilitator, member = connect(world, world.facilitator), connect(world, world.members[1])
    received(member)
    ack = facilitator.emit(
        "remove", {"user_id": world.members[1].id}, namespace=NAMESPACE, callback=True
    )
    assert ack == {"ok": True}
    assert not member.is_connected(NAMESPACE)
    assert not connect(world, world.members[1]).is_connected(NAMESPACE)


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001, None, 5])
def test_bad_messages_are_refused_and_nothing_is_stored(world, body):
    member = connect(world, world.members[0])
    ack = member.emit(
        "send", {"client_id": "client-bad01", "body": body}, namespace=NAMESPACE, callback=True
    )
    assert ack["ok"] is False and ack["code"] == "message"
    assert db.session.scalar(select(GroupMessage.id)) is None


def test_after_the_end_an_event_is_refused_and_the_page_told(world, clock):
    member = connect(world, world.members[0])
    clock.move_to(STARTS_AT + timedelta(minutes=61))
    fast_sign_in(world.client(world.members[0]), world.members[0])
    ack = send(member, "late", "client-late1")
    assert ack["ok"] is False and ack["code"] == "closed"
    assert "closed" in received(member)


def test_at_the_end_the_server_closes_the_room_without_waiting_for_the_page(
    world, clock, background_tasks
):
    timers = background_tasks
    clock.move_to(world.meeting.ends_at - timedelta(milliseconds=500))
    people = (world.facilitator, world.members[0])
    for person in people:
        fast_sign_in(world.client(person), person)
    sockets = [connect(world, person) for person in people]
    assert all(socket.is_connected(NAMESPACE) for socket in sockets)
    clock.move_to(world.meeting.ends_at)  # nobody sends anything

    assert len(timers) == 2
    for timer in timers:
        timer.join(timeout=20)
        assert not timer.is_alive()
    for socket in sockets:
        assert not socket.is_connected(NAMESPACE)
        closed = [event["args"][0] for event in socket.queue if event["name"] == "closed"]
        assert closed == [{"message": "This meeting has ended."}]


def test_a_member_is_told_when_the_queue_between_instances_goes_and_comes_back(world, monkeypatch):
    """See webapp.realtime.RelayWatch (its own tests are with the session room's)."""
    queue_up = False
    monkeypatch.setattr(socketio, "start_background_task", lambda *args: None)
    watch = RelayWatch(socketio, "redis://127.0.0.1:1/0", reachable=lambda _url: queue_up)
    monkeypatch.setitem(world.app.extensions, RELAY_WATCH, watch)
    member = connect(world, world.members[0])
    assert received(member)["relay"] == [{"live": False}]
    queue_up = True
    watch.check()
    assert received(member)["relay"] == [{"live": True}]


def test_a_members_risk_message_is_held_and_alerted_even_when_they_are_sending_too_quickly(
    world,
):
    """The rate limit turns ordinary messages away, never a member in crisis typing fast."""
    author = connect(world, world.members[0])
    for number in range(20):
        assert send(author, f"m{number}", f"rate-limit-{number:04d}")["ok"]
    assert "too quickly" in send(author, "one too many", "rate-limit-9999")["error"]
    ack = send(author, RISK, "client-risk1")
    assert ack["ok"] and ack["message"]["held"] is True and ack["support"] is True
    message = db.session.scalar(
        select(GroupMessage).where(GroupMessage.client_id == "client-risk1")
    )
    assert message.is_clinical_risk
    assert db.session.scalar(
        select(ModerationItem).where(ModerationItem.group_message_id == message.id)
    )
    assert send(author, RISK, "client-risk1")["duplicate"] is True  # a resend stores nothing
    # With that alert open, more risk words while over the limit are turned away like any
    # message: one open alert reaches the people who help, not a flood of texts to on-call.
    assert "too quickly" in send(author, RISK + " now", "client-risk2")["error"]
    assert db.session.query(ModerationItem).count() == 1
