"""Maps errors to plain NHS.UK error pages that leak nothing (STYLE.md section 1)."""

from __future__ import annotations

import logging
from contextlib import suppress
from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, OperationalError, PendingRollbackError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from webapp.extensions import db
from webapp.security import SIGNED_OUT_BECAUSE, signed_out_message
from webapp.unsaved import typed_text

log = logging.getLogger(__name__)

PAGES = {
    400: ("errors/400.html", "There was a problem with your request"),
    403: ("errors/403.html", "You do not have permission to see this page"),
    404: ("errors/404.html", "Page not found"),
    405: ("errors/400.html", "There was a problem with your request"),
    413: ("errors/400.html", "What you sent is too large"),
    429: ("errors/429.html", "You have tried too many times"),
    500: ("errors/500.html", "Sorry, there is a problem with the service"),
    503: ("errors/503.html", "Sorry, the service is not available at the moment"),
}

DATABASE_UNAVAILABLE = (OperationalError, DisconnectionError, PendingRollbackError)
"""The database cannot be reached (restarting, failed over, out of connections): the request
fails cleanly with a 503 and the next one tries again. The pool replaces broken connections
(webapp.extensions.make_engine), so the app recovers without a restart."""
RETRY_AFTER_SECONDS = 30


def _page(status: int) -> tuple[str, int]:
    template, title = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    return render_template(template, title=title, status=status), status


def register_errors(app: Flask) -> None:
    @app.errorhandler(401)
    def unauthorised(_error: HTTPException) -> Response | tuple[str, int]:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return signed_out_page()

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> tuple[str, int]:
        if request.blueprint == "referral":
            return too_fast_page()
        return http_error(error)

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html", title="Your form has expired"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return _page(error.code or 500)

    def database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
        # The first line names the failure; the rest (the SQL's parameters) may hold personal data.
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        log.warning("database unavailable on %s %s: %s", request.method, request.path, reason)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error  # (SQLite says OperationalError for a missing column too)
        with suppress(Exception):
            db.session.rollback()  # the next use of this session starts afresh
        # The page must not ask the database again: no user to load for the header.
        g._login_user = AnonymousUserMixin()
        page, status = _page(503)
        return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return _page(500)


def signed_out_page() -> tuple[str, int]:
    """A form sent by someone no longer signed in (a time limit ran out, or they signed out in
    another tab): the form's CSRF token held, so it came from this site's own page. Say so, and
    give back what they typed, rather than "a different kind of account" and the text lost."""
    reason = session.get(SIGNED_OUT_BECAUSE)
    get_flashed_messages()  # the sign-out's own notice: this page says it, in full
    return render_template(
        "errors/signed_out.html",
        title="You have been signed out",
        reason=signed_out_message(reason) if reason else None,
        typed=typed_text(request.form, request.blueprint),
        sign_in_url=url_for("auth.sign_in", next=_return_path()),
    ), 401


def too_fast_page() -> tuple[str, int]:
    """A referral page sent too often from one address (REFERRAL_RATE_LIMIT): not about
    accounts, and what was typed on the page comes back."""
    return render_template(
        "errors/429_referral.html",
        title="Wait a minute, then send this page again",
        typed=typed_text(request.form, request.blueprint),
    ), 429


def _return_path() -> str | None:
    """The page the form was on (the Referer, if it is this site's), or the form's own address
    when that is a page; otherwise the home page after sign-in."""
    if request.referrer:
        referrer = urlsplit(request.referrer)
        if referrer.netloc == request.host and referrer.path.startswith("/"):
            return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    if request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        return request.full_path.rstrip("?")
    return None


SOCKET_ERROR = "Sorry, there is a problem with the service. Reload the page and try again."


def socket_error(error: Exception) -> dict[str, object]:
    """Socket.IO's counterpart of `unexpected`: an event handler that raised answers with a
    plain error (its changes are rolled back with its session), and a door that raised refuses
    the connection, never lets it in. Tests see the error itself, as they do for pages."""
    from flask_socketio import ConnectionRefusedError

    log.exception("unhandled error on Socket.IO %s", getattr(request, "event", None))
    app = current_app
    if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
        raise error
    if getattr(request, "event", {}).get("message") == "connect":
        raise ConnectionRefusedError(SOCKET_ERROR) from None
    return {"ok": False, "error": SOCKET_ERROR, "code": "server"}
