"""A practitioner's referral: the public form, the patient's signed link to finish it, and the
referral joining the staff queue with the practitioner's source-of-referral code."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import CSRF_FIELD, submit
from tests.webapp.referral.test_views import ADULT_ANSWERS, answer
from webapp.extensions import db, limiter
from webapp.models import AuditEvent, Referral, ReferralDraft, ReferralStatus, RefusalCount

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)

FORM = {
    "referrer_name": "Dr Sam Patel",
    "referrer_role": "GP",
    "referrer_organisation": "Park Surgery",
    "referrer_email": "Sam.Patel@NHS.example",
    "source_code": "A1",
    "full_name": "Jo Bloggs",
    "day": "9",
    "month": "11",
    "year": "1979",
    "email": "Jo.Bloggs@Example.com",
    "mobile": "+44 7700 900 555",
    "postcode": "LS6 2AB",
    "gp_practice": "Park Surgery",
    "patient_consented_to_referral": "y",
}
FINISH_ANSWERS = ADULT_ANSWERS[[slug for slug, _ in ADULT_ANSWERS].index("help-with") :]


def finish_link(outbox) -> str:
    [email] = [m for m in outbox if m.to == "jo.bloggs@example.com"]
    match = re.search(r"http://localhost(/finish-your-referral/\S+)", email.body)
    assert match, email.body
    return match.group(1)


def test_a_gp_refers_a_patient_who_finishes_the_referral_themselves(client, outbox):
    with time_machine.travel(NOW, tick=False):
        response = submit(client, "/refer-a-patient", FORM)
        assert response.headers["Location"].endswith("/refer-a-patient/sent")
        sent = client.get("/refer-a-patient/sent").get_data(as_text=True)
    referral = db.session.scalars(select(Referral)).one()
    assert referral.reference in sent
    assert referral.status is ReferralStatus.AWAITING_PATIENT
    assert (referral.source_code, referral.received_at) == ("A1", NOW)  # the clock starts now
    assert (referral.referrer_name, referral.referrer_role) == ("Dr Sam Patel", "GP")
    assert referral.referrer_organisation == "Park Surgery"
    assert referral.referrer_email == "sam.patel@nhs.example"
    assert referral.patient_consented_to_referral is True
    assert (referral.full_name, referral.date_of_birth) == ("Jo Bloggs", date(1979, 11, 9))
    assert (referral.email, referral.mobile_e164, referral.postcode) == (
        "jo.bloggs@example.com",
        "+447700900555",
        "LS6 2AB",
    )
    assert referral.consent_given_at is None  # the patient has not yet agreed to our data use

    link = finish_link(outbox)
    later = NOW + timedelta(days=2)
    with time_machine.travel(later, tick=False):
        intro = client.get(link).get_data(as_text=True)
        assert "Dr Sam Patel" in intro and referral.reference in intro
        started = submit(client, link, {})
        assert started.headers["Location"].endswith("/refer-yourself/help-with")
        for slug, data in FINISH_ANSWERS:
            answer(client, slug, data)
        check = client.get("/refer-yourself/check-your-answers").get_data(as_text=True)
        assert "Jobcentre Plus" in check and "What is your date of birth?" not in check
        done = submit(client, "/refer-yourself/check-your-answers", {})
        assert done.headers["Location"].endswith("/refer-yourself/sent")
        assert referral.reference in client.get("/refer-yourself/sent").get_data(as_text=True)

    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    assert referral.status is ReferralStatus.RECEIVED
    assert referral.received_at == NOW and referral.completed_at == later
    assert (referral.consent_given_at, referral.privacy_notice_version) == (later, "2026-12")
    assert (referral.employment_status, referral.heard_about, referral.language) == (
        "02",
        "jobcentre",
        "Polish",
    )
    assert referral.mobile_e164 == "+447700900555" and referral.sms_reminders is True
    assert db.session.scalar(select(func.count(Referral.id))) == 1
    [draft] = db.session.scalars(select(ReferralDraft)).all()  # kept only to say it was sent
    assert (draft.referral_id, draft.answers) == (referral.id, "{}")
    # The link works once: the referral no longer waits for the patient.
    assert client.get(link).status_code == 410


def test_the_patient_link_is_signed_and_expires(client, outbox):
    with time_machine.travel(NOW, tick=False):
        submit(client, "/refer-a-patient", FORM)
    link = finish_link(outbox)
    assert client.get(link[:-3] + "abc").status_code == 410
    with time_machine.travel(NOW + timedelta(days=14, seconds=1), tick=False):
        assert client.get(link).status_code == 410
    with time_machine.travel(NOW + timedelta(days=13), tick=False):
        assert client.get(link).status_code == 200


@pytest.mark.parametrize(
    ("changes", "reason", "shown"),
    [
        ({"year": "2012"}, "under_16", "16 and over"),
        ({"postcode": "M1 1AE"}, "out_of_area", "find-an-nhs-talking-therapies-service"),
    ],
)
def test_an_ineligible_patient_is_refused_and_only_counted(client, outbox, changes, reason, shown):
    with time_machine.travel(NOW, tick=False):
        response = submit(client, "/refer-a-patient", {**FORM, "source_code": "M5", **changes})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "We cannot take this referral" in page and shown in page
    assert db.session.scalar(select(func.count(Referral.id))) == 0
    assert outbox == []
    counts = db.session.scalars(select(RefusalCount)).all()
    assert [(c.day, c.reason, c.source_code, c.count) for c in counts] == [
        (NOW.date(), reason, "M5", 1)
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("referrer_name", "", "Enter your full name"),
        ("referrer_organisation", "x" * 201, "200 characters or fewer"),
        ("referrer_email", "nope", "correct format"),
        ("source_code", "B1", "Not a valid choice"),  # self-referral is not a practitioner route
        ("full_name", "", "Enter the patient’s full name"),
        ("day", "", "Enter the patient’s date of birth"),
        ("postcode", "nowhere", "Enter a full UK postcode"),
        ("mobile", "0113 496 0000", "UK mobile"),
        ("patient_consented_to_referral", "", "Confirm that the patient agrees"),
    ],
)
def test_the_practitioner_form_checks_every_field(client, field, value, message):
    data = {**FORM, field: value}
    if field == "day":
        data.update(month="", year="")
    if not value:
        data.pop(field)
    response = submit(client, "/refer-a-patient", data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page and "There is a problem" in page
    assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_the_practitioner_form_is_rate_limited(client, app):
    app.config["PUBLIC_FORM_RATE_LIMIT"] = "2 per minute"
    try:
        limiter.reset()
        statuses = [
            submit(client, "/refer-a-patient", {"full_name": ""}).status_code for _ in range(3)
        ]
    finally:
        app.config["PUBLIC_FORM_RATE_LIMIT"] = "20 per minute"
        limiter.reset()
    assert statuses == [200, 200, 429]


def test_the_error_summary_lists_problems_in_page_order(client):
    page = submit(client, "/refer-a-patient", {}).get_data(as_text=True)
    summary = page.split("nhsuk-error-summary__list")[1].split("</ul>")[0]
    order = [
        "Enter your full name",
        "Select the kind of service",
        "Enter the patient’s full name",
        "Enter the patient’s date of birth",
        "Enter the patient’s email address",
        "Confirm that the patient agrees",
    ]
    positions = [summary.index(message) for message in order]
    assert positions == sorted(positions)
    assert 'href="#day"' in summary


def test_finishing_twice_shows_the_reference_again_and_changes_nothing(client, outbox):
    submit(client, "/refer-a-patient", FORM)
    referral = db.session.scalars(select(Referral)).one()
    submit(client, finish_link(outbox), {})
    for slug, data in FINISH_ANSWERS:
        answer(client, slug, data)
    page = client.get("/refer-yourself/check-your-answers").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    before = client.get_cookie("session").value
    first = client.post("/refer-yourself/check-your-answers", data={"csrf_token": token})
    db.session.expire_all()
    completed_at = db.session.get(Referral, referral.id).completed_at
    client.set_cookie("session", before)  # a double tap: the session from before the first
    second = client.post("/refer-yourself/check-your-answers", data={"csrf_token": token})
    for response in (first, second):
        assert response.headers["Location"].endswith("/refer-yourself/sent")
    assert referral.reference in client.get("/refer-yourself/sent").get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(Referral, referral.id)
    assert (again.status, again.completed_at) == (ReferralStatus.RECEIVED, completed_at)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("referral.completed_by_patient") == 1
