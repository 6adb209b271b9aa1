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
