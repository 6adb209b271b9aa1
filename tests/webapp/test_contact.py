"""Wherever a patient is sent to the service team, they are told how to reach it: the Contact
page (linked from every page) and each message that says "contact the service"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import factories
from tests.webapp.sessions.conftest import fast_sign_in
from webapp.config import ProductionConfig


@pytest.fixture
def contact(app, monkeypatch):
    monkeypatch.setitem(app.config, "SERVICE_PHONE", "0113 496 0123")
    monkeypatch.setitem(app.config, "SERVICE_EMAIL", "team@service.example")


def test_the_contact_page_is_linked_from_every_page_and_gives_the_configured_details(
    client, contact
):
    assert 'href="/contact"' in client.get("/").get_data(as_text=True)
    page = client.get("/contact").get_data(as_text=True)
    assert 'href="tel:01134960123"' in page and "0113 496 0123" in page
    assert 'href="mailto:team@service.example"' in page
    assert "not an emergency service" in page


def test_a_patient_with_no_sessions_left_is_told_how_to_ask_for_more(app, client, contact):
    patient = factories.make_patient(sessions=0)
    fast_sign_in(client, patient)
    page = client.get("/booking/appointments").get_data(as_text=True)
    assert "You have used all the sessions funded" in page and "0113 496 0123" in page
    assert "Book an appointment" not in page


def test_production_will_not_start_without_real_contact_details(monkeypatch):
    for name in ProductionConfig.REQUIRED:
        monkeypatch.setenv(name, "set")
    monkeypatch.delenv("SERVICE_PHONE")
    with pytest.raises(RuntimeError, match="SERVICE_PHONE"):
        ProductionConfig.check()


def test_a_patient_whose_access_has_ended_is_told_before_they_try_to_book(client, contact):
    ended = datetime(2024, 1, 1, tzinfo=UTC)
    patient = factories.make_patient(access_ends_at=ended)
    fast_sign_in(client, patient)
    for page in ("/my/", "/booking/appointments"):
        text = client.get(page).get_data(as_text=True)
        assert "your access to the service ended on Monday 1 January 2024" in text, page
        assert "0113 496 0123" in text and "Book an appointment" not in text, page
        assert "Choose a therapist and book" not in text, page
