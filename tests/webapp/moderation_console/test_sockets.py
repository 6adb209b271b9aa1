"""The live queue over Socket.IO (/moderation): the door's checks, a new item arriving on a
moderator's screen as it is queued, and the role checked again on every event."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.webapp.community.conftest import connect_queue, make_member, post_thread
from webapp.extensions import db, socketio
from webapp.models import AuditEvent, ModerationItem, Role, User
from webapp.realtime import RELAY_WATCH, RelayWatch

NS = "/moderation"


def _events(socket) -> dict[str, list]:
    events: dict[str, list] = {}
    for event in socket.get_received(NS):
        events.setdefault(event["name"], []).append(event["args"][0])
    return events


def _refusals() -> list[str]:
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "moderation.socket_refused")
    )
    return [row.detail["reason"] for row in rows]


def test_a_moderator_receives_a_new_item_live(app, signed_in, space):
    moderator_client = signed_in(factories.make_user(Role.MODERATOR))
    socket = connect_queue(app, moderator_client)
    assert socket.is_connected(NS)
    assert _events(socket)["queue"] == [[]]

    author = make_member("calm-heron", full_name="Priyanka Example")
    post_thread(signed_in(author), space.id, "Tonight", "I want to <b>kill myself</b>")
    items = _events(socket)["item"]
    assert len(items) == 1
    item = items[0]
    assert item["kind"] == "alert" and item["is_clinical_risk"] and item["handle"] == "calm-heron"
    assert "&lt;b&gt;" in item["html"] and "<b>" not in item["html"]
    assert item["id"] == db.session.scalar(select(ModerationItem.id))
    assert "Priyanka" not in str(item)  # moderators see the handle, never the name


def test_the_clinical_lead_may_watch_the_queue_too(app, signed_in):
    socket = connect_queue(app, signed_in(factories.make_user(Role.CLINICAL_LEAD)))
    assert socket.is_connected(NS)


def test_a_patient_is_refused_at_the_door(app, signed_in):
    socket = connect_queue(app, signed_in(make_member("calm-heron")))
    assert not socket.is_connected(NS)
    assert _refusals() == ["role"]


def test_a_missing_csrf_token_or_another_origin_is_refused(app, signed_in):
    client = signed_in(factories.make_user(Role.MODERATOR))
    assert not connect_queue(app, client, fetch_token=False, token=None).is_connected(NS)
    assert not connect_queue(app, client, origin="https://evil.example").is_connected(NS)
    assert _refusals() == ["csrf", "origin"]


def test_a_signed_out_visitor_is_refused(app, client):
    assert not connect_queue(app, client, fetch_token=False, token="x").is_connected(NS)
    assert _refusals() == ["signed_out"]


def test_acknowledge_over_the_socket_and_the_role_is_checked_on_every_event(app, signed_in, space):
    moderator = factories.make_user(Role.MODERATOR)
    socket = connect_queue(app, signed_in(moderator))
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", "I want to kill myself")
    item_id = db.session.scalar(select(ModerationItem.id))
    assert socket.emit("acknowledge", {"item_id": "x"}, namespace=NS, callback=True)["ok"] is False
    ack = socket.emit("acknowledge", {"item_id": item_id}, namespace=NS, callback=True)
    assert ack == {"ok": True}
    assert db.session.get(ModerationItem, item_id).acknowledged_by_id == moderator.id

    db.session.get(User, moderator.id).is_active_account = False
    db.session.commit()
    refused = socket.emit("acknowledge", {"item_id": item_id}, namespace=NS, callback=True)
    assert refused["ok"] is False


def test_a_decision_takes_the_post_off_every_moderators_live_queue(app, signed_in, space):
    from tests.conftest import csrf_token

    watcher = connect_queue(app, signed_in(factories.make_user(Role.MODERATOR)))
    post_thread(signed_in(make_member("calm-heron")), space.id, "Number", "Ring 07700 900123")
    item = db.session.scalar(select(ModerationItem))
    _events(watcher)
    deciding = signed_in(factories.make_user(Role.MODERATOR))
    path = f"/moderation/items/{item.id}"
    deciding.post(
        path,
        data={
            "csrf_token": csrf_token(deciding, path),
            "decision": "remove",
            "reason": "Contact details",
        },
    )
    assert _events(watcher)["decided"] == [{"post_id": item.post_id}]


def test_while_the_queue_between_instances_is_down_the_page_is_told_and_can_ask(
    app, signed_in, space, monkeypatch
):
    """See webapp.realtime.RelayWatch: an item queued on another instance is not pushed here
    meanwhile, so static/moderation.js asks for the open queue (`refresh`) every few seconds."""
    monkeypatch.setattr(socketio, "start_background_task", lambda *args: None)
    watch = RelayWatch(socketio, "redis://127.0.0.1:1/0", reachable=lambda _url: False)
    monkeypatch.setitem(app.extensions, RELAY_WATCH, watch)
    moderator = factories.make_user(Role.MODERATOR)
    socket = connect_queue(app, signed_in(moderator))
    assert _events(socket)["relay"] == [{"live": False}]
    post_thread(signed_in(make_member("calm-heron")), space.id, "Tonight", "I want to kill myself")
    answer = socket.emit("refresh", namespace=NS, callback=True)
    assert answer["ok"] and [item["handle"] for item in answer["items"]] == ["calm-heron"]

    db.session.get(User, moderator.id).is_active_account = False
    db.session.commit()
    refused = socket.emit("refresh", namespace=NS, callback=True)
    assert refused["ok"] is False and "items" not in refused
