"""One appointment shows one time on every page a patient sees: in their own zone, labelled,
as their booking pages and reminders have it (a patient in Paris once saw 10:00am on one page
and an unlabelled 9:00am on another)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests import factories
from tests.webapp.sessions.conftest import fast_sign_in
from webapp import local_datetime, london_datetime


def test_a_patient_abroad_sees_their_appointment_at_one_labelled_time_everywhere(app):
    patient = factories.make_patient(timezone="Europe/Paris")
    starts_at = (datetime.now(UTC) + timedelta(days=10)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    appointment = factories.make_appointment(patient, starts_at=starts_at)
    client = app.test_client()
    fast_sign_in(client, patient)
    shown = local_datetime(starts_at, "Europe/Paris")  # 10:00am in winter, 11:00am in summer
    assert shown.endswith("(Europe/Paris time)")
    in_uk = london_datetime(starts_at)  # what the pages once showed, unlabelled
    for page in ("/my/", "/sessions/", "/booking/appointments", f"/sessions/{appointment.id}"):
        text = client.get(page, follow_redirects=True).get_data(as_text=True)
        assert shown in text, page
        assert in_uk not in text, page


def test_a_patient_abroad_sees_their_own_records_times_in_their_zone(app):
    """Not only appointments: their safety plan, transcript and self-help access say the time
    in their zone, and say which zone (UK time is left unlabelled, as staff see it)."""
    from webapp.extensions import db
    from webapp.models import SafetyPlan

    patient = factories.make_patient(timezone="America/New_York")
    saved_at = datetime(2026, 1, 15, 14, 30, tzinfo=UTC)  # 9:30am in New York
    db.session.add(SafetyPlan(patient_id=patient.id, updated_at=saved_at))
    db.session.commit()
    client = app.test_client()
    fast_sign_in(client, patient)
    page = client.get("/safety-plan").get_data(as_text=True)
    assert "Last changed 15 January 2026, 9:30am (America/New York time)" in page
    assert london_datetime(saved_at) not in page
