"""The staff queue: who may see it, audited views, duplicates, and accept / decline / signpost."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from tests import factories
from tests.conftest import submit
from webapp.extensions import db
from webapp.models import AuditEvent, PatientProfile, Referral, ReferralStatus, Role, User
from webapp.referral import services

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def reload(referral: Referral) -> Referral:
    db.session.expire_all()
    fresh = db.session.get(Referral, referral.id)
    assert fresh is not None
    return fresh


@pytest.mark.parametrize("role", [Role.CLINICAL_LEAD, Role.THERAPIST])
def test_triage_roles_see_new_referrals_oldest_first(client, login_as, role):
    newer = factories.make_referral(received_at=datetime(2026, 5, 2, tzinfo=UTC))
    older = factories.make_referral(received_at=datetime(2026, 5, 1, tzinfo=UTC))
    decided = factories.make_referral(status=ReferralStatus.DECLINED)
    login_as(role)
    page = client.get("/referrals/").get_data(as_text=True)
    assert page.index(older.reference) < page.index(newer.reference)
    assert decided.reference not in page
    assert decided.reference in client.get("/referrals/?status=declined").get_data(as_text=True)
    assert client.get("/referrals/?status=nonsense").status_code == 200
    assert 'href="/referrals/"' in page  # the header's navigation entry


@pytest.mark.parametrize("role", [Role.PATIENT, Role.MODERATOR, Role.COMMISSIONER, Role.ADMIN])
def test_other_roles_may_not_see_referrals(client, login_as, role):
    referral = factories.make_referral()
    login_as(role)
    assert client.get("/referrals/").status_code == 403
    assert client.get(f"/referrals/{referral.id}").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/referrals/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_viewing_a_referral_shows_every_answer_and_is_audited(client, login_as):
    lead = login_as(Role.CLINICAL_LEAD)
    referral = factories.make_referral(ethnicity="N", employment_status="08", heard_about="poster")
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    for shown in (
        referral.reference,
        referral.full_name,
        "Black or Black British: African",
        "Retired",
        "A poster or leaflet",
        "+447700900123",
        "B1 Self-referral",
    ):
        assert shown in page
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.viewed")
    ).one()
    assert (event.actor_id, event.subject_type, event.subject_id) == (
        lead.id,
        "referral",
        referral.id,
    )
    assert client.get("/referrals/999999").status_code == 404


def test_accepting_makes_the_patient_account_and_invites_them(client, login_as, outbox):
    lead = login_as(Role.CLINICAL_LEAD)
    referral = factories.make_referral(
        email="new.patient@example.com",
        needs_interpreter=True,
        language="Urdu",
        accessibility_needs="Screen reader",
        sms_reminders=True,
        email_reminders=False,
    )
    outbox.clear()
    response = submit(client, f"/referrals/{referral.id}", {"decision": "accepted"})
    assert response.status_code == 302
    referral = reload(referral)
    patient = db.session.scalars(select(User).where(User.email == "new.patient@example.com")).one()
    assert patient.role is Role.PATIENT and patient.password_hash is None
    assert (referral.status, referral.patient_id) == (ReferralStatus.ACCEPTED, patient.id)
    assert referral.decided_by_id == lead.id
    decided_at = referral.decided_at
    assert decided_at is not None and abs(datetime.now(UTC) - decided_at).total_seconds() < 60
    profile = db.session.get(PatientProfile, patient.id)
    assert profile is not None
    assert (profile.date_of_birth, profile.postcode, profile.gp_practice, profile.mobile_e164) == (
        referral.date_of_birth,
        "LS1 4AP",
        "Park Surgery",
        "+447700900123",
    )
    assert (profile.language, profile.needs_interpreter, profile.accessibility_needs) == (
        "Urdu",
        True,
        "Screen reader",
    )
    assert (profile.sms_reminders, profile.email_reminders) == (True, False)
    assert profile.access_starts_at == decided_at
    assert profile.access_ends_at == decided_at + relativedelta(months=12)
    [invitation] = [m for m in outbox if m.to == "new.patient@example.com"]
    assert "/invitation/" in invitation.body
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "referral.accepted" in actions and "invitation.sent" in actions


@pytest.mark.parametrize(
    ("accepted_at", "months", "ends_at"),
    [
        (NOW, 12, datetime(2027, 6, 1, 9, 30, tzinfo=UTC)),
        (datetime(2027, 1, 31, 12, tzinfo=UTC), 1, datetime(2027, 2, 28, 12, tzinfo=UTC)),
        (datetime(2028, 2, 29, 12, tzinfo=UTC), 12, datetime(2029, 2, 28, 12, tzinfo=UTC)),
    ],
)
def test_access_lasts_the_configured_calendar_months_from_acceptance(
    app, accepted_at, months, ends_at
):
    lead = factories.make_user(Role.CLINICAL_LEAD)
    referral = factories.make_referral()
    app.config["ACCESS_PERIOD_MONTHS"] = months
    try:
        with app.test_request_context():
            patient = services.accept(referral, actor=lead, now=accepted_at)
    finally:
        app.config["ACCESS_PERIOD_MONTHS"] = 12
    profile = db.session.get(PatientProfile, patient.id)
    assert (profile.access_starts_at, profile.access_ends_at) == (accepted_at, ends_at)
    assert profile.has_access(ends_at - timedelta(seconds=1)) and not profile.has_access(ends_at)


@pytest.mark.parametrize("decision", ["declined", "signposted"])
def test_declining_or_signposting_needs_a_reason_and_tells_the_person(
    client, login_as, outbox, decision
):
    login_as(Role.THERAPIST)
    referral = factories.make_referral()
    missing = submit(client, f"/referrals/{referral.id}", {"decision": decision, "reason": " "})
    assert "Enter the reason for your decision" in missing.get_data(as_text=True)
    assert reload(referral).status is ReferralStatus.RECEIVED
    outbox.clear()
    reason = "Your local Mind runs a peer support group that suits what you describe."
    response = submit(client, f"/referrals/{referral.id}", {"decision": decision, "reason": reason})
    assert response.status_code == 302
    referral = reload(referral)
    assert referral.status is ReferralStatus(decision)
    assert referral.decision_reason == reason and referral.patient_id is None
    [email] = outbox
    assert email.to == referral.email
    assert (reason in email.body) is (decision == "signposted")
    assert db.session.scalar(select(User).where(User.email == referral.email)) is None


def test_a_decided_referral_cannot_be_decided_again(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    referral = factories.make_referral(status=ReferralStatus.DECLINED, decision_reason="x")
    response = submit(
        client,
        f"/referrals/{referral.id}",
        {"decision": "accepted"},
        form_page=f"/referrals/{factories.make_referral().id}",
    )
    assert "already declined" in response.get_data(as_text=True)
    assert reload(referral).status is ReferralStatus.DECLINED


def test_likely_duplicates_are_flagged_in_the_queue_and_on_the_referral(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    first = factories.make_referral(date_of_birth=date(1985, 3, 3), postcode="LS6 1AA")
    same_place = factories.make_referral(date_of_birth=date(1985, 3, 3), postcode="LS6 1AA")
    same_email = factories.make_referral(email=first.email)  # stored lower case
    unrelated = factories.make_referral()
    patient = factories.make_user(Role.PATIENT, email="known@example.com")
    known = factories.make_referral(email="known@example.com")
    assert patient.id

    queue = client.get("/referrals/").get_data(as_text=True)
    rows = {
        ref: queue.split(ref)[1].split("</tr>")[0]
        for ref in (
            first.reference,
            same_place.reference,
            same_email.reference,
            unrelated.reference,
            known.reference,
        )
    }
    assert "Possible duplicate" in rows[first.reference]
    assert "Possible duplicate" in rows[same_place.reference]
    assert "Possible duplicate" in rows[same_email.reference]
    assert "Possible duplicate" in rows[known.reference]
    assert "Possible duplicate" not in rows[unrelated.reference]

    page = client.get(f"/referrals/{first.id}").get_data(as_text=True)
    assert same_place.reference in page and "same date of birth and postcode" in page
    assert same_email.reference in page and "same email address" in page
    assert "existing patient" in client.get(f"/referrals/{known.id}").get_data(as_text=True)


def test_accepting_refuses_when_the_email_already_has_an_account(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    factories.make_user(Role.THERAPIST, email="taken@example.com")
    referral = factories.make_referral(email="taken@example.com")
    response = submit(client, f"/referrals/{referral.id}", {"decision": "accepted"})
    assert "already an account with this email address" in response.get_data(as_text=True)
    assert reload(referral).status is ReferralStatus.RECEIVED


def test_a_referral_waiting_for_the_patient_cannot_be_decided_yet(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    referral = factories.make_referral(status=ReferralStatus.AWAITING_PATIENT, completed_at=None)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "has not yet finished" in page
    response = submit(
        client,
        f"/referrals/{referral.id}",
        {"decision": "accepted"},
        form_page=f"/referrals/{factories.make_referral().id}",
    )
    assert "already waiting for the patient" in response.get_data(as_text=True)
