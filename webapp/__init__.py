"""The Flask application factory."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask
from jinja2 import (
    ChainableUndefined,
    ChoiceLoader,
    FileSystemLoader,
    PackageLoader,
    pass_context,
)
from jinja2.runtime import Context
from sqlalchemy import select

from webapp import realtime
from webapp.charging import NOTICE_PERIOD
from webapp.config import INSTANCE_DIR, Config, ProductionConfig, config_from_environment
from webapp.extensions import csrf, db, limiter, login_manager, socketio
from webapp.models import User
from webapp.models.base import keyring

LONDON = ZoneInfo("Europe/London")
STATIC_DIR = Path(__file__).parent / "static"


def create_app(config: type[Config] | None = None) -> Flask:
    config = config or config_from_environment()
    if issubclass(config, ProductionConfig):
        config.check()
    app = realtime.WebApp(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    keyring.configure(app.config["ENCRYPTION_KEYS"])

    _configure_templates(app)
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    _configure_login(app)

    from webapp.activity import init_activity
    from webapp.auth.nhs_login import init_nhs_login
    from webapp.notify import init_notify
    from webapp.security import init_security

    init_nhs_login(app)
    init_notify(app)
    init_security(app)
    init_activity(app)
    _register_blueprints(app)
    _configure_socketio(app)

    from webapp.errors import register_errors

    register_errors(app)

    from webapp.cli import register_commands
    from webapp.jobs import bind_app

    register_commands(app)
    bind_app(app)
    return app


def _configure_templates(app: Flask) -> None:
    from webapp.navigation import navigation_items

    app.jinja_options = {
        "undefined": ChainableUndefined,  # the NHS.UK macros read optional nested parameters
        "loader": ChoiceLoader(
            [
                FileSystemLoader(str(Path(__file__).parent / "templates")),
                PackageLoader("nhsuk_frontend_jinja"),
            ]
        ),
        "autoescape": True,
    }
    app.jinja_env.globals["navigation_items"] = navigation_items
    # Pages that warn about late cancellation word it from the charging rule itself.
    app.jinja_env.globals["notice_period_hours"] = NOTICE_PERIOD // timedelta(hours=1)
    app.context_processor(_degraded_service)
    app.context_processor(_viewer_zone)
    app.jinja_env.filters["london_datetime"] = london_datetime
    app.jinja_env.filters["viewer_datetime"] = _viewer_datetime
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date


def london_datetime(value: datetime) -> str:
    """Times are stored in UTC and shown in UK time, e.g. "3 March 2026, 9:00am"."""
    local = value.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0")
    return f"{local.day} {local:%B %Y}, {hour}:{local:%M}{local.strftime('%p').lower()}"


def zoned_datetime(value: datetime, zone: str) -> str:
    """As `london_datetime`, in `zone`, which is named unless it is UK time, e.g.
    "3 March 2026, 4:00am (America/New York time)"."""
    if zone == "Europe/London":
        return london_datetime(value)
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (KeyError, ValueError):  # an unknown zone name: UK time
        return london_datetime(value)
    hour = local.strftime("%I").lstrip("0")
    return (
        f"{local.day} {local:%B %Y}, {hour}:{local:%M}{local.strftime('%p').lower()}"
        f" ({zone.replace('_', ' ')} time)"
    )


@pass_context
def _viewer_datetime(context: Context, value: datetime) -> str:
    """`zoned_datetime` in the zone of whoever is looking (`viewer_zone`): a patient's own."""
    return zoned_datetime(value, context.get("viewer_zone", "Europe/London"))


def local_datetime(value: datetime, zone: str = "Europe/London") -> str:
    """A UTC time in someone's own zone, e.g. "Tuesday 3 March 2026, 9:00am (UK time)"."""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):  # an unknown zone name: fall back to UK time, and say so
        tz, zone = LONDON, "Europe/London"
    local = value.astimezone(tz)
    hour = local.strftime("%I").lstrip("0")
    label = "UK time" if zone == "Europe/London" else f"{zone.replace('_', ' ')} time"
    return (
        f"{local:%A} {local.day} {local:%B %Y}, {hour}:{local:%M}{local.strftime('%p').lower()}"
        f" ({label})"
    )


def local_date(value: datetime, zone: str = "Europe/London") -> str:
    """The day in someone's zone, e.g. "Tuesday 3 March 2026"."""
    local = value.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y}"


