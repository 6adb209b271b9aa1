"""The staff queue: who may see it, audited views, duplicates, and accept / decline / signpost."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from tests import factories
from tests.conftest import submit
from webapp.extensions import db
from webapp.models import AuditEvent, PatientProfile, Referral, ReferralStatus, Role, User
from webapp.referral import services

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def decide(
    client: Any, referral: Referral, data: dict[str, Any], *, form_page: Referral | None = None
) -> Any:
    """Post the decision form from the referral's page (or another's, for its CSRF token)."""
    page = f"/referrals/{(form_page or referral).id}"
    return submit(client, f"/referrals/{referral.id}/decision", data, form_page=page)


def reload(referral: Referral) -> Referral:
    db.session.expire_all()
    fresh = db.session.get(Referral, referral.id)
    assert fresh is not None
    return fresh


def test_the_clinical_lead_sees_new_referrals_oldest_first(client, login_as):
    newer = factories.make_referral(received_at=datetime(2026, 5, 2, tzinfo=UTC))
    older = factories.make_referral(received_at=datetime(2026, 5, 1, tzinfo=UTC))
    decided = factories.make_referral(status=ReferralStatus.DECLINED)
    login_as(Role.CLINICAL_LEAD)
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
    assert decide(client, referral, {"decision": "accepted"}).status_code == 403


def viewed() -> list[int]:
    """The referrals whose viewing was audited."""
    return list(
        db.session.scalars(
            select(AuditEvent.subject_id).where(AuditEvent.action == "referral.viewed")
        )
    )


@pytest.mark.parametrize("status", [*(s.value for s in ReferralStatus), "nonsense"])
def test_a_therapist_has_no_queue_of_anyones_referrals(client, login_as, status):
    priya = login_as(Role.THERAPIST)
    mine = factories.make_episode(therapist=priya).referral
    others = [
        factories.make_episode().referral,
        factories.make_referral(),
        factories.make_referral(status=ReferralStatus.DECLINED),
    ]
    response = client.get(f"/referrals/?status={status}")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    for referral in [mine, *others]:
        assert referral.reference not in page and referral.full_name not in page
    assert 'href="/referrals/"' not in client.get("/").get_data(as_text=True)  # not offered


def test_a_therapist_reads_only_the_referrals_of_patients_they_look_after(client, login_as):
    priya = login_as(Role.THERAPIST)
    tom = factories.make_therapist()
    mine = factories.make_episode(therapist=priya).referral
    booked = factories.make_referral(status=ReferralStatus.ACCEPTED)
    booked.patient_id = factories.make_appointment(therapist=priya).patient_id
    db.session.commit()
    toms = factories.make_episode(therapist=tom).referral
    new = factories.make_referral(email=mine.email)  # even one that looks like their patient
    declined = factories.make_referral(status=ReferralStatus.DECLINED)

    page = client.get(f"/referrals/{mine.id}").get_data(as_text=True)
    assert mine.full_name in page and "Save decision" not in page
    assert "Possible duplicate" not in page and new.reference not in page  # triage is not theirs
    assert client.get(f"/referrals/{booked.id}").status_code == 200
    for other in (toms, new, declined):
        response = client.get(f"/referrals/{other.id}")
        assert response.status_code == 404
        assert other.full_name not in response.get_data(as_text=True)
    assert viewed() == [mine.id, booked.id]  # a refusal shows and records nothing


def test_a_therapist_cannot_decide_on_a_referral(client, login_as, outbox):
    priya = login_as(Role.THERAPIST)
    referral = factories.make_referral()
    mine = factories.make_episode(therapist=priya).referral
    outbox.clear()
    for target, data in (
        (referral, {"decision": "accepted"}),
        (referral, {"decision": "declined", "reason": "Not for us"}),
        (mine, {"decision": "signposted", "reason": "Elsewhere"}),
    ):
        response = decide(client, target, data, form_page=mine)
        assert response.status_code == 403
    assert reload(referral).status is ReferralStatus.RECEIVED
    assert reload(mine).status is ReferralStatus.ACCEPTED
    assert db.session.scalar(select(User.id).where(User.email == referral.email)) is None
    assert outbox == []


def test_the_episode_page_links_to_its_referral(client, login_as):
    priya = login_as(Role.THERAPIST)
    episode = factories.make_episode(therapist=priya)
    page = client.get(f"/care-pathway/episodes/{episode.id}").get_data(as_text=True)
    assert f'href="/referrals/{episode.referral_id}"' in page


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
    response = decide(client, referral, {"decision": "accepted"})
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
    login_as(Role.CLINICAL_LEAD)
    referral = factories.make_referral()
    missing = decide(client, referral, {"decision": decision, "reason": " "})
    assert "Enter the reason for your decision" in missing.get_data(as_text=True)
    assert reload(referral).status is ReferralStatus.RECEIVED
    outbox.clear()
    reason = "Your local Mind runs a peer support group that suits what you describe."
    response = decide(client, referral, {"decision": decision, "reason": reason})
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
    response = decide(
        client, referral, {"decision": "accepted"}, form_page=factories.make_referral()
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
    response = decide(client, referral, {"decision": "accepted"})
    assert "already an account with this email address" in response.get_data(as_text=True)
    assert reload(referral).status is ReferralStatus.RECEIVED


def test_a_referral_waiting_for_the_patient_cannot_be_decided_yet(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    referral = factories.make_referral(status=ReferralStatus.AWAITING_PATIENT, completed_at=None)
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "has not yet finished" in page
    response = decide(
        client, referral, {"decision": "accepted"}, form_page=factories.make_referral()
    )
    assert "already waiting for the patient" in response.get_data(as_text=True)


def test_a_decided_referral_shows_how_long_it_waited_for_the_decision(client, login_as):
    login_as(Role.CLINICAL_LEAD)
    now = datetime.now(UTC)
    waiting = factories.make_referral(received_at=now - timedelta(days=35))
    decided = factories.make_referral(
        status=ReferralStatus.ACCEPTED,
        received_at=now - timedelta(days=35),
        decided_at=now - timedelta(days=33),
    )

    def row(page: str, reference: str) -> str:
        return page.split(reference)[1].split("</tr>")[0]

    new = client.get("/referrals/").get_data(as_text=True)
    assert ">Waiting<" in new and "35 days" in row(new, waiting.reference)
    accepted = client.get("/referrals/?status=accepted").get_data(as_text=True)
    assert "Waited for the decision" in accepted and ">Waiting<" not in accepted
    assert "2 days" in row(accepted, decided.reference)
    assert "35 days" not in row(accepted, decided.reference)


# --- possible duplicates: a different person, or the same person ----------------------------


def casey(*, in_care: bool = True, discharged: bool = False) -> User:
    """An existing patient, Casey Jordan, in care (an open episode) unless told otherwise."""
    patient = factories.make_patient(full_name="Casey Jordan")
    patient.email = "casey.jordan@example.com"
    patient.patient_profile.date_of_birth = date(1994, 7, 12)
    patient.patient_profile.postcode = "LS6 2AB"
    db.session.commit()
    if in_care or discharged:
        episode = factories.make_episode(patient=patient, therapist=False)
        if discharged:
            episode.ended_on = date(2026, 1, 31)
            episode.end_code = "46"
            db.session.commit()
    return patient


def same_place(**overrides: Any) -> Referral:
    """A new referral with Casey's date of birth and postcode, from another email address."""
    values = {"full_name": "Casey Jordan", "email": "c.jordan@example.com"}
    values.update(overrides)
    return factories.make_referral(date_of_birth=date(1994, 7, 12), postcode="LS6 2AB", **values)


