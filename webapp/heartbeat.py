"""Each serving app instance keeps its own life on record (`models.ServerInstance`): when it
started, every `room.HEARTBEAT` that it is still serving, and when it stops cleanly that it
stopped. A server that crashes records nothing more, so its sockets' attendance has no end and
the instance simply falls silent; the session rules (`sessions.room`) then end those
connections at its last heartbeat, and read the gaps between lives as the provider's outages.

An instance begins its life with the first request it serves (a page, a health check or a
room's door), not when the app is made: the command line (`flask db upgrade`, `flask
seed-demo`) and the job worker build the app too, and they serve no one. The tests switch the
heartbeat off (`SERVER_HEARTBEAT`); their attendance still carries an instance id, with no
life on record, which the rules read as they read events from before instances were recorded.
"""

from __future__ import annotations

import atexit
import logging
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.models import ServerInstance, utcnow
from webapp.sessions.room import HEARTBEAT

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "heartbeat"


class Heartbeat:
    """One per app. `begin()` records the life once (again on the next request if the database
    refused); `beat()` and `stop()` keep it; the beats run in a background task of the app's
    Socket.IO async mode (a greenlet under gevent, a thread otherwise)."""

    def __init__(
        self,
        app: Flask,
        start_background_task: Callable[..., object],
        sleep: Callable[[float], object],
        *,
        enabled: bool,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.instance = secrets.token_hex(8)
        self._app = app
        self._start_background_task = start_background_task
        self._sleep = sleep
        self._enabled = enabled
        self._now = now
        self._begun = False
        self._lock = threading.Lock()

    def begin(self) -> str:
        """Record this instance's start, once; returns its id. A failure is logged and tried
        again on the next request: nothing a user asked for waits on it."""
        if self._begun or not self._enabled:
            return self.instance
        with self._lock:
            if self._begun:
                return self.instance
            now = self._now()
            life = ServerInstance(
                id=self.instance, host=socket.gethostname()[:255], started_at=now, beat_at=now
            )
            try:
                with self._transaction() as session:
                    session.add(life)
            except Exception:
                log.exception("recording this instance's start failed; trying again later")
                return self.instance
            self._begun = True
        self._start_background_task(self._beat_forever)
        atexit.register(self._stop_at_exit)
        return self.instance

    def beat(self) -> None:
        self._record(beat_at=self._now())

    def stop(self) -> None:
        now = self._now()
        self._record(beat_at=now, stopped_at=now)

    def _stop_at_exit(self) -> None:
        try:
            self.stop()
        except Exception:  # without it the instance is taken to have stopped at its last beat
            log.exception("recording this instance's stop failed")

    def _record(self, **values: datetime) -> None:
        with self._transaction() as session:
            session.execute(
                update(ServerInstance).where(ServerInstance.id == self.instance).values(**values)
            )

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session of its own, never the request's (which it would commit or roll back
        under the request's feet), on whatever the app's sessions are bound to (the engine;
        in the tests, their one connection)."""
        bind = db.session.get_bind()  # (no app context: leaving one would end the request's)
        with (
            Session(bind=bind, join_transaction_mode="create_savepoint") as session,
            session.begin(),
        ):
            yield session

    def _beat_forever(self) -> None:
        while True:
            self._sleep(HEARTBEAT.total_seconds())
            try:
                self.beat()
            except Exception:  # a missed beat is only a beat; the next one may land
                log.exception("recording this instance's heartbeat failed")


def this_instance() -> str:
    """The id of the instance serving this request (its life begun, if not yet)."""
    heartbeat: Heartbeat = current_app.extensions[HEARTBEAT_KEY]
    return heartbeat.begin()


def begin_on_first_request() -> None:
    """A `before_request` hook: cheap once the life has begun."""
    this_instance()
