from tests.webapp.booking.conftest import app_context, clock, empty_queue, sms_outbox  # noqa: F401
