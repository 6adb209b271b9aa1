"""The commissioner's statement pages: who may see them, and that they name no patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_appointment, make_patient, make_therapist
from webapp.charges import services as charges
from webapp.models import Role

START = datetime(2026, 4, 2, 9, tzinfo=UTC)


@pytest.fixture
def attended(app):
    patient = make_patient(full_name="Zebedee Quartermain")
    therapist = make_therapist()
    appointment = make_appointment(patient, therapist, starts_at=START)
    with app.app_context():
        charges.record_outcome(
            appointment, "attended", actor=therapist, now=START + timedelta(hours=1)
        )
    return appointment


def test_the_commissioner_sees_the_statement_by_appointment_and_never_a_name(
    client, login_as, attended
):
    login_as(Role.COMMISSIONER)
    page = client.get("/reports/statements/2026/4").get_data(as_text=True)
    assert "Statement for April 2026" in page
    assert f">{attended.id}</td>" in page or f"</span>{attended.id}</td>" in page
    assert "The session took place" in page
    assert "Zebedee" not in page and "Quartermain" not in page


def test_the_reports_index_links_to_recent_statements(client, login_as):
    login_as(Role.COMMISSIONER)
    page = client.get("/reports/").get_data(as_text=True)
    now = datetime.now(UTC)
    assert f"/reports/statements/{now.year}/{now.month}" in page


def test_the_statement_downloads_as_csv_and_xlsx(client, login_as, attended):
    login_as(Role.COMMISSIONER)
    response = client.get("/reports/statements/2026/4/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert f"{attended.id},2026-04-02 09:00,Attended,Yes" in body and "Zebedee" not in body
    response = client.get("/reports/statements/2026/4/xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"


def test_an_impossible_month_is_not_found(client, login_as):
    login_as(Role.COMMISSIONER)
    assert client.get("/reports/statements/2026/13").status_code == 404


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.CLINICAL_LEAD, Role.ADMIN])
@pytest.mark.parametrize("suffix", ["", "/csv", "/xlsx"])
def test_only_commissioners_see_statements(client, login_as, role, suffix):
    login_as(role)
    assert client.get(f"/reports/statements/2026/4{suffix}").status_code == 403
