"""The `journey` fixture: the app with the demo world, served on 127.0.0.1 from a thread on its own
SQLite file, with the whole process's clock set to a fixed Monday morning (ticking on from
there), and Debian's chromium. On failure every person's page is kept as screenshots at 360 and
1280 pixels wide in test-artifacts/."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from sqlalchemy import Engine

from tests.browser import launch, serve
from tests.webapp.journeys.journey import Journey

LONDON = ZoneInfo("Europe/London")


def next_monday_morning(today: date) -> datetime:
    """6:30am UK time on the Monday at least two days away: before the demo therapists' 9am
    hours, and never in the past, so the browser never sees a session cookie as expired."""
    days = (7 - today.weekday()) % 7 or 7
    if days < 2:
        days += 7
    return datetime.combine(today + timedelta(days=days), time(6, 30), tzinfo=LONDON)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[Any]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def journey(
    app: Flask, engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Journey]:
    from playwright.sync_api import sync_playwright

    starts = next_monday_morning(datetime.now(LONDON).date())
    settings = {
        # Everyone signs in from 127.0.0.1, and each journey signs in several people.
        "SIGN_IN_RATE_LIMIT": "100 per minute",
        # A journey's own settings: @pytest.mark.parametrize("journey", [{...}], indirect=True)
        **getattr(request, "param", {}),
    }
    with (
        time_machine.travel(starts, tick=True) as clock,
        serve(app, engine, tmp_path, demo=True, settings=settings) as server,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        journey = Journey(server, clock, browser)
        try:
            yield journey
        finally:
            if request.node.stash.get(FAILED, True):
                journey.keep_screenshots(request.node.name)
            browser.close()
