"""The safety plan: its owner can always make, change, see and print it; nobody else can."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from content.safety_plan import KEYS, SECTIONS
from tests import factories
from tests.conftest import sign_in, submit
from tests.webapp.library.conftest import give_access
from webapp.extensions import db
from webapp.models import AuditEvent, Role, SafetyPlan

PLAN = {
    "warning_signs": "Not sleeping. Thinking no one would miss me.",
    "coping_steps": "Cold water on my face.\nWalk round the block.",
    "people_and_places": "My sister Jo, 07700 900123. The library.",
    "professional_contacts": "GP surgery 0113 496 0000",
    "safe_environment": "Ask Jo to keep my tablets.",
    "reasons_for_living": "My cat, Biscuit. Seeing my niece grow up.",
}


@pytest.fixture
def patient(client):
    user = factories.make_user(Role.PATIENT)
    sign_in(client, user)
    return user


def test_with_no_plan_yet_the_page_offers_to_make_one(client, patient):
    page = client.get("/safety-plan").get_data(as_text=True)
    assert "Make your safety plan" in page
    assert 'href="tel:116123"' in page


def test_the_edit_form_labels_every_section(client, patient):
    page = client.get("/safety-plan/edit").get_data(as_text=True)
    for section in SECTIONS:
        assert re.search(rf'<label[^>]*for="{section.key}"', page)
        assert section.heading in page


def test_a_patient_saves_and_reloads_their_safety_plan(client, patient):
    response = submit(client, "/safety-plan/edit", PLAN)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/safety-plan")
    page = client.get("/safety-plan").get_data(as_text=True)
    assert "My cat, Biscuit." in page
    assert "Cold water on my face.\nWalk round the block." in page  # line breaks kept
    assert "data-app-print" in page  # printable
    edit = client.get("/safety-plan/edit").get_data(as_text=True)
    assert "Ask Jo to keep my tablets." in edit


def test_a_patient_changes_their_plan_and_empties_a_section(client, patient):
    submit(client, "/safety-plan/edit", PLAN)
    submit(client, "/safety-plan/edit", {**PLAN, "safe_environment": "", "coping_steps": "Music"})
    plan = db.session.get(SafetyPlan, patient.id)
    assert plan.coping_steps == "Music"
    assert plan.safe_environment == ""
    assert "Not filled in yet" in client.get("/safety-plan").get_data(as_text=True)


def test_the_plan_is_encrypted_at_rest_and_audited_without_its_words(client, patient):
    submit(client, "/safety-plan/edit", PLAN)
    row = db.session.execute(text("SELECT * FROM safety_plans")).mappings().one()
    for key in KEYS:
        assert PLAN[key] not in row[key]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "safety_plan.saved"))
    assert event.patient_id == patient.id and event.detail == {}


def test_an_empty_plan_is_refused_with_a_message_and_nothing_saved(client, patient):
    response = submit(client, "/safety-plan/edit", {key: " " for key in KEYS})
    page = response.get_data(as_text=True)
    assert "Fill in at least one part of your safety plan before you save it" in page
    assert "<title>Error:" in page
    assert db.session.get(SafetyPlan, patient.id) is None


def test_a_too_long_section_is_refused_next_to_its_field(client, patient):
    submit(client, "/safety-plan/edit", PLAN)
    response = submit(client, "/safety-plan/edit", {**PLAN, "reasons_for_living": "x" * 3001})
    page = response.get_data(as_text=True)
    assert "My reasons for living must be 3,000 characters or fewer" in page
    assert 'href="#reasons_for_living"' in page
    db.session.expire_all()
    assert db.session.get(SafetyPlan, patient.id).reasons_for_living == PLAN["reasons_for_living"]


@pytest.mark.parametrize(
    "period",
    [(-timedelta(days=400), -timedelta(days=1)), (timedelta(days=3), timedelta(days=30)), None],
    ids=["ended", "not-started", "no-profile"],
)
def test_the_plan_stays_open_whatever_the_access_period(client, period):
    patient = factories.make_user(Role.PATIENT)
    if period is not None:
        give_access(patient, starts=period[0], ends=period[1])
    sign_in(client, patient)
    assert submit(client, "/safety-plan/edit", PLAN).status_code == 302
    assert "My cat, Biscuit." in client.get("/safety-plan").get_data(as_text=True)


def test_another_patient_never_sees_the_plan(client, patient):
    submit(client, "/safety-plan/edit", PLAN)
    other = factories.make_user(Role.PATIENT)
    client.delete_cookie("session")
    sign_in(client, other)
    for url in ("/safety-plan", "/safety-plan/edit"):
        page = client.get(url).get_data(as_text=True)
        assert "Biscuit" not in page
    submit(client, "/safety-plan/edit", {"coping_steps": "Their own"})
    db.session.expire_all()
    assert db.session.get(SafetyPlan, patient.id).coping_steps == PLAN["coping_steps"]
    assert db.session.get(SafetyPlan, other.id).coping_steps == "Their own"


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.MODERATOR, Role.CLINICAL_LEAD, Role.ADMIN])
def test_staff_are_refused_the_safety_plan(client, login_as, role):
    login_as(role)
    assert client.get("/safety-plan").status_code == 403
    assert client.get("/safety-plan/edit").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/safety-plan", "/safety-plan/edit"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


def test_the_sections_match_the_model_columns():
    assert set(KEYS) <= set(SafetyPlan.__table__.columns.keys())
