"""Error pages are plain, accessible and leak nothing."""

from __future__ import annotations

import socket
import time

from flask import Flask
from flask_login.utils import _create_identifier
from sqlalchemy.exc import OperationalError

from webapp import health
from webapp.config import TestConfig


def test_a_missing_page_says_page_not_found(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert "<title>Page not found" in page


def test_an_unexpected_error_shows_a_generic_page_with_no_details(database_url):
    config = type(
        "C",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_TEST_ERRORS": False},
    )
    from webapp import create_app

    app: Flask = create_app(config)

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in page
    assert "secret internal detail" not in page and "Traceback" not in page


def test_health_reports_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "not used",
        "degraded": [],
    }


def closed_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_health_says_what_is_degraded_while_redis_is_down(app, client, monkeypatch):
    down = f"redis://127.0.0.1:{closed_port()}/0"
    monkeypatch.setitem(app.config, "REDIS_URL", down)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", down)
    response = client.get("/health")
    body = response.get_json()
    assert response.status_code == 200  # still serving: the balancer keeps this instance
    assert body["status"] == "degraded" and body["redis"] == "unreachable"
    assert body["degraded"] == [health.DEGRADED["jobs"], health.DEGRADED["rate_limits"]]


def test_health_is_503_without_the_database():
    body, status = health.report({}, database_ok=False)
    assert status == 503
    assert body == {
        "status": "unavailable",
        "database": "unreachable",
        "redis": "not used",
        "degraded": [],
    }


def test_health_is_ok_with_redis_reachable(monkeypatch):
    monkeypatch.setattr(health, "redis_reachable", lambda url: True)
    body, status = health.report({"SOCKETIO_MESSAGE_QUEUE": "redis://x:6379/0"}, True)
    assert (status, body["status"], body["redis"], body["degraded"]) == (200, "ok", "ok", [])


def test_an_unreachable_database_gives_a_503_page_then_the_app_recovers_without_restart(
    tmp_path,
):
    """The database file's folder is missing (as a server that is down): a signed-in person's
    page is a plain 503 with Retry-After, quickly; once the database is there the same app
    serves again."""
    from webapp import create_app
    from webapp.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'not-yet' / 'app.db'}"
    config = type(
        "C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "PROPAGATE_TEST_ERRORS": False}
    )
    app: Flask = create_app(config)
    client = app.test_client()
    browser = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "a test browser"}
    with app.test_request_context(environ_base=browser):
        identifier = _create_identifier()  # what Flask-Login's strong protection checks
    with client.session_transaction() as session:  # signed in: the user is loaded from the db
        session.update({"_user_id": "some-session-token", "_id": identifier, "_fresh": True})
        session["signed_in_at"] = session["last_seen_at"] = time.time()
    response = client.get("/need-help-now", environ_base=browser)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Sorry, the service is not available at the moment" in page
    assert "Traceback" not in page and "sqlite" not in page.lower()

    (tmp_path / "not-yet").mkdir()
    upgrade(url)
    assert client.get("/need-help-now", environ_base=browser).status_code == 200


def test_a_lost_database_connection_mid_request_gives_the_503_page(database_url):
    config = type(
        "C",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "PROPAGATE_TEST_ERRORS": False},
    )
    from webapp import create_app

    app: Flask = create_app(config)

    @app.route("/query")
    def query() -> str:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    response = app.test_client().get("/query")
    assert response.status_code == 503
    assert "server closed" not in response.get_data(as_text=True)
