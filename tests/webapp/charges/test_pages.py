"""Every row of the DOMAIN.md charging table through the web: the patient books on the booking
pages, then the session is cancelled, attended, missed or fails, through each person's own
pages; and the refusals of every page that shows or changes an outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import sign_in, submit
from tests.factories import (
    make_appointment,
    make_bookable_therapist,
    make_patient,
    make_therapist,
    make_user,
)
from webapp.charges import queries
from webapp.extensions import db
from webapp.models import Appointment, FailureStatus, Role, TechnicalFailure

pytestmark = pytest.mark.usefixtures("clock")

START = datetime(2026, 3, 26, 9, 0, tzinfo=UTC)  # three days after the clock's 08:00 on 23 March
TOKEN = "20260326T090000Z"


@pytest.fixture
def people(app, client):
    patient, therapist = make_patient(), make_bookable_therapist()
    sign_in(client, patient)
    response = submit(
        client, f"/booking/therapists/{therapist.id}/book?start={TOKEN}", {"start": TOKEN}
    )
    assert response.status_code == 302
    appointment = db.session.query(Appointment).filter_by(patient_id=patient.id).one()
    return patient, therapist, appointment


def as_user(app, user):
    other = app.test_client()
    sign_in(other, user)
    return other


def after_start(clock):
    clock.move_to(START + timedelta(minutes=55))


def settled(appointment):
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def test_booking_uses_a_session_and_the_patient_sees_how_many_are_left(client, people):
    page = client.get("/booking/appointments").get_data(as_text=True)
    assert "You have 7 sessions left to book" in page


def test_attended_is_charged(app, clock, people):
    patient, therapist, appointment = people
    after_start(clock)
    therapist_client = as_user(app, therapist)
    listing = therapist_client.get("/therapist/outcomes").get_data(as_text=True)
    assert f"/therapist/appointments/{appointment.id}/outcome" in listing
    path = f"/therapist/appointments/{appointment.id}/outcome"
    assert submit(therapist_client, path, {"outcome": "attended"}).status_code == 302
    row = settled(appointment)
    assert (row.charged, row.attendance_code) == (True, "5")
    assert queries.sessions_left(patient.id) == 7


def test_arriving_late_but_seen_is_code_6_and_charged(app, clock, people):
    _, therapist, appointment = people
    after_start(clock)
    path = f"/therapist/appointments/{appointment.id}/outcome"
    submit(as_user(app, therapist), path, {"outcome": "attended_late"})
    assert (settled(appointment).attendance_code, settled(appointment).charged) == ("6", True)


def test_arriving_too_late_to_be_seen_is_code_7_and_charged(app, clock, people):
    """The outcome page offers what the session record's code 7 says, so the two agree."""
    _, therapist, appointment = people
    after_start(clock)
    path = f"/therapist/appointments/{appointment.id}/outcome"
    therapist_client = as_user(app, therapist)
    assert "The patient arrived too late to be seen" in therapist_client.get(path).get_data(
        as_text=True
    )
    submit(therapist_client, path, {"outcome": "too_late_to_be_seen"})
    row = settled(appointment)
    assert (row.attendance_code, row.outcome, row.charged) == ("7", "patient_dna", True)


def test_an_early_patient_cancellation_is_not_charged(client, people):
    _, _, appointment = people
    path = f"/booking/appointments/{appointment.id}/cancel"
    assert submit(client, path, {"reason": ""}).status_code == 302
    assert settled(appointment).charged is False
    assert "You have 8 sessions left" in client.get("/booking/appointments").get_data(as_text=True)


def test_a_late_patient_cancellation_is_charged_and_said_so_honestly(client, clock, people):
    patient, _, appointment = people
    clock.move_to(START - timedelta(hours=3))
    sign_in(client, patient)  # a new day: the earlier sign-in has timed out
    path = f"/booking/appointments/{appointment.id}/cancel"
    assert "This will use up one of your sessions" in client.get(path).get_data(as_text=True)
    submit(client, path, {"reason": ""})
    assert settled(appointment).charged is True
    page = client.get("/booking/appointments").get_data(as_text=True)
    assert "A late cancellation uses up one of your sessions" in page
    assert "commissioner" not in page.lower()


def test_a_patient_dna_is_charged(app, clock, people):
    _, therapist, appointment = people
    after_start(clock)
    submit(
        as_user(app, therapist),
        f"/therapist/appointments/{appointment.id}/outcome",
        {"outcome": "patient_dna"},
    )
    assert (settled(appointment).charged, settled(appointment).attendance_code) == (True, "3")


