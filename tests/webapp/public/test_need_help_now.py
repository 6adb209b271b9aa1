"""The public crisis page reads its words from content/pages/need-help-now.md."""

from __future__ import annotations

from tests import factories
from tests.conftest import sign_in
from webapp.models import Role


def test_the_crisis_page_is_public_and_shows_every_route_to_help(client):
    response = client.get("/need-help-now")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Need help now?</h1>" in page
    assert "nhsuk-card--care--emergency" in page and "nhsuk-card--care--urgent" in page
    for href in ('href="tel:111"', 'href="tel:116123"', "SHOUT to 85258"):
        assert href in page
    assert "safety plan" not in page  # only a signed-in patient has one


def test_a_signed_in_patient_is_pointed_to_their_safety_plan(client):
    sign_in(client, factories.make_user(Role.PATIENT))
    assert 'href="/safety-plan"' in client.get("/need-help-now").get_data(as_text=True)
