"""What every Socket.IO namespace checks at its door (STYLE.md section 5): signed in and not
expired, the site's own Origin, and a valid CSRF token from the page. The session room (`/chat`),
the group room (`/group`) and the moderators' live queue (`/moderation`) share it. Also what the
rooms share beyond the door: their end-of-time timers, and the watch on the message queue that
carries rooms across instances."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask.ctx import RequestContext
from flask_login import current_user
from flask_socketio import SocketIO, emit
from flask_wtf.csrf import ValidationError, validate_csrf

from webapp import health
from webapp.security import is_session_expired

log = logging.getLogger(__name__)

SOCKETIO_PATH = "/socket.io"
"""Where Socket.IO is served (Flask-SocketIO's default). Its middleware answers every request
under this path itself, so a Flask request context for it is always one of its events."""

CLOCK_CHECK_SECONDS = 60.0
"""A room's end-of-time timer sleeps at most this long between looks at the clock."""


def connect_handler(
    on_connect: Callable[[Any, Any], None],
) -> Callable[[Any, Any], None]:
    """For every namespace's `on_connect`. Flask-SocketIO calls a connect handler again without
    its `auth` when the first call raises TypeError (its test for the older signature), so a
    TypeError from our own code would run half the handler twice and then come back as a
    refusal for a missing CSRF token, audited as such. Raised as RuntimeError, it is logged as
    the fault it is."""

    @functools.wraps(on_connect)
    def guarded(namespace: Any, auth: Any = None) -> None:
        try:
            on_connect(namespace, auth)
        except TypeError as error:
            raise RuntimeError(f"{on_connect.__qualname__} failed") from error

    return guarded


def origin_allowed() -> bool:
    """Browsers send Origin on the websocket and on cross-origin polling: when present it must
    be the site's own address (the CSRF token is required whatever the Origin says)."""
    from webapp import site_origin

    origin = request.headers.get("Origin")
    return origin is None or origin == site_origin(current_app.config["SITE_URL"])


def door_problem(auth: Any) -> str | None:
    """Why a connection is refused at the door, as a stable code for the audit ("signed_out",
    "origin", "csrf"), or None when signed in, same-origin and carrying a valid token."""
    if not current_user.is_authenticated or is_session_expired():
        return "signed_out"
    if not origin_allowed():
        return "origin"
    try:
        validate_csrf(auth.get("csrf_token") if isinstance(auth, dict) else None)
    except ValidationError:
        return "csrf"
    return None


def close_when_over(
    namespace: Any, sid: str, closes_at: datetime, message: str, now: Callable[[], datetime]
) -> None:
    """Each connection's own timer, started at the door as a background task: when the room's
    time is up the server tells the page (a "closed" event with `message`) and closes the
    connection (its disconnect handler then records the leave), rather than trusting the
    page's clock. It sleeps until then, looking again at least every CLOCK_CHECK_SECONDS should
    the clock be corrected, and stops once the connection has gone. Used by the session room
    and the group room."""
    try:
        while True:
            remaining = (closes_at - now()).total_seconds()
            if remaining > 0:
                namespace.socketio.sleep(min(remaining, CLOCK_CHECK_SECONDS))
            if not namespace.socketio.server.manager.is_connected(sid, namespace.namespace):
                return  # (it counts as connected only once on_connect has returned)
            if remaining <= 0:
                namespace.socketio.emit(
                    "closed", {"message": message}, to=sid, namespace=namespace.namespace
                )
                namespace.disconnect(sid)
                return
    except Exception:  # a timer must never take the worker down; the event checks remain
        log.exception("closing %s connection %s at the end of its time failed", namespace, sid)


RELAY_CHECK_SECONDS = 5.0
"""How often each instance looks at the message queue while a room is open on it."""

ROOM_NAMESPACES = ("/chat", "/group", "/moderation")
"""The pages that catch up by asking while the queue is down: the session and group rooms
(static/room-common.js) and the moderators' live queue (static/moderation.js)."""

RELAY_WATCH = "relay_watch"


class RelayWatch:
    """Whether this instance can reach the message queue (Redis) that carries the rooms to the
    other instances. While it cannot, a message is stored and shown to everyone on the sender's
    instance, but someone in the same room on another instance would never see it until their
    page reconnected. So each instance watches the queue, and when that changes it tells its
    own rooms' pages (a "relay" event, {"live": bool}, sent locally, not through the queue);
    while the queue is down the pages ask for missed messages every few seconds. A page joining
    while the queue is down is told at its door (`greet`). One per app; started by the first
    room to open, only when a queue is configured."""

    def __init__(
        self,
        socketio: SocketIO,
        url: str,
        reachable: Callable[[str], bool] = health.redis_reachable,
    ) -> None:
        self._socketio = socketio
        self._url = url
        self._reachable = reachable
        self._started = False
        self._start_lock = threading.Lock()
        self.live = True

    def start(self) -> None:
        """Look now, then every RELAY_CHECK_SECONDS in the background (once per app). The first
        look tells nobody: no room was open here before it, and the page at the door is told
        by `greet`."""
        with self._start_lock:
            if self._started:
                return
            self._started = True
        self.live = self._reachable(self._url)
        self._socketio.start_background_task(self._watch)

    def check(self) -> None:
        live = self._reachable(self._url)
        if live == self.live:
            return
        self.live = live
        log.warning("message queue %s", "reachable again" if live else "unreachable")
        for namespace in ROOM_NAMESPACES:
            self._socketio.emit("relay", {"live": live}, namespace=namespace, ignore_queue=True)

    def greet(self) -> None:
        """At a room's door: start watching, and tell a page joining while the queue is down."""
        self.start()
        if not self.live:
            emit("relay", {"live": False})

    def _watch(self) -> None:
        while True:
            self._socketio.sleep(RELAY_CHECK_SECONDS)
            try:
                self.check()
            except Exception:  # the watch must outlive any one failed look
                log.exception("looking at the message queue failed")


def greet_with_relay_state() -> None:
    """Called at each room's door (see RelayWatch); nothing without a message queue."""
    watch: RelayWatch | None = current_app.extensions.get(RELAY_WATCH)
    if watch is not None:
        watch.greet()


class SocketEventContext(RequestContext):
    """The request context Flask-SocketIO pushes for each Socket.IO event, without matching the
    URL. No route serves the Socket.IO path, so matching only ever raised NotFound, which Flask
    keeps on the request: its traceback tied the context, the request and the handler's frames
    into a reference cycle for every message. Only the garbage collector's passes free cycles,
    and with a thousand open rooms each full pass stalled every room for 100–200 ms. Building
    URLs (`url_for`) still works: the context keeps its URL adapter."""

    def match_request(self) -> None:
        pass


class WebApp(Flask):
    """Flask, with Socket.IO events in a `SocketEventContext`."""

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        if environ.get("PATH_INFO", "").rstrip("/") == SOCKETIO_PATH:
            return SocketEventContext(self, environ)
        return super().request_context(environ)