def test_a_technical_failure_on_the_providers_side_is_not_charged(app, clock, people):
    patient, therapist, appointment = people
    after_start(clock)
    path = f"/therapist/appointments/{appointment.id}/report-a-problem"
    data = {"what_happened": "My laptop crashed", "affected": "both", "fault": "provider"}
    assert submit(as_user(app, therapist), path, data).status_code == 302
    assert settled(appointment).outcome == "tech_failure_provider"
    assert settled(appointment).charged is False and queries.sessions_left(patient.id) == 8


def test_a_technical_failure_on_the_patients_side_is_charged(app, clock, people):
    _, therapist, appointment = people
    after_start(clock)
    data = {"what_happened": "The patient dropped out", "affected": "patient", "fault": "patient"}
    submit(
        as_user(app, therapist), f"/therapist/appointments/{appointment.id}/report-a-problem", data
    )
    assert (settled(appointment).outcome, settled(appointment).charged) == (
        "tech_failure_patient",
        True,
    )


def test_a_therapist_no_show_is_not_charged_and_returns_the_session(app, clock, people):
    patient, _, appointment = people
    after_start(clock)
    lead = make_user(Role.CLINICAL_LEAD)
    lead_client = as_user(app, lead)
    assert f"/clinical/appointments/{appointment.id}/outcome" in lead_client.get(
        "/clinical/outcomes"
    ).get_data(as_text=True)
    submit(
        lead_client,
        f"/clinical/appointments/{appointment.id}/outcome",
        {"outcome": "therapist_dna"},
    )
    assert settled(appointment).charged is False and queries.sessions_left(patient.id) == 8


def test_a_provider_cancellation_is_not_charged(app, people):
    patient, therapist, appointment = people
    path = f"/therapist/appointments/{appointment.id}/cancel"
    submit(as_user(app, therapist), path, {"reason": "Training day"})
    assert settled(appointment).charged is False and queries.sessions_left(patient.id) == 8


def test_a_disputed_failure_goes_to_the_clinical_lead(app, client, clock, people):
    patient, therapist, appointment = people
    after_start(clock)
    sign_in(client, patient)
    data = {"what_happened": "The chat froze", "affected": "patient", "fault": "provider"}
    assert (
        submit(client, f"/booking/appointments/{appointment.id}/report-a-problem", data).status_code
        == 302
    )
    data = {"what_happened": "Patient's wifi", "affected": "patient", "fault": "patient"}
    submit(
        as_user(app, therapist), f"/therapist/appointments/{appointment.id}/report-a-problem", data
    )
    failure = db.session.query(TechnicalFailure).filter_by(appointment_id=appointment.id).one()
    assert failure.status is FailureStatus.DISPUTED
    lead_client = as_user(app, make_user(Role.CLINICAL_LEAD))
    assert f"/clinical/disputes/{failure.id}" in lead_client.get("/clinical/disputes").get_data(
        as_text=True
    )
    page = lead_client.get(f"/clinical/disputes/{failure.id}").get_data(as_text=True)
    assert "The chat froze" in page and "wifi" in page
    response = submit(
        lead_client, f"/clinical/disputes/{failure.id}", {"fault": "provider", "reason": "Logs"}
    )
    assert response.status_code == 302
    assert settled(appointment).charged is False
    assert lead_client.get(f"/clinical/disputes/{failure.id}").status_code == 404


def test_a_report_the_therapist_never_answers_goes_to_the_clinical_lead_after_3_days(
    app, client, clock, people
):
    patient, _, appointment = people
    after_start(clock)
    sign_in(client, patient)
    data = {"what_happened": "The chat froze", "affected": "patient", "fault": "provider"}
    submit(client, f"/booking/appointments/{appointment.id}/report-a-problem", data)
    failure = db.session.query(TechnicalFailure).filter_by(appointment_id=appointment.id).one()
    assert failure.status is FailureStatus.OPEN
    lead = make_user(Role.CLINICAL_LEAD)
    lead_client = as_user(app, lead)
    path = f"/clinical/disputes/{failure.id}"
    assert path not in lead_client.get("/clinical/disputes").get_data(as_text=True)
    assert lead_client.get(path).status_code == 404  # the therapist still has time to answer

    clock.move_to(failure.created_at + timedelta(days=3, seconds=1))
    lead_client = as_user(app, lead)
    listing = lead_client.get("/clinical/disputes").get_data(as_text=True)
    assert path in listing and "reported by the patient" in listing
    assert "The chat froze" in lead_client.get(path).get_data(as_text=True)
    response = submit(lead_client, path, {"fault": "provider", "reason": "No reply; logs agree"})
    assert response.status_code == 302
    assert settled(appointment).charged is False
    assert lead_client.get(path).status_code == 404