def footprint(referral: Referral) -> tuple[Any, ...]:
    """Everything a decision could change: the referral, accounts, episodes, funding, audit."""
    from webapp.models import AllowanceMovement, CareEpisode

    db.session.expire_all()
    fresh = reload(referral)
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return (
        fresh.status,
        fresh.patient_id,
        fresh.decided_at,
        fresh.decision_reason,
        count(User),
        count(CareEpisode),
        count(AllowanceMovement),
        sorted(
            a
            for a in db.session.scalars(select(AuditEvent.action))
            if a.startswith("referral.") and a != "referral.viewed"
        ),
    )


def test_accepting_a_possible_existing_patient_needs_a_reason_to_call_them_different(
    client, login_as, outbox
):
    login_as(Role.CLINICAL_LEAD)
    patient = casey()
    referral = same_place()
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "existing patient Casey Jordan" in page
    assert "Same person: add to their existing record" in page
    assert "This is a different person" in page
    before = footprint(referral)
    outbox.clear()
    refused = [
        ({"decision": "accepted"}, "Confirm that this is a different person"),
        ({"decision": "accepted", "different_person": "y"}, "Say how you know"),
        (
            {"decision": "accepted", "different_person_reason": "Different middle name on GP"},
            "Confirm that this is a different person",
        ),
        ({"decision": "same_person"}, "Select whose record this referral is for"),
        ({"decision": "same_person", "existing_patient": "999999"}, "Select whose record"),
    ]
    for data, message in refused:
        response = decide(client, referral, data)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and "There is a problem" in text
        assert message in text, data
        if "different_person_reason" in data:
            assert "Different middle name on GP" in text  # what they typed is kept
    assert footprint(referral) == before and outbox == []

    reason = "Spoke to both: Casey Jordan the patient is her mother, same flat"
    response = decide(
        client,
        referral,
        {"decision": "accepted", "different_person": "y", "different_person_reason": reason},
    )
    assert response.status_code == 302
    referral = reload(referral)
    assert referral.status is ReferralStatus.ACCEPTED and referral.patient_id != patient.id
    assert referral.decision_reason == f"A different person from Casey Jordan: {reason}"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.accepted")
    ).one()
    assert event.detail == {"different_person_from": [patient.id], "reason": reason}
    assert [m.to for m in outbox] == ["c.jordan@example.com"]


