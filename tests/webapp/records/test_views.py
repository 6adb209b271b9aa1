"""The patient's data page, their export (zip and printable page), and who is refused."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.conftest import sign_in, submit
from tests.webapp.records.world import (
    in_the_same_group_and_supervision,
    make_world,
    react_and_report,
    viewed_by,
)
from webapp.extensions import db
from webapp.models import AuditEvent, Role, SubjectAccessRequest
from webapp.records.archive import JSON_NAME, README_NAME, SECTION_KEYS


@pytest.fixture
def two_patients():
    alpha = make_world("Alpha")
    bravo = make_world("Bravo")
    react_and_report(bravo, alpha)  # Bravo's reaction and report are Bravo's data, not Alpha's
    react_and_report(alpha, bravo)
    in_the_same_group_and_supervision(bravo, alpha)
    return alpha, bravo


def download(client) -> tuple[dict, str, str]:
    response = submit(client, "/my-data/download", {}, form_page="/my-data")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        raw = archive.read(JSON_NAME).decode("utf-8")
        readme = archive.read(README_NAME).decode("utf-8")
    return json.loads(raw), raw, readme


def test_an_export_holds_every_kind_of_the_patients_data_and_nothing_of_anyone_elses(
    client, two_patients, login_as
):
    alpha, _ = two_patients
    staff = login_as(Role.CLINICAL_LEAD)
    viewed_by(staff, alpha)
    client.delete_cookie("session")
    sign_in(client, alpha)
    doc, raw, readme = download(client)

    sections = doc["sections"]
    assert tuple(sections) == SECTION_KEYS
    empty = {key for key, rows in sections.items() if not rows}
    assert empty == {"account_closure"}, "every kind of data is in the export"
    for text in (
        "Person Alpha",
        "issue of Alpha",
        "ended for Alpha",
        "answer of Alpha",
        "experience of Alpha",
        "risk of Alpha",
        "clinical note about Alpha",
        "next steps for Alpha",
        "earlier clinical note about Alpha",
        "earlier next steps for Alpha",
        "own note of Alpha",
        "therapist says hello Alpha",
        "patient message Alpha",
        "problem of Alpha",
        "sheet Alpha",
        "warning signs of Alpha",
        "handleAlpha",
        "thread of Alpha",
        "post body of Alpha",
        "report by Person Alpha",
        "moderator to Alpha",
        "group of Alpha",
        "group message of Alpha",
    ):
        assert text in raw, text
    assert "actions agreed about Alpha" not in raw  # they cover other patients too
    (discussed,) = sections["supervision"]
    assert discussed["therapist"] == alpha_therapist_name(doc) and discussed["supervisor"]
    assert "bravo" not in raw.lower()
    assert "bravo" not in readme.lower()
    messages = sections["chat_transcripts"]
    assert [m["from"] for m in messages] == [alpha_therapist_name(doc), "you"]
    views = [row for row in sections["record_access"] if row["action"] == "patient_record.viewed"]
    assert views and views[0]["by"] == staff.full_name and views[0]["what"] == "notes"
    assert "ip_address" not in raw
    assert "Sections:" in readme and "chat_transcripts (2)" in readme


def alpha_therapist_name(doc: dict) -> str:
    return doc["sections"]["appointments"][0]["therapist"]


def test_the_request_and_its_completion_are_logged(client, two_patients):
    alpha, _ = two_patients
    sign_in(client, alpha)
    doc, _, _ = download(client)
    (request,) = db.session.scalars(
        select(SubjectAccessRequest).where(SubjectAccessRequest.patient_id == alpha.id)
    ).all()
    assert request.channel == "account" and request.completed_at is not None
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.subject_type == "subject_access_request", AuditEvent.subject_id == request.id
        )
    ).all()
    assert sorted(actions) == ["subject_access.completed", "subject_access.requested"]
    assert doc["sections"]["access_requests"][0]["channel"] == "account"


def test_the_printable_page_shows_the_same_data(client, two_patients):
    alpha, _ = two_patients
    sign_in(client, alpha)
    page = submit(client, "/my-data/printable", {}, form_page="/my-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "clinical note about Alpha" in text and "therapist says hello Alpha" in text
    assert "Bravo" not in text
    # In words a person reads: labels, code meanings and UK times, not the stored form.
    assert "Mobile number" in text and "Mobile e164" not in text
    assert "Attended on time (5)" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)


def test_the_data_page_shows_what_was_agreed_and_the_notice_again_after_discharge(
    client, two_patients
):
    alpha, _ = two_patients
    sign_in(client, alpha)
    page = client.get("/my-data").get_data(as_text=True)
    assert "privacy notice version 2026-11" in page
    assert "Your information now your treatment has ended" in page
    assert "Being told about research" in page
    account = client.get("/account").get_data(as_text=True)
    assert "/my-data" in account


def test_a_download_is_a_post_with_a_csrf_token(client, two_patients):
    alpha, _ = two_patients
    sign_in(client, alpha)
    assert client.get("/my-data/download").status_code == 405
    assert client.post("/my-data/download").status_code == 400


@pytest.mark.parametrize(
    "role", [Role.THERAPIST, Role.MODERATOR, Role.CLINICAL_LEAD, Role.COMMISSIONER, Role.ADMIN]
)
def test_staff_are_refused_the_patients_own_pages(client, login_as, role):
    login_as(role)
    for url in ("/my-data", "/my-data/choices", "/my-data/close-account"):
        assert client.get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for url in ("/my-data", "/my-data/choices", "/my-data/close-account"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post("/my-data/download").status_code in (400, 403)


def test_the_privacy_notice_says_how_long_data_is_kept_and_names_its_version(client):
    page = client.get("/privacy").get_data(as_text=True)
    assert "Version 2026-12" in page
    assert "20 years after your last contact" in page and "13 months" in page


def test_an_export_holds_the_members_poll_answers_and_suggestions(app, client, two_patients):
    from tests.webapp.voice.conftest import make_consultation
    from webapp.models import CommunityMember
    from webapp.voice import services as voice

    alpha, bravo = two_patients
    poll = make_consultation(options=("Mornings of Alpha", "Evenings"))
    now = datetime.now(UTC)
    with app.test_request_context():
        member = db.session.get(CommunityMember, alpha.id)
        voice.respond_to_poll(member, poll, [poll.options[0].id], now=now)
        voice.suggest(member, "Idea of Alpha", "Longer evening chats for Alpha", now=now)
        other = db.session.get(CommunityMember, bravo.id)
        voice.suggest(other, "Idea of Bravo", "Something from Bravo", now=now)
    sign_in(client, alpha)
    doc, raw, _ = download(client)
    rows = doc["sections"]["community"]
    (response,) = [row for row in rows if row["what"] == "consultation_response"]
    assert response["choices"] == ["Mornings of Alpha"]
    (suggestion,) = [row for row in rows if row["what"] == "suggestion"]
    assert suggestion["body"] == "Longer evening chats for Alpha"
    assert (suggestion["status"], suggestion["reply"]) == ("new", None)
    assert "bravo" not in raw.lower()
