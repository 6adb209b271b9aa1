"""Record-level dataset extracts: pseudonymous, the clinical lead's and admins' only, audited."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, Role

BASE = "/reports/extracts/2026/4"


def _rows(client, name):
    response = client.get(f"{BASE}/{name}/csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    # The test client reads the whole body whatever the header says; a browser stops there.
    length = response.headers.get("Content-Length")
    assert length is None or int(length) == len(response.get_data())
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_session_dataset_has_a_row_per_coded_appointment_and_no_names(client, login_as, month):
    login_as(Role.CLINICAL_LEAD)
    rows = _rows(client, "sessions")
    assert len(rows) == 12  # April's appointments with an attendance code
    recovered = next(r for r in rows if r["starts_at_utc"].startswith("2026-04-01"))
    assert (recovered["phq9_total"], recovered["gad7_total"], recovered["attendance_code"]) == (
        "5",
        "4",
        "5",
    )
    assert recovered["charged"] == "Y" and recovered["charge_reason"] == "attended"
    assert all(re.fullmatch(r"[0-9a-f]{20}", r["person_key"]) for r in rows)
    body = client.get(f"{BASE}/sessions/csv").get_data(as_text=True)
    for item in month.values():
        assert item.referral.full_name not in body and item.referral.email not in body


def test_the_referral_level_extract_follows_the_national_tables(client, login_as, month):
    login_as(Role.ADMIN)
    referrals = _rows(client, "referrals")
    assert len(referrals) == 8  # every episode open at some time in April; not March's
    finished = [r for r in referrals if r["finished_course"] == "Y"]
    assert len(finished) == 5
    contacts = _rows(client, "care-contacts")
    assert len(contacts) == 12
    assessments = _rows(client, "coded-assessments")
    assert len(assessments) == 14 and {r["assessment_tool"] for r in assessments} == {
        "phq9",
        "gad7",
    }
    keys = {r["service_request_key"] for r in referrals}
    assert {r["service_request_key"] for r in contacts} <= keys


def test_each_download_is_audited_and_the_workbook_holds_every_extract(client, login_as, month):
    lead = login_as(Role.CLINICAL_LEAD)
    response = client.get(f"{BASE}/xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    client.get(f"{BASE}/experience/csv")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report_extract_downloaded")
    ).all()
    assert [(e.actor_id, e.detail["extract"]) for e in events] == [
        (lead.id, "all"),
        (lead.id, "experience"),
    ]


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.PATIENT, Role.THERAPIST])
def test_commissioners_patients_and_therapists_cannot_extract_records(client, login_as, role):
    login_as(role)
    for path in ("/reports/extracts", f"{BASE}/sessions/csv", f"{BASE}/xlsx"):
        assert client.get(path).status_code == 403, path


def test_the_extracts_page_lists_each_month(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    page = client.get("/reports/extracts").get_data(as_text=True)
    assert "/sessions/csv" in page and "/care-contacts/csv" in page
