"""Configuration: one class per environment, every value from an environment variable.

Development and test values are plainly fake; `ProductionConfig` refuses to start without the
secrets it needs (STYLE.md section 6).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in _env(name, default).split(",") if part.strip()]


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the platform hands us."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    SERVICE_NAME = _env("SERVICE_NAME", "Talking Therapies Online")
    # How patients reach the service team (pages and messages that send them there). The
    # defaults are a number Ofcom keeps for drama and a reserved domain: production needs real ones.
    SERVICE_PHONE = _env("SERVICE_PHONE", "0113 496 0000")
    SERVICE_EMAIL = _env("SERVICE_EMAIL", "help@talking-therapies.example")
    SERVICE_HOURS = _env("SERVICE_HOURS", "Monday to Friday, 9am to 5pm, except bank holidays")
    # The address people reach the site on; Socket.IO checks the Origin against it.
    SITE_URL = _env("SITE_URL", "http://localhost:5000")
    SECRET_KEY = _env("SECRET_KEY", "dev-only-not-secret-key-change-me")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'talking-therapies.db'}")
    )
    SQLALCHEMY_ECHO = _env_bool("SQLALCHEMY_ECHO", False)
    # Fernet keys (comma separated, newest first) for encrypted columns. Fake in development.
    ENCRYPTION_KEYS = _env_list("ENCRYPTION_KEYS", "ZGV2LW9ubHktZmFrZS1rZXktMzItYnl0ZXMtbG9uZyE=")

    # Sessions: HttpOnly, SameSite and (over HTTPS) Secure cookies; idle and absolute limits.
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(_env("SESSION_IDLE_MINUTES", "30")))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=int(_env("SESSION_ABSOLUTE_HOURS", "12")))
    # Pages warn this long before either limit, with a button to stay signed in (idle only).
    SESSION_WARNING_BEFORE = timedelta(minutes=int(_env("SESSION_WARNING_MINUTES", "2")))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
    REMEMBER_COOKIE_DURATION = timedelta(0)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which has its own limits
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024

    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # With the limits kept in Redis and Redis down, each instance counts in its own memory
    # (the configured limits still apply) rather than failing every limited page.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    SIGN_IN_RATE_LIMIT = _env("SIGN_IN_RATE_LIMIT", "10 per minute")
    PUBLIC_FORM_RATE_LIMIT = _env("PUBLIC_FORM_RATE_LIMIT", "20 per minute")
    # The self-referral's question pages, per address: a referral is about 20 of them, and
    # people on one mobile network (carrier NAT) or Wi-Fi share an address, so this is several
    # people at once answering faster than anyone reads. Starting and sending a referral keep
    # PUBLIC_FORM_RATE_LIMIT (once each a referral).
    REFERRAL_RATE_LIMIT = _env("REFERRAL_RATE_LIMIT", "100 per minute")
    # How many proxies (load balancers) stand in front of the app: their X-Forwarded-For and
    # X-Forwarded-Proto are believed, so limits and the audit see each visitor's own address.
    TRUSTED_PROXIES = int(_env("TRUSTED_PROXIES", "0"))
    # Community posts, replies and suggestions, per person (not per address: a ward or a
    # surgery shares one), so one account cannot flood the spaces or the moderators' queue.
    POSTING_RATE_LIMIT = _env("POSTING_RATE_LIMIT", "10 per minute")

    # Account lockout: after this many failures in a row the account is locked for a while,
    # doubling with each further failure up to the maximum.
    LOCKOUT_THRESHOLD = int(_env("LOCKOUT_THRESHOLD", "5"))
    LOCKOUT_BASE = timedelta(minutes=int(_env("LOCKOUT_BASE_MINUTES", "5")))
    LOCKOUT_MAX = timedelta(hours=int(_env("LOCKOUT_MAX_HOURS", "1")))
    PASSWORD_RESET_VALID_FOR = timedelta(hours=1)
    INVITATION_VALID_FOR = timedelta(days=14)

    # Email: "file" writes each message to INSTANCE_DIR/outbox (and logs it); "smtp" sends.
    EMAIL_BACKEND = _env("EMAIL_BACKEND", "file")
    EMAIL_FROM = _env("EMAIL_FROM", "Talking Therapies Online <no-reply@localhost>")
    EMAIL_OUTBOX_DIR = Path(_env("EMAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox")))
    SMTP_HOST = _env("SMTP_HOST", "localhost")
    SMTP_PORT = int(_env("SMTP_PORT", "587"))
    SMTP_USERNAME = _env("SMTP_USERNAME")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", True)

    # Activity tracking: the key for pseudonymous visitor hashes, and how long events are kept.
    ACTIVITY_KEY = _env("ACTIVITY_KEY", "dev-only-activity-key")
    ACTIVITY_RETENTION_DAYS = int(_env("ACTIVITY_RETENTION_DAYS", "400"))

    # Information governance (issue #13): how long each kind of data is kept (webapp/retention/
    # schedule.py cites the sources), and how long a subject access request may take.
    RETENTION_CLINICAL_YEARS = int(_env("RETENTION_CLINICAL_YEARS", "20"))
    RETENTION_SUBJECT_ACCESS_YEARS = int(_env("RETENTION_SUBJECT_ACCESS_YEARS", "3"))
    RETENTION_NOTIFICATION_MONTHS = int(_env("RETENTION_NOTIFICATION_MONTHS", "24"))
    RETENTION_UNFINISHED_REFERRAL_DAYS = int(_env("RETENTION_UNFINISHED_REFERRAL_DAYS", "90"))
    RETENTION_LINK_DAYS = int(_env("RETENTION_LINK_DAYS", "30"))
    RETENTION_BATCH = int(_env("RETENTION_BATCH", "500"))

    # Pre-session questionnaires open this many hours before the appointment starts.
    PRE_SESSION_OPENS_HOURS = int(_env("PRE_SESSION_OPENS_HOURS", "72"))

    # SMS: "file" appends to INSTANCE_DIR/outbox/sms.jsonl; "twilio" sends.
    SMS_BACKEND = _env("SMS_BACKEND", "file")
    TWILIO_ACCOUNT_SID = _env("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = _env("TWILIO_AUTH_TOKEN")
    TWILIO_FROM_NUMBER = _env("TWILIO_FROM_NUMBER")

    # Background jobs (Huey): an SQLite file by default, Redis when REDIS_URL is set.
    REDIS_URL = _env("REDIS_URL")
    HUEY_IMMEDIATE = False

    # Referral: the commissioning area as postcode districts (comma separated), how long an
    # unfinished self-referral is kept, how long a practitioner's link to finish one works, and
    # how many months an accepted patient has access from acceptance.
    COMMISSIONING_POSTCODE_DISTRICTS = _env_list(
        "COMMISSIONING_POSTCODE_DISTRICTS",
        "LS1,LS2,LS3,LS4,LS5,LS6,LS7,LS8,LS9,LS10,LS11,LS12,LS13,LS14,LS15,LS16,LS17,LS18,LS19,"
        "LS20,LS21,LS22,LS23,LS24,LS25,LS26,LS27,LS28,LS29",
    )
    REFERRAL_DRAFT_VALID_FOR = timedelta(hours=int(_env("REFERRAL_DRAFT_HOURS", "3")))
    PRACTITIONER_LINK_VALID_FOR = timedelta(days=int(_env("PRACTITIONER_LINK_DAYS", "14")))
    ACCESS_PERIOD_MONTHS = int(_env("ACCESS_PERIOD_MONTHS", "12"))

    # NHS login (OpenID Connect) for patients; no button is shown unless all three are set.
    # The private key (PEM, or a path to a PEM file) signs the client assertion (private_key_jwt).
    NHS_LOGIN_ISSUER = _env("NHS_LOGIN_ISSUER")
    NHS_LOGIN_CLIENT_ID = _env("NHS_LOGIN_CLIENT_ID")
    NHS_LOGIN_PRIVATE_KEY = _env("NHS_LOGIN_PRIVATE_KEY")
    NHS_LOGIN_PRIVATE_KEY_PATH = _env("NHS_LOGIN_PRIVATE_KEY_PATH")
    NHS_LOGIN_SCOPES = _env("NHS_LOGIN_SCOPES", "openid profile email")
    # Booking (issue 5): how many future bookings a patient may hold, how often they may move
    # one, how far ahead and how soon slots are offered, and when credentials warn before expiry.
    MAX_FUTURE_BOOKINGS = int(_env("MAX_FUTURE_BOOKINGS", "3"))
    MAX_RESCHEDULES = int(_env("MAX_RESCHEDULES", "2"))
    BOOKING_WINDOW_DAYS = int(_env("BOOKING_WINDOW_DAYS", "28"))
    BOOKING_MIN_NOTICE = timedelta(hours=int(_env("BOOKING_MIN_NOTICE_HOURS", "2")))
    # Charging (issue 6): the sessions each accepted referral is funded for.
    SESSIONS_PER_REFERRAL = int(_env("SESSIONS_PER_REFERRAL", "8"))
    # Group sessions (issue #15): a delivered group meeting is one unit charged to the
    # commissioner at this rate (pence), never to a patient nor from their one-to-one allowance.
    GROUP_SESSION_RATE_PENCE = int(_env("GROUP_SESSION_RATE_PENCE", "30000"))
    # A technical problem only one side has reported goes to the clinical lead to decide once it
    # has waited this long for the other side's account.
    FAILURE_REPORT_WAIT_DAYS = int(_env("FAILURE_REPORT_WAIT_DAYS", "3"))
    # A message the provider refused is tried again after each of these delays (minutes), then
    # left failed for staff to see; one still "sending" after NOTIFICATION_STUCK_MINUTES was
    # interrupted and is marked failed, never resent (it may have gone).
    NOTIFICATION_RETRY_MINUTES = tuple(
        int(minutes) for minutes in _env_list("NOTIFICATION_RETRY_MINUTES", "5,30")
    )
    NOTIFICATION_STUCK_MINUTES = int(_env("NOTIFICATION_STUCK_MINUTES", "15"))
    # The care pathway prompts a review when scores show no reliable improvement after this
    # many treatment sessions.
    REVIEW_AFTER_TREATMENT_SESSIONS = int(_env("REVIEW_AFTER_TREATMENT_SESSIONS", "6"))
    CREDENTIAL_WARNING_DAYS = int(_env("CREDENTIAL_WARNING_DAYS", "30"))
    PHOTO_MAX_BYTES = int(_env("PHOTO_MAX_BYTES", str(4 * 1024 * 1024)))

    # Real time (Flask-SocketIO). "threading" serves a local run and the tests; production runs
    # gevent (`gunicorn -k gevent -w 1 --worker-connections 5000`). Several instances share rooms
    # through a Redis queue (SOCKETIO_MESSAGE_QUEUE=redis://...); the channel keeps deployments
    # (and test runs) sharing one Redis apart.
    SOCKETIO_ASYNC_MODE = _env("SOCKETIO_ASYNC_MODE", "threading")
    SOCKETIO_MESSAGE_QUEUE = _env("SOCKETIO_MESSAGE_QUEUE")
    SOCKETIO_CHANNEL = _env("SOCKETIO_CHANNEL", "talking-therapies-socketio")
    # Each serving instance records its life (webapp.heartbeat), which tells a session's
    # attendance when a server stopped; the tests, which serve nothing, go without.
    SERVER_HEARTBEAT = True

    # Community moderation (issue #8). Authors of held posts are told a moderator usually looks
    # within MODERATION_RESPONSE_MINUTES. An alert not acknowledged within
    # ALERT_ACKNOWLEDGE_MINUTES (or raised with no moderator on shift) is texted to the on-call
    # clinical lead (the rota's clinical on-call shift, else ON_CALL_MOBILE), again every
    # ALERT_REPEAT_MINUTES until someone acknowledges it.
    MODERATION_RESPONSE_MINUTES = int(_env("MODERATION_RESPONSE_MINUTES", "30"))
    ALERT_ACKNOWLEDGE_MINUTES = int(_env("ALERT_ACKNOWLEDGE_MINUTES", "10"))
    ALERT_REPEAT_MINUTES = int(_env("ALERT_REPEAT_MINUTES", "10"))
    ON_CALL_MOBILE = _env("ON_CALL_MOBILE")
    # Content-Security-Policy: the NHS.UK font host is the only outside origin.
    CSP_FONT_SOURCES = _env_list("CSP_FONT_SOURCES", "https://assets.nhs.uk")
    TIMEZONE = "Europe/London"


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-only-not-secret"  # noqa: S105 - a plainly fake test value
    SQLALCHEMY_DATABASE_URI = normalise_database_url(_env("TEST_DATABASE_URL", "sqlite://"))
    ENCRYPTION_KEYS = ("dGVzdC1vbmx5LWZha2Uta2V5LTMyLWJ5dGVzLWxvbmc=",)
    EMAIL_BACKEND = "recording"
    SMS_BACKEND = "recording"
    HUEY_IMMEDIATE = True  # jobs run in the test's own thread, at once
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = "localhost"
    SITE_URL = "http://localhost"
    SOCKETIO_ASYNC_MODE = "threading"
    SOCKETIO_MESSAGE_QUEUE = ""
    SERVER_HEARTBEAT = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    PREFERRED_URL_SCHEME = "https"
    SOCKETIO_ASYNC_MODE = _env("SOCKETIO_ASYNC_MODE", "gevent")

    REQUIRED = (
        "SECRET_KEY",
        "DATABASE_URL",
        "ENCRYPTION_KEYS",
        "SITE_URL",
        "ACTIVITY_KEY",
        "SERVICE_PHONE",
        "SERVICE_EMAIL",
    )

    @classmethod
    def check(cls) -> None:
        missing = [name for name in cls.REQUIRED if not os.environ.get(name)]
        if missing:
            raise RuntimeError("Refusing to start in production without: " + ", ".join(missing))


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    name = _env("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