def local_time(value: datetime, zone: str = "Europe/London") -> str:
    """Just the clock time in someone's zone, e.g. "9:00am"."""
    local = value.astimezone(ZoneInfo(zone))
    return f"{local.strftime('%I').lstrip('0')}:{local:%M}{local.strftime('%p').lower()}"


def service_contact() -> str:
    """How to reach the service team, for a message that sends someone there."""
    from flask import current_app

    config = current_app.config
    return f"on {config['SERVICE_PHONE']} or at {config['SERVICE_EMAIL']}"


def _viewer_zone() -> dict[str, str]:
    """The zone the signed-in person sees times in (`viewer_zone`): a patient's own, as their
    booking pages and reminders use, so one appointment shows one time on every page; UK time
    for everyone else."""
    from flask import has_request_context
    from flask_login import current_user

    from webapp.booking.reminders import patient_zone

    if not has_request_context() or not current_user.is_authenticated or current_user.is_staff:
        return {"viewer_zone": "Europe/London"}
    return {"viewer_zone": patient_zone(current_user.patient_profile)}


def _degraded_service() -> dict[str, list[str]]:
    """Staff see on every page what is not working fully (Redis down: webapp.health), so a
    therapist whose reminders are delayed or a moderator whose alerts are late knows why.
    Patients are spared the details: what affects them says so where it happens."""
    from flask import current_app, has_request_context
    from flask_login import current_user

    from webapp import health

    if not has_request_context() or not current_user.is_authenticated or not current_user.is_staff:
        return {"degraded_service": []}
    return {
        "degraded_service": health.degraded_for_staff(current_app.extensions, current_app.config)
    }


def _configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page."
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        user = db.session.scalar(select(User).where(User.session_token == session_token))
        return user if user is not None and user.is_active_account else None


def site_origin(site_url: str) -> str:
    """The scheme://host[:port] of the site's address: the only Origin Socket.IO accepts."""
    parts = urlsplit(site_url)
    return f"{parts.scheme}://{parts.netloc}"


def _configure_socketio(app: Flask) -> None:
    from webapp.errors import socket_error
    from webapp.heartbeat import HEARTBEAT_KEY, Heartbeat, begin_on_first_request
    from webapp.realtime import RELAY_WATCH, RelayWatch
    from webapp.sessions import rate
    from webapp.sessions.sockets import NAMESPACE as CHAT_NAMESPACE
    from webapp.sessions.sockets import ChatNamespace

    rate.for_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"] or None,
        channel=app.config["SOCKETIO_CHANNEL"],
        # Only the site's own address: never "*" (anyone) nor [] (no check at all).
        cors_allowed_origins=[site_origin(app.config["SITE_URL"])],
        cookie=None,  # sticky sessions come from the load balancer, not an io cookie
    )
    # The extension (like the app's other extensions) is one per process; a second app in the
    # same process (the CLI tests) must not register the channel twice.
    if app.config["SOCKETIO_MESSAGE_QUEUE"]:
        app.extensions[RELAY_WATCH] = RelayWatch(socketio, app.config["SOCKETIO_MESSAGE_QUEUE"])
    app.extensions[HEARTBEAT_KEY] = Heartbeat(
        app, socketio.start_background_task, socketio.sleep, enabled=app.config["SERVER_HEARTBEAT"]
    )
    app.before_request(begin_on_first_request)
    if not any(isinstance(handler, ChatNamespace) for handler in socketio.namespace_handlers):
        socketio.on_namespace(ChatNamespace(CHAT_NAMESPACE))
    # Every namespace's events, present and future: an exception answers with a plain error.
    socketio.on_error_default(socket_error)


# One feature per line, so features added side by side merge cleanly.
BLUEPRINTS = (
    "public",
    "auth",
    "referral",
    "referral:queue_bp",
    "patient",
    "booking",
    "measures",
    "library",
    "safety_plan",
    "therapy",
    "sessions",
    "community",
    "groups",
    "voice",
    "voice:console_bp",
    "moderation_console",
    "clinical",
    "pathway.views:bp",
    "supervision.views:bp",
    "reports",
    "admin",
    "records",
    "records:staff_bp",
    "retention",
)


def _register_blueprints(app: Flask) -> None:
    for name in BLUEPRINTS:
        module, _, attribute = name.partition(":")
        app.register_blueprint(getattr(import_module(f"webapp.{module}"), attribute or "bp"))
    # NHS.UK frontend's CSS refers to its images under /assets.
    app.register_blueprint(
        Blueprint(
            "nhsuk_assets",
            __name__,
            static_folder=str(STATIC_DIR / "nhsuk" / "assets"),
            static_url_path="/assets",
        )
    )
