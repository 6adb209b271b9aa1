"""Each serving instance's life on record (webapp.heartbeat): begun once, by the first request
it serves; kept by its beats, which outlive a failed one; ended when it stops cleanly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from webapp import heartbeat as heartbeat_module
from webapp.extensions import db
from webapp.heartbeat import HEARTBEAT_KEY, Heartbeat
from webapp.models import ServerInstance
from webapp.sessions.room import HEARTBEAT

STARTED = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = STARTED

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def tasks():
    return []


@pytest.fixture
def beating(app, clock, tasks, monkeypatch):
    """A heartbeat switched on, whose background task is only noted (the test runs it)."""
    monkeypatch.setattr(heartbeat_module.atexit, "register", lambda _stop: None)
    return Heartbeat(app, tasks.append, lambda _seconds: None, enabled=True, now=clock)


def lives():
    return db.session.scalars(select(ServerInstance)).all()


def test_the_first_request_begins_the_life_once_and_starts_the_beats(beating, tasks):
    instance = beating.begin()
    assert beating.begin() == instance
    (life,) = lives()
    assert (life.id, life.started_at, life.beat_at, life.stopped_at) == (
        instance,
        STARTED,
        STARTED,
        None,
    )
    assert life.host
    assert tasks == [beating._beat_forever]  # one beating task, however many requests


def test_beats_move_the_last_beat_and_a_clean_stop_says_so(beating, clock):
    beating.begin()
    clock.now += HEARTBEAT
    beating.beat()
    db.session.expire_all()
    assert lives()[0].beat_at == STARTED + HEARTBEAT
    clock.now += timedelta(seconds=3)
    beating.stop()
    db.session.expire_all()
    life = lives()[0]
    assert life.stopped_at == life.beat_at == STARTED + HEARTBEAT + timedelta(seconds=3)


def test_the_stop_at_exit_never_raises(beating, monkeypatch, caplog):
    beating.begin()
    monkeypatch.setattr(beating, "stop", lambda: (_ for _ in ()).throw(OSError("gone")))
    with caplog.at_level(logging.ERROR):
        beating._stop_at_exit()
    assert "recording this instance's stop failed" in caplog.text


def test_a_database_that_refuses_the_start_is_tried_again_on_the_next_request(
    beating, tasks, monkeypatch, caplog
):
    real = beating._transaction
    monkeypatch.setattr(beating, "_transaction", lambda: (_ for _ in ()).throw(OSError("down")))
    with caplog.at_level(logging.ERROR):
        instance = beating.begin()
    assert "recording this instance's start failed" in caplog.text
    assert lives() == [] and tasks == []
    monkeypatch.setattr(beating, "_transaction", real)
    assert beating.begin() == instance
    assert [life.id for life in lives()] == [instance] and len(tasks) == 1


def test_a_failed_beat_is_logged_and_the_next_one_still_lands(app, clock, monkeypatch, caplog):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock.now += timedelta(seconds=seconds)
        if len(sleeps) == 3:
            raise SystemExit  # the test's way out of the endless loop

    beats = Heartbeat(app, lambda _task: None, sleep, enabled=True, now=clock)
    monkeypatch.setattr(heartbeat_module.atexit, "register", lambda _stop: None)
    beats.begin()
    calls = []
    real_beat = beats.beat

    def flaky_beat():
        calls.append(clock.now)
        if len(calls) == 1:
            raise OSError("the database is restarting")
        real_beat()

    monkeypatch.setattr(beats, "beat", flaky_beat)
    with caplog.at_level(logging.ERROR), pytest.raises(SystemExit):
        beats._beat_forever()
    assert sleeps == [HEARTBEAT.total_seconds()] * 3
    assert "recording this instance's heartbeat failed" in caplog.text
    db.session.expire_all()
    assert lives()[0].beat_at == STARTED + 2 * HEARTBEAT  # the second beat landed


def test_switched_off_it_records_nothing_but_still_names_the_instance(app, tasks):
    quiet = Heartbeat(app, tasks.append, lambda _seconds: None, enabled=False)
    assert len(quiet.begin()) == 16
    assert lives() == [] and tasks == []


def test_any_request_begins_the_serving_instances_life(app, client, beating, tasks, monkeypatch):
    """(The row itself is written on a session of its own: in production its own connection
    and transaction. Here every session shares the test's one connection, and the end of the
    request rolls back the savepoint it was written in, so the test looks at the beats.)"""
    monkeypatch.setitem(app.extensions, HEARTBEAT_KEY, beating)
    client.get("/health")
    client.get("/health")
    assert tasks == [beating._beat_forever]


def test_the_life_is_written_on_a_session_of_its_own_not_the_requests(app, beating):
    """The request's pending work is neither committed nor rolled back by the heartbeat."""
    from webapp.models import AuditEvent

    db.session.add(AuditEvent(action="test.pending", detail={}))
    beating.begin()
    assert any(isinstance(row, AuditEvent) for row in db.session.new)  # still pending
    db.session.rollback()
    assert [life.id for life in lives()] == [beating.instance]
