"""Shared fixtures: the app on a real database, one transaction per test, and signed-in clients.

Tests run on SQLite by default. With TEST_DATABASE_URL naming PostgreSQL they run there, each
xdist worker in its own schema of the `test` database. In CI an unreachable PostgreSQL fails
the run rather than skipping it.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from huey.storage import RedisStorage
from sqlalchemy import Engine, text

from tests import factories
from webapp import create_app
from webapp.config import TestConfig, normalise_database_url
from webapp.extensions import db, limiter, make_engine, socketio
from webapp.jobs import huey
from webapp.migrate import upgrade
from webapp.models import Role, User

PURE_TEST_DIRS = ("tests/questionnaires", "tests/moderation", "tests/content")
PURE_TEST_FILES = (
    "tests/webapp/test_charging.py",
    "tests/webapp/booking/test_slots.py",
    "tests/webapp/measures/test_pages.py",
    "tests/webapp/measures/test_chart.py",
    "tests/webapp/reports/test_suppression.py",
    "tests/webapp/pathway/test_episode.py",
    "tests/webapp/pathway/test_codes.py",
    "tests/webapp/referral/test_codes.py",
    "tests/webapp/referral/test_eligibility.py",
    "tests/webapp/booking/test_ics.py",
    "tests/webapp/therapy/test_photos.py",
    "tests/webapp/sessions/test_room.py",
    "tests/webapp/sessions/test_group_commit.py",
    "tests/webapp/test_user_text.py",
    "tests/webapp/reports/test_statement.py",
    "tests/webapp/records/test_archive.py",
    "tests/webapp/records/test_consent.py",
    "tests/webapp/retention/test_schedule.py",
    "tests/webapp/voice/test_rules.py",
    "tests/webapp/reports/test_report.py",
    "tests/webapp/groups/test_rules.py",
    "tests/webapp/supervision/test_figures.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Pure-package tests touch no database, so the PostgreSQL run skips them (-m 'not pure')."""
    root = Path(str(config.rootpath))
    for item in items:
        relative = Path(str(item.path)).relative_to(root).as_posix()
        if relative.startswith(PURE_TEST_DIRS) or relative in PURE_TEST_FILES:
            item.add_marker(pytest.mark.pure)


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = normalise_database_url(url)
    # One schema per run and worker, so two suites against one server never drop each other's.
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:8]
    schema = f"test_{run_id}_{_worker()}"
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:  # an unreachable PostgreSQL is a failure, never a skip
        pytest.exit(f"PostgreSQL at {url} is unreachable: {error}", returncode=3)
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    config = type(
        "SuiteConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "EMAIL_OUTBOX_DIR": tmp_path_factory.mktemp("outbox"),
        },
    )
    app = create_app(config)
    with app.app_context():
        upgrade(database_url)
    yield app
    assert db.engine is not None
    db.engine.dispose()


@pytest.fixture(scope="session")
def engine(app: Flask) -> Engine:
    assert db.engine is not None
    return db.engine


@pytest.fixture(autouse=True)
def db_session(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Each test runs inside one transaction that is rolled back afterwards."""
    if request.node.get_closest_marker("pure"):
        yield None
        return
    app: Flask = request.getfixturevalue("app")
    engine: Engine = request.getfixturevalue("engine")
    connection = engine.connect()
    transaction = connection.begin()
    db.bind(connection, join_transaction_mode="create_savepoint")
    limiter.reset()
    app.extensions["chat_message_rate"].reset()
    app.extensions["email_backend"].outbox.clear()
    # No app context is held here: each request must push its own, as in production, so
    # that `g` (CSRF token, CSP nonce) and the request's database session are per request.
    yield db.session
    db.session.remove()
    transaction.rollback()
    connection.close()
    db.bind(engine, join_transaction_mode="conservative_savepoint")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def outbox(app: Flask) -> list[Any]:
    return app.extensions["email_backend"].outbox  # type: ignore[no-any-return]


@pytest.fixture
def sms(app: Flask) -> Iterator[list[Any]]:
    """The texts sent during the test, with Huey's schedule empty either side (an alert's
    escalation and a reminder are scheduled jobs that send texts)."""
    outbox: list[Any] = app.extensions["sms_backend"].outbox
    outbox.clear()
    huey.storage.flush_schedule()
    yield outbox
    outbox.clear()
    huey.storage.flush_schedule()


@pytest.fixture
def background_tasks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every background task Socket.IO starts during the test (the rooms' end-of-time timers),
    so that the test can wait for them."""
    started: list[Any] = []
    start = socketio.start_background_task

    def keep(*args: Any, **kwargs: Any) -> Any:
        started.append(start(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(socketio, "start_background_task", keep)
    return started


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} (status {page.status_code})"
    return match.group(1)


def submit(
    client: FlaskClient,
    path: str,
    data: dict[str, Any],
    *,
    form_page: str | None = None,
    **kwargs: Any,
) -> Any:
    """Post a form the way a browser does: fetch the page for its CSRF token first."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client: FlaskClient, user: User, password: str = factories.PASSWORD) -> Any:
    response = submit(client, "/sign-in", {"email": user.email, "password": password})
    if user.is_staff:
        assert user.totp_secret, "staff need two-factor set up to sign in (factories do it)"
        code = pyotp.TOTP(user.totp_secret).at(datetime.now(UTC))
        response = submit(client, "/sign-in/security-code", {"code": code})
    return response


@pytest.fixture
def login_as(client: FlaskClient) -> Any:
    """`login_as(Role.THERAPIST)` makes such a user, signs the client in and returns the user."""

    def _login(role: Role, **kwargs: Any) -> User:
        user = factories.make_user(role=role, **kwargs)
        response = sign_in(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return user

    return _login


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def queue_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Huey as production runs it (not immediate), on a Redis nobody is listening on."""
    with monkeypatch.context() as down:
        down.setattr(huey, "_immediate", False)
        down.setattr(
            huey, "storage", RedisStorage("down", url=f"redis://127.0.0.1:{closed_port()}/0")
        )
        yield