def test_the_service_refuses_to_accept_a_possible_existing_patient_without_a_reason(app):
    casey()
    referral = same_place()
    lead = factories.make_user(Role.CLINICAL_LEAD)
    before = footprint(referral)
    with app.test_request_context(), pytest.raises(services.ReferralError, match="different"):
        services.accept(referral, actor=lead, now=NOW, different_person_reason="  ")
    assert footprint(referral) == before


def test_the_same_person_in_care_closes_the_referral_as_a_duplicate_on_their_record(
    client, login_as, outbox
):
    lead = login_as(Role.CLINICAL_LEAD)
    patient = casey()
    referral = same_place()
    users, episodes, grants = footprint(referral)[4:7]
    outbox.clear()
    response = decide(
        client, referral, {"decision": "same_person", "existing_patient": str(patient.id)}
    )
    assert response.status_code == 302
    assert "closed as a duplicate" in client.get("/referrals/").get_data(as_text=True)
    referral = reload(referral)
    assert (referral.status, referral.patient_id, referral.decided_by_id) == (
        ReferralStatus.DUPLICATE,
        patient.id,
        lead.id,
    )
    assert footprint(referral)[4:7] == (users, episodes, grants)  # no account, episode or funds
    assert outbox == []  # no invitation, and no refusal either
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "referral.duplicate")
    ).one()
    assert (event.subject_id, event.patient_id, event.actor_id) == (
        referral.id,
        patient.id,
        lead.id,
    )
    listed = client.get("/referrals/?status=duplicate").get_data(as_text=True)
    assert referral.reference in listed
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Duplicate" in page and "Casey Jordan" in page and "Save decision" not in page


def test_the_same_person_no_longer_in_care_comes_back_on_their_record(client, login_as, outbox):
    from webapp.pathway import queries as pathway_queries

    login_as(Role.CLINICAL_LEAD)
    patient = casey(in_care=False, discharged=True)
    referral = same_place()
    users = footprint(referral)[4]
    outbox.clear()
    response = decide(
        client, referral, {"decision": "same_person", "existing_patient": str(patient.id)}
    )
    assert response.status_code == 302
    referral = reload(referral)
    assert (referral.status, referral.patient_id) == (ReferralStatus.ACCEPTED, patient.id)
    episode = pathway_queries.open_episode_for_patient(patient.id)
    assert episode is not None and episode.referral_id == referral.id  # a new course of care
    assert footprint(referral)[4] == users  # their account, not a new one
    [email] = outbox
    assert email.to == "casey.jordan@example.com" and email.subject.startswith("Welcome back")


def test_accepting_someone_whose_email_has_a_patient_account_points_to_same_person(
    client, login_as, outbox
):
    login_as(Role.CLINICAL_LEAD)
    casey()
    referral = same_place(email="casey.jordan@example.com")
    before = footprint(referral)
    outbox.clear()
    reason = "Sure it is someone else"
    response = decide(
        client,
        referral,
        {"decision": "accepted", "different_person": "y", "different_person_reason": reason},
    )
    text = response.get_data(as_text=True)
    assert "already has an account with this email address" in text
    assert "Same person: add to their existing record" in text
    assert footprint(referral) == before and outbox == []


def test_same_person_is_offered_only_for_an_existing_patient(client, login_as, outbox):
    login_as(Role.CLINICAL_LEAD)
    first = same_place(email="casey.one@example.com")
    second = same_place()  # two new referrals alike: nobody is a patient yet
    page = client.get(f"/referrals/{second.id}").get_data(as_text=True)
    assert first.reference in page and "Same person: add" not in page
    before = footprint(second)
    outbox.clear()
    response = decide(
        client, second, {"decision": "same_person", "existing_patient": str(first.id)}
    )
    assert "Select a decision" in response.get_data(as_text=True)
    assert footprint(second) == before and outbox == []


def test_two_referrals_from_one_person_make_one_patient(client, login_as, outbox):
    """The reviewers' case: Casey refers twice from two email addresses. Accepting the first
    needs no confirmation (nobody is a patient yet); the second is then flagged as the
    existing patient, cannot simply be accepted, and closes as a duplicate."""
    from webapp.models import AllowanceMovement, CareEpisode

    login_as(Role.CLINICAL_LEAD)
    first = same_place(email="casey.jordan@example.com")
    second = same_place()
    outbox.clear()
    assert decide(client, first, {"decision": "accepted"}).status_code == 302
    patient_id = reload(first).patient_id
    refused = decide(client, second, {"decision": "accepted"}).get_data(as_text=True)
    assert "Confirm that this is a different person" in refused
    data = {"decision": "same_person", "existing_patient": str(patient_id)}
    assert decide(client, second, data).status_code == 302
    assert reload(second).status is ReferralStatus.DUPLICATE
    assert db.session.scalars(select(User.id).where(User.role == Role.PATIENT)).all() == [
        patient_id
    ]
    assert len(db.session.scalars(select(CareEpisode)).all()) == 1
    grants = db.session.scalars(select(AllowanceMovement.patient_id)).all()
    assert grants == [patient_id]
    assert [m.to for m in outbox] == ["casey.jordan@example.com"]  # one invitation
