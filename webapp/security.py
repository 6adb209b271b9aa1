"""Security headers with a per-request CSP nonce, session time limits, and role checks.

Every blueprint sets its minimum role with `require_roles` in `before_request`; a route may only
narrow it with `roles_required` (STYLE.md section 2).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

import redis
from flask import Flask, Request, Response, abort, current_app, flash, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user, logout_user

from webapp.models.people import Role

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
SIGNED_OUT_BECAUSE = "signed_out_because"
IDLE, ABSOLUTE = "idle", "absolute"


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def content_security_policy(nonce: str, font_sources: list[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", *font_sources],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        csp_nonce(), current_app.config["CSP_FONT_SOURCES"]
    )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    is_static = request.endpoint is not None and request.endpoint.endswith("static")
    if not is_static:
        # Pages may hold personal data: never keep them in a shared or back-button cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def _now() -> datetime:
    return datetime.now(UTC)


def start_signed_in_session() -> None:
    """Called once sign-in is complete: fresh session, clocks started."""
    now = _now().timestamp()
    session.permanent = True
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now


def _expired_because() -> str | None:
    """ "idle" or "absolute" once the signed-in session has run out, else None."""
    now = _now().timestamp()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    if now - session.get(SIGNED_IN_AT, 0) > absolute:
        return ABSOLUTE
    if now - session.get(LAST_SEEN_AT, 0) > idle:
        return IDLE
    return None


def is_session_expired() -> bool:
    """Has the signed-in session been idle, or open, too long? (Socket.IO's door asks too.)"""
    return _expired_because() is not None


def seconds_left() -> tuple[int, int] | None:
    """(seconds to the idle sign-out, seconds to the absolute one) for the signed-in person, or
    None when nobody is signed in. Pages pass these to their script, which warns in time
    (WCAG 2.2.1, Timing Adjustable); relative, so the browser's own clock need not agree."""
    if not current_user.is_authenticated:
        return None
    now = _now().timestamp()
    config = current_app.config
    idle = session.get(LAST_SEEN_AT, 0) + config["SESSION_IDLE_TIMEOUT"].total_seconds() - now
    absolute = (
        session.get(SIGNED_IN_AT, 0) + config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds() - now
    )
    return max(0, int(idle)), max(0, int(absolute))


def keeps_idle_clock(view: F) -> F:
    """A view whose requests are not activity: asking how long is left must not restart the
    idle clock, or a page that asks before it warns would never be signed out."""
    view.keeps_idle_clock = True  # type: ignore[attr-defined]  # read by enforce_session_timeouts
    return view


def duration_words(length: timedelta) -> str:
    """ "30 minutes", "12 hours", "1 minute": how a time limit is named on pages."""
    seconds = int(length.total_seconds())
    unit, size = next(
        (unit, size)
        for unit, size in (("hour", 3600), ("minute", 60), ("second", 1))
        if size == 1 or (seconds >= size and seconds % size == 0)
    )
    count = seconds // size
    return f"{count} {unit}{'' if count == 1 else 's'}"


def signed_out_message(reason: str) -> str:
    config = current_app.config
    if reason == ABSOLUTE:
        limit = duration_words(config["SESSION_ABSOLUTE_TIMEOUT"])
        return (
            f"You were signed out because you had been signed in for {limit}, "
            "to protect your privacy."
        )
    limit = duration_words(config["SESSION_IDLE_TIMEOUT"])
    return f"You were signed out after {limit} without activity, to protect your privacy."


def enforce_session_timeouts() -> None:
    """Sign out after 30 minutes idle or 12 hours in all (configurable)."""
    if not current_user.is_authenticated:
        return None
    if request.endpoint is not None and request.endpoint.endswith("static"):
        return None
    reason = _expired_because()
    if reason is not None:
        csrf_key = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")  # Flask-WTF's
        csrf_token = session.get(csrf_key)
        logout_user()
        session.clear()
        # The reason, for a form sent after the sign-out (webapp.errors says why and gives back
        # what was typed), and the form's token: another tab, or the page's own check, may be
        # first to find the session over, and the form must not then fail as "expired", losing
        # the text. Signing in again starts a new session, and with it a new token.
        session[SIGNED_OUT_BECAUSE] = reason
        if csrf_token is not None:
            session[csrf_key] = csrf_token
        flash(f"{signed_out_message(reason)} Sign in again to carry on.")
        # Carry on signed out: a protected page then sends them to sign in (and back).
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "keeps_idle_clock", False):
        session[LAST_SEEN_AT] = _now().timestamp()
    return None


