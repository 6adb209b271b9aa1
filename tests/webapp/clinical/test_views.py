"""The clinical lead sees credentials expiring within 30 days, records renewals, sees bookings
whose therapist's credentials will have lapsed, and sees messages that failed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.conftest import submit
from tests.factories import give_credentials, make_bookable_therapist, make_patient, make_therapist
from tests.webapp.booking.conftest import NOW
from webapp.booking import services as booking_services
from webapp.extensions import db
from webapp.models import (
    Appointment,
    Credential,
    CredentialKind,
    NotificationAttempt,
    NotificationStatus,
    Role,
)

pytestmark = pytest.mark.usefixtures("clock")


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.ADMIN])
def test_only_the_clinical_lead_sees_credentials(login_as, client, role):
    login_as(role)
    assert client.get("/clinical/credentials").status_code == 403
    assert client.get("/clinical/notifications").status_code == 403


def test_credentials_expiring_within_30_days_expired_and_missing_are_shown(login_as, client):
    make_bookable_therapist(full_name="Ivy Soon", expires_on=date(2026, 4, 10))
    make_bookable_therapist(full_name="Jon Fine", expires_on=date(2027, 4, 10))
    make_bookable_therapist(full_name="Kit Lapsed", expires_on=date(2026, 3, 1))
    missing = make_therapist(full_name="Lou Missing")
    give_credentials(missing, skip=(CredentialKind.DBS,))
    login_as(Role.CLINICAL_LEAD)
    page = client.get("/clinical/credentials").get_data(as_text=True)
    assert "Expires within 30 days" in page and "Expired" in page and "Missing" in page
    assert page.count("Cannot be booked") == 2
    assert page.index("Kit Lapsed") < page.index("Ivy Soon") < page.index("Jon Fine")


def test_bookings_with_a_therapist_whose_credential_lapses_are_flagged(login_as, client, app):
    therapist = make_bookable_therapist(full_name="Max Lapsing", expires_on=date(2026, 3, 25))
    patient = make_patient(full_name="Ned Patient")
    with app.app_context():
        booking_services.book_appointment(
            patient.id, therapist.id, datetime(2026, 3, 24, 9, tzinfo=UTC), now=NOW
        )
    # The booking was valid when made; the DBS check then turns out to have lapsed earlier.
    dbs = (
        db.session.query(Credential)
        .filter_by(therapist_id=therapist.id, kind=CredentialKind.DBS)
        .one()
    )
    dbs.expires_on = date(2026, 3, 22)
    db.session.commit()
    login_as(Role.CLINICAL_LEAD)
    page = client.get("/clinical/").get_data(as_text=True)
    assert "Max Lapsing with patient Ned Patient" in page

    # the lead cancels it from there: a reason is needed, then it is the service's cancellation
    appointment_id = db.session.query(Appointment.id).scalar()
    path = f"/clinical/appointments/{appointment_id}/cancel"
    assert f'href="{path}"' in page
    refused = submit(client, path, {"reason": ""}).get_data(as_text=True)
    assert "Enter why you are cancelling" in refused
    db.session.expire_all()
    assert db.session.get(Appointment, appointment_id).status.value == "booked"
    response = submit(client, path, {"reason": "DBS check lapsed"})
    assert response.status_code == 302 and response.location.endswith("/clinical/")
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment_id)
    assert (appointment.status.value, appointment.attendance_code) == ("cancelled", "4")
    assert appointment.cancelled_by_role == "clinical_lead"
    assert "Max Lapsing with patient Ned Patient" not in client.get("/clinical/").get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.ADMIN])
def test_only_the_clinical_lead_cancels_from_the_clinical_page(login_as, client, app, role):
    therapist, patient = make_bookable_therapist(), make_patient()
    with app.app_context():
        appointment = booking_services.book_appointment(
            patient.id, therapist.id, datetime(2026, 3, 24, 9, tzinfo=UTC), now=NOW
        )
    login_as(role)
    path = f"/clinical/appointments/{appointment.id}/cancel"
    assert client.get(path).status_code == 403
    assert client.post(path, data={"reason": "x"}).status_code in (400, 403)
    assert db.session.get(Appointment, appointment.id).status.value == "booked"


def test_recording_a_credential_renews_it_and_bad_dates_are_refused(login_as, client):
    therapist = make_bookable_therapist(expires_on=date(2026, 3, 1))
    lead = login_as(Role.CLINICAL_LEAD)
    path = f"/clinical/therapists/{therapist.id}/credentials"
    page = submit(
        client,
        path,
        {"kind": "registration", "body": "", "reference": "123", "expires_on": "31/03/2027"},
    ).get_data(as_text=True)
    assert "Enter the body the therapist is registered with" in page
    assert "Enter the expiry date as a real date" in page
    for kind in CredentialKind:
        response = submit(
            client,
            path,
            {"kind": kind.value, "body": "BABCP", "reference": "R-1", "expires_on": "2027-03-31"},
        )
        assert response.status_code == 302
    db.session.remove()
    credentials = db.session.query(Credential).filter_by(therapist_id=therapist.id).all()
    assert len(credentials) == 4
    assert {c.expires_on for c in credentials} == {date(2027, 3, 31)}
    assert {c.recorded_by_id for c in credentials} == {lead.id}


def test_a_patient_is_not_a_therapist_for_credentials(login_as, client):
    patient = make_patient()
    login_as(Role.CLINICAL_LEAD)
    assert client.get(f"/clinical/therapists/{patient.id}/credentials").status_code == 404


def test_failed_messages_are_visible_to_the_clinical_lead(login_as, client, app):
    therapist, patient = make_bookable_therapist(), make_patient(full_name="Oli Patient")
    app.extensions["sms_backend"].fail_next = True
    with app.app_context():
        booking_services.book_appointment(
            patient.id, therapist.id, datetime(2026, 3, 24, 9, tzinfo=UTC), now=NOW
        )
    refused = db.session.query(NotificationAttempt).filter_by(
        status=NotificationStatus.SCHEDULED, error="recording backend told to fail"
    )
    assert refused.count() == 1
    login_as(Role.CLINICAL_LEAD)
    page = client.get("/clinical/notifications").get_data(as_text=True)
    assert "Oli Patient" in page and "recording backend told to fail" in page
    assert "Trying again" in page
    assert "could not be delivered" in client.get("/clinical/").get_data(as_text=True)
    assert db.session.query(Appointment).count() == 1
