"""The self-help library from the patient's side: reading modules, saving worksheets, and who
is refused what."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import g, template_rendered
from sqlalchemy import select, text

import content
from content import worksheets
from tests import factories
from tests.conftest import sign_in, submit
from tests.webapp.library.conftest import give_access, make_patient_with_access
from webapp.extensions import db
from webapp.models import AuditEvent, PatientProfile, Role, SavedWorksheet

MODULE_SLUGS = [module.slug for module in content.all_modules()]


def test_the_library_lists_every_module_and_the_default_suggestions(client, patient):
    page = client.get("/self-help/").get_data(as_text=True)
    for module in content.all_modules():
        assert f'href="/self-help/{module.slug}"' in page
    assert "Suggested for you" in page
    assert "You can use self-help and the community until" in page


@pytest.mark.parametrize("slug", MODULE_SLUGS)
def test_every_module_renders_for_a_patient_with_links_resolved(client, patient, slug):
    response = client.get(f"/self-help/{slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    module = content.get(slug)
    assert f"<h1>{module.title}</h1>" in page.replace("&#39;", "'")
    assert "module:" not in page
    assert 'data-section="library"' in page and f'data-module="{slug}"' in page
    for linked in re.findall(r'href="/self-help/([a-z0-9-]+)"', page):
        assert linked in MODULE_SLUGS or linked == "worksheets"
    if module.worksheet:
        assert f"/self-help/worksheets/new/{module.worksheet}" in page


def test_a_module_page_tells_activity_tracking_its_section_and_module(app, client, patient):
    seen = []

    def record(sender, template, context, **extra):
        seen.append((context.get("section"), context.get("module"), g.get("activity")))

    template_rendered.connect(record, app)
    try:
        client.get("/self-help/worry-time")
    finally:
        template_rendered.disconnect(record, app)
    assert ("library", "worry-time", ("library", "worry-time")) in seen


def test_an_unknown_module_is_a_404(client, patient):
    assert client.get("/self-help/no-such-thing").status_code == 404
    assert client.get("/self-help/worksheets/new/no-such-sheet").status_code == 404


def worry_log(worry="Money for the gas bill", **extra):
    return {"worry": worry, "when": "Tuesday, 3am", "kind": "practical", **extra}


def test_a_patient_saves_and_reloads_a_worksheet(client, patient):
    response = submit(client, "/self-help/worksheets/new/worry-log", worry_log())
    assert response.status_code == 302
    saved = db.session.scalar(select(SavedWorksheet).where(SavedWorksheet.patient_id == patient.id))
    assert response.headers["Location"].endswith(f"/self-help/worksheets/{saved.id}")
    page = client.get(f"/self-help/worksheets/{saved.id}").get_data(as_text=True)
    assert "Money for the gas bill" in page
    assert 'value="practical" checked' in page or re.search(r'value="practical"[^>]*checked', page)
    assert saved.answers == {
        "worry": "Money for the gas bill",
        "when": "Tuesday, 3am",
        "kind": "practical",
    }


def test_a_patient_changes_their_worksheet(client, patient):
    submit(client, "/self-help/worksheets/new/worry-log", worry_log())
    saved = db.session.scalar(select(SavedWorksheet).where(SavedWorksheet.patient_id == patient.id))
    url = f"/self-help/worksheets/{saved.id}"
    response = submit(client, url, worry_log("Work on Monday", kind="hypothetical"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SavedWorksheet, saved.id).answers["worry"] == "Work on Monday"
    assert len(db.session.scalars(select(SavedWorksheet)).all()) == 1


def test_worksheet_text_is_encrypted_at_rest_and_audited_without_its_words(client, patient):
    submit(client, "/self-help/worksheets/new/worry-log", worry_log())
    stored = db.session.execute(text("SELECT answers FROM saved_worksheets")).scalar_one()
    assert "gas bill" not in stored
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "worksheet.saved"))
    assert event.patient_id == patient.id and event.detail == {"code": "worry-log"}


def test_an_empty_worksheet_is_refused_with_a_message_and_nothing_saved(client, patient):
    response = submit(client, "/self-help/worksheets/new/worry-log", {"worry": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Fill in at least one part of the worksheet before you save it" in page
    assert "<title>Error:" in page
    assert db.session.scalars(select(SavedWorksheet)).all() == []


def test_a_too_long_answer_is_shown_next_to_its_field_and_nothing_saved(client, patient):
    response = submit(client, "/self-help/worksheets/new/worry-log", worry_log(when="x" * 201))
    page = response.get_data(as_text=True)
    assert "When did it come up? must be 200 characters or fewer" in page
    assert 'href="#when"' in page
    assert db.session.scalars(select(SavedWorksheet)).all() == []


def test_a_made_up_choice_is_refused(client, patient):
    response = submit(client, "/self-help/worksheets/new/worry-log", worry_log(kind="other"))
    assert "Select one of the options for: What kind of worry is it?" in response.get_data(
        as_text=True
    )
    assert db.session.scalars(select(SavedWorksheet)).all() == []


def test_every_worksheet_can_be_started_and_saved(client, patient):
    for code, sheet in worksheets.WORKSHEETS.items():
        page = client.get(f"/self-help/worksheets/new/{code}").get_data(as_text=True)
        for field in sheet.fields:
            assert re.search(rf'<label[^>]*for="{field.key}', page)  # every input is labelled
        first = next(f for f in sheet.fields if f.kind is worksheets.FieldKind.TEXTAREA)
        response = submit(client, f"/self-help/worksheets/new/{code}", {first.key: "A note"})
        assert response.status_code == 302, code
    listing = client.get("/self-help/worksheets").get_data(as_text=True)
    for sheet in worksheets.WORKSHEETS.values():
        assert sheet.title in listing


def test_a_patient_deletes_their_worksheet(client, patient):
    submit(client, "/self-help/worksheets/new/worry-log", worry_log())
    saved = db.session.scalar(select(SavedWorksheet))
    response = submit(client, f"/self-help/worksheets/{saved.id}/delete", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(SavedWorksheet)).all() == []
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "worksheet.deleted"))


# Refusals -------------------------------------------------------------------------------


@pytest.fixture
def someone_elses_worksheet(client):
    owner = make_patient_with_access()
    sign_in(client, owner)
    submit(client, "/self-help/worksheets/new/worry-log", worry_log("Owner's private worry"))
    client.post("/sign-out", data={"csrf_token": _token(client)})
    client.delete_cookie("session")
    return db.session.scalar(select(SavedWorksheet).where(SavedWorksheet.patient_id == owner.id))


def _token(client):
    page = client.get("/self-help/").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("suffix", ["", "/delete"])
def test_another_patients_worksheet_is_a_404(client, someone_elses_worksheet, suffix):
    other = make_patient_with_access()
    sign_in(client, other)
    url = f"/self-help/worksheets/{someone_elses_worksheet.id}{suffix}"
    assert client.get(url).status_code == 404
    assert submit(client, url, worry_log("Overwritten"), form_page="/self-help/").status_code == 404
    db.session.expire_all()
    kept = db.session.get(SavedWorksheet, someone_elses_worksheet.id)
    assert kept.answers["worry"] == "Owner's private worry"
    assert "Owner's private worry" not in client.get("/self-help/worksheets").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.MODERATOR, Role.CLINICAL_LEAD, Role.ADMIN])
def test_staff_are_refused_the_library_and_worksheets(
    client, login_as, someone_elses_worksheet, role
):
    login_as(role)
    for url in (
        "/self-help/",
        "/self-help/worry-time",
        f"/self-help/worksheets/{someone_elses_worksheet.id}",
    ):
        assert client.get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, someone_elses_worksheet):
    for url in (
        "/self-help/",
        "/self-help/worry-time",
        f"/self-help/worksheets/{someone_elses_worksheet.id}",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


# The access period -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (-timedelta(days=400), -timedelta(days=1), "Your access to self-help has ended"),
        (timedelta(days=2), timedelta(days=300), "has not started yet"),
        (None, None, "You do not have access to self-help yet"),
    ],
)
def test_outside_the_access_period_the_library_shows_the_notice(client, starts, ends, message):
    patient = factories.make_user(Role.PATIENT)
    if starts is not None:
        give_access(patient, starts=starts, ends=ends)
    sign_in(client, patient)
    for url in (
        "/self-help/",
        "/self-help/worry-time",
        "/self-help/worksheets",
        "/self-help/worksheets/new/worry-log",
    ):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert message in page
        assert 'href="/safety-plan"' in page  # the safety plan is always reachable
        assert "Worry time" not in page


def test_after_access_ends_saved_worksheets_are_kept_but_not_opened(client):
    patient = factories.make_user(Role.PATIENT)
    profile = give_access(patient, starts=-timedelta(days=30), ends=timedelta(days=30))
    sign_in(client, patient)
    submit(client, "/self-help/worksheets/new/worry-log", worry_log())
    saved = db.session.scalar(select(SavedWorksheet))
    profile = db.session.get(PatientProfile, profile.user_id)
    profile.access_ends_at = profile.access_starts_at + timedelta(days=1)
    db.session.commit()
    response = submit(
        client,
        f"/self-help/worksheets/{saved.id}",
        worry_log("Changed"),
        form_page="/safety-plan/edit",
    )
    assert response.status_code == 403
    assert "refer yourself again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SavedWorksheet, saved.id).answers["worry"] == "Money for the gas bill"
    assert client.get("/safety-plan").status_code == 200
    assert client.get("/need-help-now").status_code == 200