def require_roles(*roles: Role) -> Callable[[], None]:
    """A blueprint's `before_request`: signed in, with one of these roles, or refused."""
    allowed = frozenset(roles)

    def check() -> None:
        if not current_user.is_authenticated:
            abort(401)
        if current_user.role not in allowed:
            abort(403)

    return check


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Narrow a single route below its blueprint's minimum role."""
    check = require_roles(*roles)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            check()
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]  # read by the conventions test
        return wrapped  # type: ignore[return-value]

    return decorate


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies (the load balancer), each request's address is the one the
    nearest of them saw, from X-Forwarded-For: otherwise every visitor would share the proxy's
    address, and with it one sign-in and public-form allowance for the whole site (one person
    could lock everyone out), and the audit would record only the proxy. With none (the default)
    the header is ignored, so a client cannot choose its own address to dodge a limit."""
    hops = int(app.config.get("TRUSTED_PROXIES", 0))
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


class SessionInterface(SecureCookieSessionInterface):
    """The signed cookie session, except on a Socket.IO event after the door: Flask-SocketIO
    swaps in the connection's own copy of the session (taken at connect) as soon as the event's
    request context is pushed, so verifying and decoding the cookie again for every message
    was wasted work (a fifth of the cost of pushing that context)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if SOCKETIO_SESSION in request.environ:
            return None  # Flask makes a null session, which Flask-SocketIO then replaces
        return super().open_session(app, request)


SOCKETIO_SESSION = "saved_session"
"""Where Flask-SocketIO keeps a connection's session, in the connection's WSGI environ."""


def init_security(app: Flask) -> None:
    trust_proxies(app)
    app.session_interface = SessionInterface()
    app.before_request(enforce_session_timeouts)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.globals["session_seconds_left"] = seconds_left
    app.jinja_env.globals["duration_words"] = duration_words


POSTING_TOO_FAST = "You are posting very quickly. Wait a minute, then post again."


def posting_allowed(user_id: int) -> bool:
    """Count one post (a community post or reply, a suggestion) for this person and say whether
    it is within POSTING_RATE_LIMIT. Kept where the other rate limits are (Redis when
    RATELIMIT_STORAGE_URI names it, so every instance counts together). A refused post is not
    counted; the form is shown again with the reason, and what was typed, rather than an
    error page."""
    from limits import parse
    from limits.errors import StorageError

    from webapp.extensions import limiter

    if not limiter.enabled:
        return True
    limit, key = parse(current_app.config["POSTING_RATE_LIMIT"]), str(user_id)
    try:
        strategy = limiter.limiter
        return strategy.test(limit, "posting", key) and strategy.hit(limit, "posting", key)
    except (redis.RedisError, StorageError):
        # Flask-Limiter falls back to memory only for the routes it guards itself; without this
        # every post was a 500 (and what was typed lost) while Redis was down.
        log.warning("posting rate limit: its storage is unreachable, counting in this instance")
        strategy = _memory_limiter()
        return strategy.test(limit, "posting", key) and strategy.hit(limit, "posting", key)


POSTING_FALLBACK = "posting_rate_fallback"


def _memory_limiter() -> Any:
    """This app's count in its own memory (made on first use), with the limiter's strategy."""
    from limits.storage import MemoryStorage
    from limits.strategies import STRATEGIES

    if POSTING_FALLBACK not in current_app.extensions:
        strategy = current_app.config.get("RATELIMIT_STRATEGY") or "fixed-window"
        current_app.extensions[POSTING_FALLBACK] = STRATEGIES[strategy](MemoryStorage())
    return current_app.extensions[POSTING_FALLBACK]
