"""Server-side, pseudonymous page-view tracking: no third-party trackers and no cookie beyond
the session. Each page view of an HTML page records its section (the blueprint, or what the
view puts in `g.activity = (section, module)`), the viewer's role and, for signed-in people,
a keyed hash instead of their id and a visit key kept in their session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.models.activity import ActivityEvent

VISIT_GAP = timedelta(minutes=30)
UNTRACKED_SECTIONS = {"static", "nhsuk_assets"}
UNTRACKED_ENDPOINTS = {"public.health"}


def visitor_key(user_id: int) -> str:
    key = current_app.config["ACTIVITY_KEY"].encode()
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _visit_key(now: datetime) -> str:
    """The current visit, or a new one after a gap of more than 30 minutes."""
    last = session.get("activity_last_at", 0)
    if "activity_visit" not in session or now.timestamp() - last > VISIT_GAP.total_seconds():
        session["activity_visit"] = secrets.token_hex(16)
    session["activity_last_at"] = now.timestamp()
    return str(session["activity_visit"])


def record_page_view(response: Response) -> Response:
    endpoint = request.endpoint or ""
    section, _, _ = endpoint.partition(".")
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.mimetype != "text/html"
        or not section
        or section in UNTRACKED_SECTIONS
        or endpoint in UNTRACKED_ENDPOINTS
    ):
        return response
    section, module = g.get("activity", (section, None))
    now = datetime.now(UTC)
    event = ActivityEvent(occurred_at=now, section=section, module=module)
    if current_user.is_authenticated:
        event.role = current_user.role.value
        event.visitor_key = visitor_key(current_user.id)
        event.visit_key = _visit_key(now)
    try:
        with db.transaction() as transaction:
            transaction.add(event)
    except SQLAlchemyError:  # counting must never break the page someone asked for
        current_app.logger.exception("could not record a page view")
    return response


def init_activity(app: Flask) -> None:
    app.after_request(record_page_view)
