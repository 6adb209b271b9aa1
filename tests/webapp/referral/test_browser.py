"""A person completes a self-referral on a 360-pixel-wide phone screen, in Debian's chromium
driven by Playwright, against a live server on 127.0.0.1 with its own SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from tests.browser import keep_screenshot, launch, needs_chromium
from tests.browser import live_server as serve
from webapp.extensions import db

pytestmark = needs_chromium


@pytest.fixture
def live_server(app: Flask, engine, tmp_path: Path) -> Iterator[str]:
    with serve(app, engine, tmp_path) as base:
        yield base


def referral_references(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        references = list(connection.execute(text("SELECT reference FROM referrals")).scalars())
    engine.dispose()
    return references


def test_a_self_referral_can_be_completed_on_a_360_pixel_wide_screen(live_server, request):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1)
        # Generous: a loaded CI machine compiles each template on first use.
        page.set_default_timeout(20_000)
        try:
            _refer_yourself(page, live_server)
        except BaseException:
            keep_screenshot(page, request.node.name)
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
