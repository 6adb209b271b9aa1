"""A person completes a self-referral on a 360-pixel-wide phone screen, in Debian's chromium
driven by Playwright, against a live server on 127.0.0.1 with its own SQLite file."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import WSGIRequestHandler, make_server

from webapp import create_app
from webapp.config import PROJECT_ROOT, TestConfig
from webapp.extensions import db
from webapp.jobs import bind_app
from webapp.migrate import upgrade

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


@pytest.fixture
def live_server(app: Flask, engine, tmp_path: Path) -> Iterator[str]:
    """The app on a temporary SQLite file, served from a thread; the suite's app is put back."""
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    config = type(
        "BrowserConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SERVER_NAME": None,
            "PUBLIC_FORM_RATE_LIMIT": "200 per minute",
            "EMAIL_OUTBOX_DIR": tmp_path / "outbox",
        },
    )
    browser_app = create_app(config)
    with browser_app.app_context():
        upgrade(url)
    server = make_server("127.0.0.1", 0, browser_app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        assert db.engine is not None
        db.engine.dispose()
        db.engine = engine  # the suite's database and app again
        db.bind(engine)
        bind_app(app)


def referral_references(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        references = list(connection.execute(text("SELECT reference FROM referrals")).scalars())
    engine.dispose()
    return references


def test_a_self_referral_can_be_completed_on_a_360_pixel_wide_screen(live_server, request):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # Nothing leaves the machine: other hosts (the NHS.UK font host) fail at once.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1)
        # Generous: a loaded CI machine compiles each template on first use.
        page.set_default_timeout(20_000)
        try:
            _refer_yourself(page, live_server)
        except BaseException:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
            raise
        finally:
            browser.close()


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways ({width}px)"


def _continue(page) -> None:
    page.get_by_role("button", name="Continue").click()


def _choose(page, label: str) -> None:
    page.get_by_label(label, exact=True).check()
    _continue(page)


def _refer_yourself(page, base: str) -> None:
    page.goto(base + "/")
    _fits(page)
    page.get_by_role("link", name="Refer yourself").click()
    page.get_by_role("button", name="Start now").click()

    page.get_by_label("Day").fill("17")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("1990")
    _fits(page)
    _continue(page)
    page.get_by_label("What is your postcode?").fill("LS1 4AP")
    _continue(page)
    page.get_by_label("What is your full name?").fill("Robin Phone")
    _continue(page)
    page.get_by_label("Email address").fill("robin@example.com")
    page.get_by_label("UK mobile number (optional)").fill("07700 900 123")
    _continue(page)
    _continue(page)  # GP practice is optional: not registered
    page.get_by_label("Stress", exact=True).check()
    _continue(page)
    _continue(page)  # nothing chosen: the page says what to do
    assert page.get_by_text("There is a problem").is_visible()
    _choose(page, "No, none of these")
    _choose(page, "Prefer not to say")  # gender
    _choose(page, "White: British")
    _choose(page, "Prefer not to say")  # sexual orientation
    _choose(page, "No")  # disability
    _choose(page, "No religion")
    _choose(page, "No")  # long-term condition
    _choose(page, "On my own")
    _choose(page, "Employed")
    _choose(page, "A poster or leaflet")
    page.get_by_label("Text message").check()
    page.get_by_label("No", exact=True).check()  # no interpreter
    _fits(page)
    _continue(page)
    page.get_by_label(re.compile("I agree to the service using my information")).check()
    _continue(page)

    page.get_by_role("heading", name="Check your answers before sending your referral").wait_for()
    _fits(page)
    assert page.get_by_text("Robin Phone").is_visible()
    page.get_by_role("button", name="Send referral").click()
    page.get_by_role("heading", name="Referral sent").wait_for()
    _fits(page)
    reference = page.locator(".nhsuk-panel strong").inner_text()
    assert re.fullmatch(r"TT-[0-9A-Z]{6}", reference)
    assert reference in referral_references(str(db.engine.url))
