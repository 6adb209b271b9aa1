"""Error pages are plain, accessible and leak nothing."""

from __future__ import annotations

from flask import Flask

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
    assert response.get_json() == {"status": "ok", "database": "ok"}