def test_the_clinical_lead_grants_sessions_and_sees_every_movement(app, client, people):
    patient, _, _ = people
    lead_client = as_user(app, make_user(Role.CLINICAL_LEAD))
    path = f"/clinical/patients/{patient.id}/sessions"
    response = submit(lead_client, path, {"sessions": "2", "reason": "Step up agreed"})
    assert response.status_code == 302
    page = lead_client.get(path).get_data(as_text=True)
    assert "9 sessions left" in page and "Step up agreed" in page and "booked" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sessions": "", "reason": "x"}, "Enter how many more sessions"),
        ({"sessions": "30", "reason": "x"}, "from 1 to 20"),
        ({"sessions": "2", "reason": ""}, "Enter why you are granting"),
    ],
)
def test_a_grant_with_errors_shows_them(app, data, message):
    patient = make_patient()
    lead_client = as_user(app, make_user(Role.CLINICAL_LEAD))
    page = submit(lead_client, f"/clinical/patients/{patient.id}/sessions", data)
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert "There is a problem" in page.get_data(as_text=True)


def test_an_outcome_form_without_a_choice_shows_an_error(app, clock, people):
    _, therapist, appointment = people
    after_start(clock)
    page = submit(as_user(app, therapist), f"/therapist/appointments/{appointment.id}/outcome", {})
    assert "Select what happened at the session" in page.get_data(as_text=True)


def test_a_problem_report_over_the_length_limit_is_refused(app, clock, client, people):
    patient, _, appointment = people
    after_start(clock)
    sign_in(client, patient)
    data = {"what_happened": "x" * 501, "affected": "patient", "fault": "unknown"}
    page = submit(client, f"/booking/appointments/{appointment.id}/report-a-problem", data)
    assert "500 characters or fewer" in page.get_data(as_text=True)


# --- refusals -------------------------------------------------------------------------------


def test_another_therapist_cannot_record_or_report_on_a_session(app, clock, people):
    _, _, appointment = people
    after_start(clock)
    stranger = as_user(app, make_therapist())
    assert stranger.get(f"/therapist/appointments/{appointment.id}/outcome").status_code == 404
    assert (
        stranger.get(f"/therapist/appointments/{appointment.id}/report-a-problem").status_code
        == 404
    )
    assert f"/appointments/{appointment.id}/" not in stranger.get("/therapist/outcomes").get_data(
        as_text=True
    )


def test_another_patient_cannot_report_on_a_session(app, clock, people):
    _, _, appointment = people
    after_start(clock)
    stranger = as_user(app, make_patient())
    assert (
        stranger.get(f"/booking/appointments/{appointment.id}/report-a-problem").status_code == 404
    )


def test_nobody_records_an_outcome_before_the_session(app, people):
    _, therapist, appointment = people
    assert (
        as_user(app, therapist).get(f"/therapist/appointments/{appointment.id}/outcome").status_code
        == 404
    )
    lead_client = as_user(app, make_user(Role.CLINICAL_LEAD))
    assert lead_client.get(f"/clinical/appointments/{appointment.id}/outcome").status_code == 404


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.COMMISSIONER, Role.MODERATOR])
def test_only_the_clinical_lead_sees_outcomes_allowances_and_disputes(client, login_as, role):
    appointment = make_appointment(starts_at=START - timedelta(days=7))
    login_as(role)
    for path in (
        "/clinical/outcomes",
        f"/clinical/appointments/{appointment.id}/outcome",
        f"/clinical/patients/{appointment.patient_id}/sessions",
        "/clinical/disputes",
    ):
        assert client.get(path).status_code == 403, path


def test_the_clinical_lead_sees_no_allowance_for_someone_who_is_not_a_patient(app):
    lead_client = as_user(app, make_user(Role.CLINICAL_LEAD))
    therapist = make_therapist()
    assert lead_client.get(f"/clinical/patients/{therapist.id}/sessions").status_code == 404


@pytest.mark.parametrize("role", [Role.CLINICAL_LEAD, Role.COMMISSIONER, Role.MODERATOR])
def test_staff_cannot_use_the_patients_report_page(client, login_as, role):
    appointment = make_appointment(starts_at=START - timedelta(days=7))
    login_as(role)
    assert client.get(f"/booking/appointments/{appointment.id}/report-a-problem").status_code == 403


def test_the_therapists_day_links_a_started_session_to_its_outcome_and_problem_pages(
    app, clock, people
):
    _, therapist, appointment = people
    after_start(clock)
    page = as_user(app, therapist).get("/therapist/?day=2026-03-26").get_data(as_text=True)
    assert f"/therapist/appointments/{appointment.id}/outcome" in page
    assert f"/therapist/appointments/{appointment.id}/report-a-problem" in page
