"""The watch on the message queue that carries rooms across instances (webapp.realtime.RelayWatch):
while the queue is down, open rooms are told (and pages joining are told at the door), so that
their pages ask for what they missed; when it is back, they are told again. The queue's state is
faked here; test_room_in_chromium.py has the page doing the asking against a queue that is not
there, and the group room's own tests the group room being told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.webapp.sessions.conftest import STARTS_AT, connect, received, send
from webapp.extensions import socketio
from webapp.realtime import RELAY_WATCH, RelayWatch

QUEUE = "redis://127.0.0.1:1/0"


class FakeQueue:
    def __init__(self, up: bool) -> None:
        self.up = up
        self.looked_at: list[str] = []

    def reachable(self, url: str) -> bool:
        self.looked_at.append(url)
        return self.up


@pytest.fixture
def watched(app, pair, monkeypatch):
    """A watch on a fake queue, installed as a configured queue would install it; its
    background loop is recorded, not run (the test looks by calling `check`)."""
    pair.move_to(STARTS_AT + timedelta(minutes=1))
    loops: list[Any] = []
    monkeypatch.setattr(socketio, "start_background_task", lambda *args: loops.append(args))
    queue = FakeQueue(up=False)
    watch = RelayWatch(socketio, QUEUE, reachable=queue.reachable)
    app.extensions[RELAY_WATCH] = watch
    yield pair, queue, watch, loops
    del app.extensions[RELAY_WATCH]


def watch_loops(loops: list[Any], watch: RelayWatch) -> int:
    return sum(1 for task in loops if task[0] == watch._watch)


def relay_events(socket) -> list[Any]:
    return received(socket).get("relay", [])


def test_a_page_joining_while_the_queue_is_down_is_told_at_the_door(app, watched):
    pair, queue, watch, loops = watched
    patient = connect(app, pair.patient_client, pair.appointment.id)
    assert relay_events(patient) == [{"live": False}]
    assert queue.looked_at == [QUEUE]  # one look, then the watch's loop
    assert watch_loops(loops, watch) == 1
    therapist = connect(app, pair.therapist_client, pair.appointment.id)
    assert relay_events(therapist) == [{"live": False}]
    assert watch_loops(loops, watch) == 1, "the watch starts once per app"
    assert relay_events(patient) == []


def test_open_rooms_are_told_when_the_queue_goes_and_comes_back(app, watched):
    pair, queue, watch, _loops = watched
    queue.up = True
    patient = connect(app, pair.patient_client, pair.appointment.id)
    therapist = connect(app, pair.therapist_client, pair.appointment.id)
    assert relay_events(patient) == [] and relay_events(therapist) == []

    queue.up = False
    watch.check()
    assert relay_events(patient) == [{"live": False}]
    assert relay_events(therapist) == [{"live": False}]
    watch.check()  # no change, nothing said
    assert relay_events(patient) == []

    # Meanwhile the room works on this instance, and a page asking for what it missed gets it.
    send(therapist, "Still here", "t-relay-0001")
    assert [m["sequence"] for m in received(patient)["chat"]] == [1]
    missed = patient.emit("resync", {"last_seen": 0}, namespace="/chat", callback=True)
    assert [m["html"] for m in missed["messages"]] == ["Still here"]

    queue.up = True
    watch.check()
    assert relay_events(patient) == [{"live": True}]
    assert relay_events(therapist) == [{"live": True}]


class Stop(BaseException):
    """Ends the watch's endless loop in the test (it carries on after any Exception)."""


def test_a_look_that_fails_does_not_stop_the_watch(watched, monkeypatch):
    _pair, _queue, watch, _loops = watched
    looks: list[str] = []

    def check() -> None:
        looks.append("look")
        if len(looks) == 1:
            raise RuntimeError("the queue answered with something unexpected")
        if len(looks) == 3:
            raise Stop

    monkeypatch.setattr(watch, "check", check)
    monkeypatch.setattr(socketio, "sleep", lambda _seconds: None)
    with pytest.raises(Stop):
        watch._watch()
    assert len(looks) == 3


def test_without_a_queue_nothing_is_watched_or_said(app, pair):
    pair.move_to(STARTS_AT + timedelta(minutes=1))
    assert RELAY_WATCH not in app.extensions
    patient = connect(app, pair.patient_client, pair.appointment.id)
    assert "relay" not in received(patient)
