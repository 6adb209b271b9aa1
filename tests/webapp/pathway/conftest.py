"""Pathway fixtures: the booking suite's fixed clock, job queue and app context."""

from tests.webapp.booking.conftest import (  # noqa: F401  - fixtures shared with booking
    NOW,
    app_context,
    clock,
    empty_queue,
    sms_outbox,
)
