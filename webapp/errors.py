"""Maps errors to plain NHS.UK error pages that leak nothing (STYLE.md section 1)."""

from __future__ import annotations

import logging

from flask import Flask, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

PAGES = {
    400: ("errors/400.html", "There was a problem with your request"),
    403: ("errors/403.html", "You do not have permission to see this page"),
    404: ("errors/404.html", "Page not found"),
    405: ("errors/400.html", "There was a problem with your request"),
    413: ("errors/400.html", "What you sent is too large"),
    429: ("errors/429.html", "You have tried too many times"),
    500: ("errors/500.html", "Sorry, there is a problem with the service"),
}


def _page(status: int) -> tuple[str, int]:
    template, title = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    return render_template(template, title=title, status=status), status


def register_errors(app: Flask) -> None:
    @app.errorhandler(401)
    def unauthorised(_error: HTTPException) -> Response | tuple[str, int]:
        if request.method == "GET":
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return _page(403)

    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html", title="Your form has expired"), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return _page(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        return _page(500)


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
