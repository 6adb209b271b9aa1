"""Library queries: the access period, suggestions from the patient's own answers, ownership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.exceptions import NotFound

from content.library import normalise_topic
from tests import factories
from tests.webapp.library.conftest import give_access
from webapp.extensions import db
from webapp.library import queries, services
from webapp.models import QuestionnaireResponse, ReferralStatus, Role
from webapp.referral.codes import ISSUE_TYPES


def slugs(modules):
    return [module.slug for module in modules]


def test_access_follows_the_patient_profile():
    patient = factories.make_user(Role.PATIENT)
    now = datetime.now(UTC)
    assert queries.access_for_patient(patient.id, now).state == "none"
    profile = give_access(patient, starts=-timedelta(days=1), ends=timedelta(days=1))
    access = queries.access_for_patient(patient.id, now)
    assert access.has_access and access.ends_at == profile.access_ends_at
    assert queries.access_for_patient(patient.id, profile.access_ends_at).state == "ended"
    before = profile.access_starts_at - timedelta(seconds=1)
    assert queries.access_for_patient(patient.id, before).state == "not_started"
    assert not queries.access_for_patient(patient.id, before).has_access


def answered(patient, code, *, caseness=None, answers=None, days_ago=1):
    when = datetime.now(UTC) - timedelta(days=days_ago)
    db.session.add(
        QuestionnaireResponse(
            patient_id=patient.id,
            instrument=code,
            instrument_version="1",
            answers=answers or {},
            started_at=when,
            updated_at=when,
            completed_at=when,
            caseness=caseness,
        )
    )
    db.session.commit()


def test_with_no_answers_a_patient_is_suggested_the_default_set():
    patient = factories.make_user(Role.PATIENT)
    assert slugs(queries.suggested_modules(patient.id)) == ["coping-while-waiting", "staying-safe"]


def test_suggestions_follow_the_latest_answers_at_caseness():
    patient = factories.make_user(Role.PATIENT)
    answered(patient, "phq9", caseness=True, days_ago=20)
    answered(patient, "phq9", caseness=False, days_ago=2)  # the latest one counts
    answered(patient, "gad7", caseness=True)
    answered(patient, "phobia", answers={"panic_agoraphobia": 6, "social": 0, "specific": 0})
    assert queries.topics_wanted(patient.id) == ["worry", "panic"]
    suggested = slugs(queries.suggested_modules(patient.id))
    assert suggested[0] == "understanding-worry"
    assert "managing-panic" in suggested and "understanding-low-mood" not in suggested
    assert suggested[-2:] == ["coping-while-waiting", "staying-safe"]


def test_another_patients_answers_do_not_change_my_suggestions():
    me, other = factories.make_user(Role.PATIENT), factories.make_user(Role.PATIENT)
    answered(other, "phq9", caseness=True)
    assert queries.topics_wanted(me.id) == []


def test_a_worksheet_is_found_only_for_its_owner():
    owner, other = factories.make_user(Role.PATIENT), factories.make_user(Role.PATIENT)
    saved = services.save_worksheet(owner, "worry-log", {"worry": "x"}, now=datetime.now(UTC))
    assert queries.worksheet_for_patient(owner.id, saved.id).id == saved.id
    with pytest.raises(NotFound):
        queries.worksheet_for_patient(other.id, saved.id)
    assert queries.worksheets_for_patient(other.id) == []
    assert [w.id for w in queries.worksheets_for_patient(owner.id, "worry-log")] == [saved.id]
    assert queries.worksheets_for_patient(owner.id, "activity-plan") == []


def test_services_refuse_bad_answers_and_someone_elses_worksheet():
    owner, other = factories.make_user(Role.PATIENT), factories.make_user(Role.PATIENT)
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="nothing is filled in"):
        services.save_worksheet(owner, "worry-log", {}, now=now)
    saved = services.save_worksheet(owner, "worry-log", {"worry": "x"}, now=now)
    with pytest.raises(ValueError, match="their own"):
        services.save_worksheet(other, "worry-log", {"worry": "y"}, now=now, worksheet=saved)
    with pytest.raises(ValueError, match="same kind"):
        services.save_worksheet(owner, "activity-plan", {"monday": "y"}, now=now, worksheet=saved)
    with pytest.raises(ValueError, match="their own"):
        services.delete_worksheet(other, saved)
    assert queries.worksheet_for_patient(owner.id, saved.id).answers == {"worry": "x"}


def test_what_the_patient_asked_for_at_referral_comes_first():
    patient = factories.make_user(Role.PATIENT)
    factories.make_referral(
        patient_id=patient.id, issue_type="low_mood", status=ReferralStatus.ACCEPTED
    )
    answered(patient, "gad7", caseness=True)
    assert queries.topics_wanted(patient.id) == ["low mood", "worry"]
    assert slugs(queries.suggested_modules(patient.id))[0] == "understanding-low-mood"


def test_every_referral_issue_type_maps_to_a_known_topic_or_none():
    for code in ISSUE_TYPES:
        topic = queries.TOPIC_FOR_ISSUE.get(code)
        assert topic is None or normalise_topic(topic)
