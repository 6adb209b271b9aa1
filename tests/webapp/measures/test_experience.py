"""Patient experience questionnaires: offered once, answered by the patient, kept apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in, submit
from webapp.extensions import db
from webapp.measures import services
from webapp.models import ExperienceResponse, QuestionnaireResponse, Role


def offer(app, patient, code="peq_treatment"):
    with app.app_context():
        return services.offer_experience_questionnaire(patient.id, code, now=datetime.now(UTC))


def test_an_offer_is_made_once_and_shown_on_the_patients_home(app, client):
    patient = factories.make_user(Role.PATIENT)
    first, second = offer(app, patient), offer(app, patient)
    assert first.id == second.id
    sign_in(client, patient)
    assert f"/questionnaires/experience/{first.id}" in client.get("/my/").get_data(as_text=True)


def test_the_patient_answers_and_the_answers_are_stored_apart_from_clinical_answers(app, client):
    patient = factories.make_user(Role.PATIENT)
    peq = offer(app, patient)
    sign_in(client, patient)
    url = f"/questionnaires/experience/{peq.id}"
    page = client.get(url).get_data(as_text=True)
    assert "kept separate from your clinical record" in page
    import re

    names = set(re.findall(r'<(?:input|textarea)[^>]*name="([a-z_]+)"', page)) - {"csrf_token"}
    data = {
        name: ""
        if name == "comments"
        else re.search(rf'name="{name}"[^>]*value="([^"]+)"', page).group(1)
        for name in names
    }
    response = submit(client, url, data)
    assert "Thank you" in response.get_data(as_text=True)
    stored = db.session.get(ExperienceResponse, peq.id)
    db.session.refresh(stored)
    assert stored.completed_at is not None and set(stored.answers) == names - {"comments"}
    assert db.session.scalars(select(QuestionnaireResponse)).all() == []


def test_a_patient_cannot_open_another_patients_questionnaire(app, client, login_as):
    peq = offer(app, factories.make_user(Role.PATIENT))
    login_as(Role.PATIENT)
    assert client.get(f"/questionnaires/experience/{peq.id}").status_code == 404


def test_only_experience_instruments_can_be_offered(app):
    with pytest.raises(ValueError, match="not a patient experience questionnaire"):
        offer(app, factories.make_user(Role.PATIENT), code="phq9")
