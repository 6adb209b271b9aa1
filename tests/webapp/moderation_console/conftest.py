"""The console's tests share the community fixtures (tests/webapp/community/conftest.py), and
the alert tests a clock and an on-call clinical lead (the text outbox, `sms`, is the suite's)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests import factories
from tests.webapp.community.conftest import (  # noqa: F401 - fixtures by name
    put_on_shift,
    signed_in,
    space,
)
from webapp.extensions import db
from webapp.models import Role, ShiftKind, StaffContact

T = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
LEAD_MOBILE = "+447700900555"
RISK = "I want to kill myself"


@pytest.fixture
def clock():
    with time_machine.travel(T, tick=False) as traveller:
        yield traveller


@pytest.fixture
def on_call_lead():
    lead = factories.make_user(Role.CLINICAL_LEAD)
    db.session.add(StaffContact(user_id=lead.id, mobile_e164=LEAD_MOBILE))
    db.session.commit()
    put_on_shift(lead, ShiftKind.CLINICAL_ON_CALL, T - timedelta(hours=1), hours=24)
    return lead
