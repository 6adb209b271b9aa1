"""A patient changes their own mobile number and time zone: what reminders and every page use.
Bad input is refused with a clear message and changes nothing; the change is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import submit
from tests.webapp.sessions.conftest import fast_sign_in
from webapp.extensions import db
from webapp.models import AuditEvent, PatientProfile

PATH = "/my-data/contact-details"


@pytest.fixture
def patient(client):
    patient = factories.make_patient(mobile="+447700900123")
    fast_sign_in(client, patient)
    return patient


def test_a_patient_changes_their_mobile_and_time_zone(client, patient):
    page = client.get(PATH).get_data(as_text=True)
    assert 'value="+447700900123"' in page and patient.email in page
    response = submit(client, PATH, {"mobile": "07700 900 982", "timezone": "Europe/Paris"})
    assert response.status_code == 302
    db.session.expire_all()
    profile = db.session.get(PatientProfile, patient.id)
    assert (profile.mobile_e164, profile.timezone) == ("+447700900982", "Europe/Paris")
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "patient.contact_details_changed")
    )
    assert audit.detail == {"changed": ["mobile", "timezone"]} and audit.patient_id == patient.id
    assert "Your contact details are saved." in client.get(response.location).get_data(as_text=True)


def test_an_empty_mobile_removes_it(client, patient):
    submit(client, PATH, {"mobile": "", "timezone": "Europe/London"})
    db.session.expire_all()
    assert db.session.get(PatientProfile, patient.id).mobile_e164 is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mobile": "0113 496 0000", "timezone": "Europe/London"}, "Enter a UK mobile number"),
        (
            {"mobile": "07700 900 982", "timezone": "Mars/Olympus"},
            "Choose a time zone from the list",
        ),
    ],
)
def test_bad_details_are_refused_and_change_nothing(client, patient, data, message):
    response = submit(client, PATH, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page and message in page
    db.session.expire_all()
    profile = db.session.get(PatientProfile, patient.id)
    assert (profile.mobile_e164, profile.timezone) == ("+447700900123", "Europe/London")


def test_removing_the_mobile_cancels_the_texts_already_planned(app, client, patient):
    from tests.webapp.records.test_consent_views import _booked_tomorrow, reminder_statuses

    appointment = _booked_tomorrow(app, patient)
    assert reminder_statuses(appointment)["sms"] == "scheduled"
    submit(client, PATH, {"mobile": "", "timezone": "Europe/London"})
    db.session.expire_all()
    assert reminder_statuses(appointment) == {"email": "scheduled", "sms": "cancelled"}


def test_removing_the_mobile_while_texts_are_on_switches_texts_off_and_says_so(client, patient):
    """No text can reach a patient without a number, so the page must not go on saying "Yes":
    the choice is switched off, dated like any change of choice, and the patient is told."""
    from webapp.models import ConsentRecord

    response = submit(client, PATH, {"mobile": "", "timezone": "Europe/London"})
    assert response.status_code == 302
    db.session.expire_all()
    profile = db.session.get(PatientProfile, patient.id)
    assert (profile.mobile_e164, profile.sms_reminders, profile.email_reminders) == (
        None,
        False,
        True,
    )
    record = db.session.scalar(select(ConsentRecord).where(ConsentRecord.patient_id == patient.id))
    assert (record.kind, record.granted, record.source) == ("sms_reminders", False, "patient")
    page = client.get(response.location).get_data(as_text=True)
    assert "turned text reminders off" in page
    assert re.search(r"Text message reminders\s*</dt>\s*<dd[^>]*>\s*No", page)


def test_removing_the_mobile_with_texts_already_off_changes_no_choice(client):
    from webapp.models import ConsentRecord

    patient = factories.make_patient(mobile="+447700900123", sms=False)
    fast_sign_in(client, patient)
    response = submit(client, PATH, {"mobile": "", "timezone": "Europe/London"})
    db.session.expire_all()
    assert db.session.get(PatientProfile, patient.id).mobile_e164 is None
    assert db.session.scalar(select(ConsentRecord)) is None
    assert "turned text reminders off" not in client.get(response.location).get_data(as_text=True)


def test_a_refused_change_leaves_texts_on(client, patient):
    submit(client, PATH, {"mobile": "", "timezone": "Mars/Olympus"})
    db.session.expire_all()
    profile = db.session.get(PatientProfile, patient.id)
    assert (profile.mobile_e164, profile.sms_reminders) == ("+447700900123", True)
