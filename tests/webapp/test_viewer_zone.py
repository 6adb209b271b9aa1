"""One appointment shows one time on every page a patient sees: in their own zone, labelled,
as their booking pages and reminders have it (a patient in Paris once saw 10:00am on one page
and an unlabelled 9:00am on another)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests import factories
from tests.webapp.sessions.conftest import fast_sign_in
from webapp import local_datetime


def test_a_patient_abroad_sees_their_appointment_at_one_labelled_time_everywhere(app):
    patient = factories.make_patient(timezone="Europe/Paris")
    starts_at = (datetime.now(UTC) + timedelta(days=10)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    appointment = factories.make_appointment(patient, starts_at=starts_at)
    client = app.test_client()
    fast_sign_in(client, patient)
    shown = local_datetime(starts_at, "Europe/Paris")
    assert shown.endswith("10:00am (Europe/Paris time)")
    for page in ("/my/", "/sessions/", "/booking/appointments", f"/sessions/{appointment.id}"):
        text = client.get(page, follow_redirects=True).get_data(as_text=True)
        assert shown in text, page
        assert ", 9:00am" not in text, page
