"""What every Socket.IO namespace checks at its door (STYLE.md section 5): signed in and not
expired, the site's own Origin, and a valid CSRF token from the page. The session room (`/chat`),
the group room (`/group`) and the moderators' live queue (`/moderation`) share it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, request
from flask.ctx import RequestContext
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from webapp.security import is_session_expired

log = logging.getLogger(__name__)

SOCKETIO_PATH = "/socket.io"
"""Where Socket.IO is served (Flask-SocketIO's default). Its middleware answers every request
under this path itself, so a Flask request context for it is always one of its events."""

CLOCK_CHECK_SECONDS = 60.0
"""A room's end-of-time timer sleeps at most this long between looks at the clock."""


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
