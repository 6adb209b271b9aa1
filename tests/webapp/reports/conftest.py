"""Report fixtures: the booking suite's fixed clock, job queue and app context."""

import pytest

from tests.webapp.booking.conftest import (  # noqa: F401  - fixtures shared with booking
    app_context,
    clock,
    empty_queue,
)
from tests.webapp.reports.builders import Episode, april


@pytest.fixture
def month() -> dict[str, Episode]:
    """April 2026's known activity (tests/webapp/reports/builders.py: april)."""
    return april()
