"""Booking fixtures: a fixed clock, an empty job queue and the text-message outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from webapp.jobs import huey

# Monday 23 March 2026, 08:00 UTC (08:00 GMT). The clocks go forward on Sunday 29 March.
NOW = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def empty_queue(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("pure"):
        yield
        return
    huey.flush()
    yield
    huey.flush()


@pytest.fixture
def sms_outbox(app: Any) -> list[Any]:
    backend = app.extensions["sms_backend"]
    backend.outbox.clear()
    backend.fail_next = False
    return backend.outbox  # type: ignore[no-any-return]


@pytest.fixture
def app_context(app: Any) -> Iterator[None]:
    """Services run inside an application context (a request or a job provides one)."""
    with app.app_context():
        yield
