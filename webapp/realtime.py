"""What every Socket.IO namespace checks at its door (STYLE.md section 5): signed in and not
expired, the site's own Origin, and a valid CSRF token from the page. The session room (`/chat`),
the group room (`/group`) and the moderators' live queue (`/moderation`) share it."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from webapp.security import is_session_expired


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
