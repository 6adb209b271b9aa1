"""Changing communication preferences and consent to optional uses: every change dated."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in, submit
from webapp.extensions import db
from webapp.models import AuditEvent, ConsentRecord, PatientProfile


def test_a_change_is_recorded_with_its_date_and_the_reminders_follow_it(client):
    patient = factories.make_patient(sms=True, email=True)
    sign_in(client, patient)
    page = client.get("/my-data/choices").get_data(as_text=True)
    assert "Being told about research" in page and "Text message reminders" in page
    response = submit(client, "/my-data/choices", {"email_reminders": "y", "research_contact": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    records = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.patient_id == patient.id)
    ).all()
    assert {(r.kind, r.granted) for r in records} == {
        ("sms_reminders", False),
        ("research_contact", True),
    }
    assert all(r.recorded_at is not None and r.source == "patient" for r in records)
    assert all(r.privacy_notice_version for r in records)
    profile = db.session.get(PatientProfile, patient.id)
    assert profile.sms_reminders is False
    assert profile.email_reminders is True
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "consent.changed", AuditEvent.patient_id == patient.id
        )
    )
    assert event.detail == {"changed": {"sms_reminders": False, "research_contact": True}}
    page = client.get("/my-data").get_data(as_text=True)
    assert "research contact on" in page and "sms reminders off" in page


def test_saving_the_same_choices_records_nothing(client):
    patient = factories.make_patient(sms=True, email=False)
    sign_in(client, patient)
    submit(client, "/my-data/choices", {"sms_reminders": "y"})
    assert (
        db.session.scalar(select(ConsentRecord).where(ConsentRecord.patient_id == patient.id))
        is None
    )


def test_another_patients_choices_are_untouched(client):
    patient = factories.make_patient()
    other = factories.make_patient()
    sign_in(client, patient)
    submit(client, "/my-data/choices", {"research_contact": "y"})
    assert (
        db.session.scalar(select(ConsentRecord).where(ConsentRecord.patient_id == other.id)) is None
    )


def _booked_tomorrow(app, patient):
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from webapp.booking import services as booking
    from webapp.models import utcnow

    london = ZoneInfo("Europe/London")
    tomorrow = (datetime.now(london) + timedelta(days=1)).date()
    starts_at = datetime.combine(tomorrow, time(10), tzinfo=london)
    therapist = factories.make_bookable_therapist()
    with app.app_context():
        return booking.book_appointment(patient.id, therapist.id, starts_at, now=utcnow())


def reminder_statuses(appointment):
    from webapp.models import NotificationAttempt, NotificationKind

    rows = db.session.scalars(
        select(NotificationAttempt).where(
            NotificationAttempt.appointment_id == appointment.id,
            NotificationAttempt.kind == NotificationKind.REMINDER_1H,
        )
    )
    return {row.channel.value: row.status.value for row in rows}


def test_switching_texts_off_cancels_the_texts_already_planned(app, client):
    patient = factories.make_patient(sms=True, email=True)
    appointment = _booked_tomorrow(app, patient)
    assert reminder_statuses(appointment) == {"email": "scheduled", "sms": "scheduled"}
    sign_in(client, patient)
    submit(client, "/my-data/choices", {"email_reminders": "y"})
    db.session.expire_all()
    assert reminder_statuses(appointment) == {"email": "scheduled", "sms": "cancelled"}


NO_MOBILE = "Add a mobile number in your contact details to get text reminders"


def test_texts_without_a_mobile_number_are_refused_where_they_are_chosen(client):
    patient = factories.make_patient(mobile=None, sms=False, email=True)
    sign_in(client, patient)
    page = client.get("/my-data/choices").get_data(as_text=True)
    assert "contact details" in page  # the page says a number is needed before it is refused
    response = submit(
        client,
        "/my-data/choices",
        {"sms_reminders": "y", "email_reminders": "y", "research_contact": "y"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and NO_MOBILE in page
    assert 'href="#sms_reminders"' in page  # the summary links to the box to untick
    assert page.count("checked") == 3  # what the patient ticked is kept for them to put right
    db.session.expire_all()
    profile = db.session.get(PatientProfile, patient.id)
    assert (profile.sms_reminders, profile.email_reminders) == (False, True)
    assert (
        db.session.scalar(select(ConsentRecord).where(ConsentRecord.patient_id == patient.id))
        is None
    )
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent.changed")) is None
    )
    index = client.get("/my-data").get_data(as_text=True)
    assert "Your choices are saved" not in index


def test_the_service_refuses_texts_without_a_mobile_number_too(app):
    from datetime import UTC, datetime

    import pytest

    from webapp.records import services

    patient = factories.make_patient(mobile=None, sms=False)
    with app.test_request_context(), pytest.raises(services.RecordsError, match=NO_MOBILE):
        services.change_choices(
            patient,
            {
                "sms_reminders": True,
                "email_reminders": True,
                "research_contact": False,
                "service_feedback": False,
            },
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    db.session.expire_all()
    assert db.session.get(PatientProfile, patient.id).sms_reminders is False
    assert db.session.scalar(select(ConsentRecord)) is None


def test_texts_with_a_mobile_number_are_saved(client):
    patient = factories.make_patient(mobile="+447700900123", sms=False)
    sign_in(client, patient)
    response = submit(client, "/my-data/choices", {"sms_reminders": "y", "email_reminders": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PatientProfile, patient.id).sms_reminders is True
