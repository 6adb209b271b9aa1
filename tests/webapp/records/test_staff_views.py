"""Subject access requests made by other means: recorded, exported, completed; all logged."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import submit
from tests.webapp.records.world import make_world
from webapp.extensions import db
from webapp.models import AuditEvent, Role, SubjectAccessRequest
from webapp.records.services import due_on


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 3, 15), date(2026, 4, 15)),
        (date(2026, 12, 31), date(2027, 1, 31)),
    ],
)
def test_a_request_is_due_one_calendar_month_after_receipt(received, due):
    assert due_on(received) == due


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CLINICAL_LEAD])
def test_staff_record_produce_and_complete_a_request(client, login_as, role):
    staff = login_as(role)
    patient = make_world("Alpha")
    make_world("Bravo")
    found = client.get("/subject-access-requests", query_string={"email": "alpha@example.com"})
    assert f"/subject-access-requests/new/{patient.id}" in found.get_data(as_text=True)
    today = datetime.now(UTC).date()
    response = submit(
        client,
        f"/subject-access-requests/new/{patient.id}",
        {
            "channel": "letter",
            "requester": "",
            "day": str(today.day),
            "month": str(today.month),
            "year": str(today.year),
            "verification": "Called back on the number in the record; date of birth confirmed",
        },
    )
    assert response.status_code == 302
    sar = db.session.scalar(select(SubjectAccessRequest))
    assert sar.due_on == due_on(today) and sar.requester == patient.full_name
    page = f"/subject-access-requests/{sar.id}"
    assert "Mark the request complete" not in client.get(page).get_data(as_text=True)

    export = submit(client, f"{page}/export", {}, form_page=page)
    with zipfile.ZipFile(io.BytesIO(export.data)) as packed:
        raw = packed.read("your-data.json").decode("utf-8")
    assert "clinical note about Alpha" in raw and "bravo" not in raw.lower()
    assert json.loads(raw)["subject"] == "Person Alpha"
    printable = submit(client, f"{page}/printable", {}, form_page=page)
    assert printable.status_code == 200
    assert "clinical note about Alpha" in printable.get_data(as_text=True)
    assert submit(client, f"{page}/complete", {}, form_page=page).status_code == 302
    db.session.expire_all()
    sar = db.session.get(SubjectAccessRequest, sar.id)
    assert sar.completed_by_id == staff.id and sar.exported_by_id == staff.id
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "subject_access_request")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "subject_access.requested",
        "subject_access.exported",
        "subject_access.exported",  # the printable page, made as the export is
        "subject_access.completed",
    ]


def test_a_request_cannot_be_completed_before_its_export(client, login_as):
    login_as(Role.ADMIN)
    patient = factories.make_patient()
    sar = SubjectAccessRequest(
        patient_id=patient.id,
        channel="email",
        requester="X",
        received_on=date(2026, 12, 1),
        due_on=date(2027, 1, 1),
    )
    db.session.add(sar)
    db.session.commit()
    page = f"/subject-access-requests/{sar.id}"
    response = submit(client, f"{page}/complete", {}, form_page=page, follow_redirects=True)
    assert "Produce the export before" in response.get_data(as_text=True)
    assert db.session.get(SubjectAccessRequest, sar.id).completed_at is None


def test_a_request_with_a_future_date_or_no_check_is_refused(client, login_as):
    login_as(Role.ADMIN)
    patient = factories.make_patient()
    response = submit(
        client,
        f"/subject-access-requests/new/{patient.id}",
        {"channel": "email", "day": "1", "month": "1", "year": "2099", "verification": "ok"},
    )
    assert "must be today or in the past" in response.get_data(as_text=True)
    response = submit(
        client,
        f"/subject-access-requests/new/{patient.id}",
        {"channel": "email", "day": "31", "month": "2", "year": "2026", "verification": "ok"},
    )
    assert "Enter the date the request was received" in response.get_data(as_text=True)
    assert db.session.scalar(select(SubjectAccessRequest)) is None


def test_only_patients_can_be_the_subject(client, login_as):
    login_as(Role.ADMIN)
    therapist = factories.make_therapist()
    assert client.get(f"/subject-access-requests/new/{therapist.id}").status_code == 404
    assert client.get("/subject-access-requests/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.MODERATOR, Role.COMMISSIONER])
def test_others_are_refused_subject_access_requests(client, login_as, role):
    login_as(role)
    patient = factories.make_patient()
    assert client.get("/subject-access-requests").status_code == 403
    assert client.get(f"/subject-access-requests/new/{patient.id}").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/subject-access-requests")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
