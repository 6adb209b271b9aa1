"""The care pathway through its services: an episode from referral to discharge with each end
code, the derived "entered treatment" and "finished" flags against the national definitions,
steps of care, and the PEQ kept apart from the clinical record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from tests.factories import (
    make_appointment,
    make_bookable_therapist,
    make_episode,
    make_patient,
    make_referral,
    make_therapist,
    make_user,
)
from tests.webapp.booking.conftest import NOW
from webapp.booking import services as booking
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    CareEpisode,
    ExperienceResponse,
    QuestionnaireResponse,
    ReferralStatus,
    Role,
    StepChange,
)
from webapp.pathway import episode as rules
from webapp.pathway import queries, services
from webapp.pathway.codes import END_CODES
from webapp.pathway.episode import EpisodeState
from webapp.pathway.services import PathwayError
from webapp.referral import services as referral_services

pytestmark = pytest.mark.usefixtures("clock", "app_context")

S = EpisodeState
ASSESSMENT = {
    "assessed_on": date(2026, 3, 2),
    "problem_descriptor": "depression",
    "icd10_code": "F32",
    "risk_level": "low",
    "risk_summary": "No current thoughts of self-harm.",
    "risk_plan": "Crisis numbers given; review each session.",
    "goals": "Get back to walking the dog every day.",
    "options_explained": "Guided self-help or CBT explained.",
    "preference": "Guided self-help",
    "preference_met": True,
    "step_of_care": "2",
}


def session_at(episode, day: int, kind: str | None, code: str = "5", **scores):
    """A past appointment in the episode, `day` days after 1 March 2026, coded as `kind`."""
    appointment = make_appointment(
        episode.patient,
        episode.therapist,
        starts_at=datetime(2026, 3, 1, 10, tzinfo=UTC) + timedelta(days=day),
        episode_id=episode.id,
        attendance_code=code,
    )
    if kind is not None:
        services.code_appointment(appointment, kind, "2", actor=episode.therapist, now=NOW)
    for measure, total in scores.items():
        db.session.add(
            QuestionnaireResponse(
                patient_id=episode.patient_id,
                appointment_id=appointment.id,
                instrument=measure,
                instrument_version="1",
                answers={},
                completed_at=appointment.starts_at,
                total=total,
            )
        )
    db.session.commit()
    return appointment


def accept(app) -> CareEpisode:
    lead = make_user(Role.CLINICAL_LEAD)
    referral = make_referral(received_at=datetime(2026, 2, 1, 9, tzinfo=UTC))
    with app.test_request_context():
        patient = referral_services.accept(
            referral, actor=lead, now=datetime(2026, 2, 20, tzinfo=UTC)
        )
    episode = queries.open_episode_for_patient(patient.id)
    assert episode is not None
    return episode


def actions(episode: CareEpisode) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "care_episode", AuditEvent.subject_id == episode.id)
            .order_by(AuditEvent.id)
        )
    )


def test_accepting_a_referral_opens_its_episode_waiting_for_assessment(app):
    episode = accept(app)
    assert episode.state is S.WAITING_FOR_ASSESSMENT and episode.therapist_id is None
    assert episode.referral.patient_id == episode.patient_id
    [change] = queries.changes_for(episode.id)
    assert (change.from_state, change.to_state) == (None, S.WAITING_FOR_ASSESSMENT)
    assert change.changed_by_id == episode.referral.decided_by_id
    assert actions(episode) == ["episode.opened"]


def test_a_booking_joins_the_open_episode_and_its_therapist_becomes_responsible(app):
    episode = accept(app)
    therapist = make_bookable_therapist()
    start = NOW + timedelta(days=1, hours=2)
    appointment = booking.book_appointment(episode.patient_id, therapist.id, start, now=NOW)
    assert appointment.episode_id == episode.id
    db.session.refresh(episode)
    assert episode.therapist_id == therapist.id
    moved = booking.reschedule_appointment(
        appointment.id, start + timedelta(days=1), actor=therapist, reason="Leave", now=NOW
    )
    assert moved.episode_id == episode.id


def test_a_patient_without_an_episode_books_outside_any(app):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = booking.book_appointment(
        patient.id, therapist.id, NOW + timedelta(days=1, hours=2), now=NOW
    )
    assert appointment.episode_id is None


def _walk_to(episode: CareEpisode, state: EpisodeState) -> None:
    therapist = episode.therapist
    if state is S.WAITING_FOR_ASSESSMENT:
        return
    session_at(episode, 1, "assessment", phq9=16, gad7=12)
    services.save_assessment(episode, ASSESSMENT, actor=therapist, now=NOW)
    if state is S.ASSESSED:
        return
    services.change_state(episode, S.IN_TREATMENT, actor=therapist, note="Starting GSH", now=NOW)
    session_at(episode, 8, "treatment")
    session_at(episode, 15, "treatment", phq9=7, gad7=5)


@pytest.mark.parametrize("end_code", list(END_CODES))
def test_an_episode_walks_from_referral_to_discharge_with_each_end_code(app, end_code):
    episode = accept(app)
    episode.therapist_id = make_therapist().id
    db.session.commit()
    end = END_CODES[end_code]
    start_state = next(
        s for s in (S.IN_TREATMENT, S.ASSESSED, S.WAITING_FOR_ASSESSMENT) if s in end.from_states
    )
    _walk_to(episode, start_state)
    assert episode.state is start_state
    services.discharge(
        episode,
        end_code,
        reason="As agreed",
        ended_on=date(2026, 3, 20),
        actor=episode.therapist,
        now=NOW,
    )
    db.session.refresh(episode)
    treated = start_state is S.IN_TREATMENT
    assert episode.state is (S.DISCHARGED if treated else S.DISCHARGED_WITHOUT_TREATMENT)
    assert (episode.ended_on, episode.end_code, episode.end_reason) == (
        date(2026, 3, 20),
        end_code,
        "As agreed",
    )
    changes = queries.changes_for(episode.id)
    assert (
        changes[-1].to_state is episode.state and changes[-1].changed_by_id == episode.therapist_id
    )
    assert all(c.changed_at is not None for c in changes)
    assert "episode.discharged" in actions(episode)
    contacts = queries.contacts_for(episode.id)
    assert rules.is_finished(contacts, episode.ended_on) is treated
    assert (rules.entered_treatment_on(contacts) is not None) is treated
    with pytest.raises(PathwayError, match="already ended"):
        services.discharge(
            episode,
            end_code,
            reason="Again",
            ended_on=date(2026, 3, 21),
            actor=episode.therapist,
            now=NOW,
        )


def test_every_state_change_is_dated_attributed_and_audited(app):
    episode = make_episode()
    services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
    services.change_state(episode, S.IN_TREATMENT, actor=episode.therapist, note="CBT", now=NOW)
    changes = queries.changes_for(episode.id)
    assert [(c.from_state, c.to_state) for c in changes] == [
        (None, S.WAITING_FOR_ASSESSMENT),
        (S.WAITING_FOR_ASSESSMENT, S.ASSESSED),
        (S.ASSESSED, S.IN_TREATMENT),
    ]
    assert [c.changed_at for c in changes[1:]] == [NOW, NOW]
    assert {c.changed_by_id for c in changes[1:]} == {episode.therapist_id}
    assert changes[-1].note == "CBT"
    assert actions(episode).count("episode.state_changed") == 2


def test_the_pathway_refuses_skipping_assessment_and_discharge_without_an_end_code(app):
    episode = make_episode()
    with pytest.raises(PathwayError, match="cannot go from"):
        services.change_state(episode, S.IN_TREATMENT, actor=episode.therapist, note="", now=NOW)
    with pytest.raises(PathwayError, match="Use discharge"):
        services.change_state(episode, S.DISCHARGED, actor=episode.therapist, note="", now=NOW)
    with pytest.raises(PathwayError, match="cannot end an episode"):
        services.discharge(
            episode,
            "46",
            reason="Done",
            ended_on=date(2026, 3, 20),
            actor=episode.therapist,
            now=NOW,
        )
    with pytest.raises(PathwayError, match="reason"):
        services.discharge(
            episode, "50", reason=" ", ended_on=date(2026, 3, 20), actor=episode.therapist, now=NOW
        )
    assert len(queries.changes_for(episode.id)) == 1


def test_an_assessment_only_appointment_does_not_enter_treatment(app):
    episode = make_episode(state=S.ASSESSED)
    session_at(episode, 1, "assessment")
    session_at(episode, 8, "review")
    contacts = queries.contacts_for(episode.id)
    assert rules.entered_treatment_on(contacts) is None
    [row] = queries.caseload_for(episode.therapist, review_after=6)
    assert row.treatment_sessions == 0 and row.entered_treatment_on is None


def test_treatment_is_entered_at_the_first_attended_treatment_session(app):
    episode = make_episode(state=S.IN_TREATMENT)
    session_at(episode, 1, "assessment")
    session_at(episode, 8, "treatment", code="3")  # did not attend
    second = session_at(episode, 15, "assessment_and_treatment")
    assert rules.entered_treatment_on(queries.contacts_for(episode.id)) == second.starts_at


def test_one_treatment_session_is_not_a_finished_course_and_two_are(app):
    one = make_episode(state=S.IN_TREATMENT)
    session_at(one, 1, "treatment")
    services.discharge(
        one, "47", reason="Moved away", ended_on=date(2026, 3, 20), actor=one.therapist, now=NOW
    )
    two = make_episode(state=S.IN_TREATMENT)
    session_at(two, 1, "treatment")
    session_at(two, 8, "treatment")
    services.discharge(
        two, "46", reason="Goals met", ended_on=date(2026, 3, 20), actor=two.therapist, now=NOW
    )
    assert not rules.is_finished(queries.contacts_for(one.id), one.ended_on)
    assert rules.is_finished(queries.contacts_for(two.id), two.ended_on)
    ended = {
        r.episode.id: r.is_finished
        for r in queries.caseload_for(
            make_user(Role.CLINICAL_LEAD), review_after=6, include_ended=True
        )
    }
    assert ended[one.id] is False and ended[two.id] is True


def test_uncoded_appointments_never_count_as_treatment(app):
    episode = make_episode(state=S.IN_TREATMENT)
    session_at(episode, 1, None)
    session_at(episode, 8, None)
    services.discharge(
        episode, "46", reason="Done", ended_on=date(2026, 3, 20), actor=episode.therapist, now=NOW
    )
    assert not rules.is_finished(queries.contacts_for(episode.id), episode.ended_on)


def test_first_and_last_scores_come_from_the_episodes_own_appointments(app):
    episode = make_episode(state=S.IN_TREATMENT)
    session_at(episode, 1, "assessment", phq9=18, gad7=14)
    session_at(episode, 8, "treatment", phq9=12, gad7=10)
    session_at(episode, 15, "treatment", phq9=8)
    session_at(episode, 22, "treatment")
    pair = rules.paired_scores(queries.contacts_for(episode.id))
    assert pair.first == {"phq9": 18, "gad7": 14} and pair.last == {"phq9": 8, "gad7": 10}


def test_a_review_is_prompted_after_the_configured_sessions_without_reliable_improvement(app):
    episode = make_episode(state=S.IN_TREATMENT)
    session_at(episode, 1, "treatment", phq9=15, gad7=12)
    session_at(episode, 8, "treatment", phq9=14, gad7=11)
    [row] = queries.caseload_for(episode.therapist, review_after=2)
    assert row.needs_review
    [row] = queries.caseload_for(episode.therapist, review_after=3)
    assert not row.needs_review


def test_the_assessment_sets_the_step_and_stepping_up_is_dated(app):
    episode = make_episode()
    services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
    assert episode.current_step == "2" and episode.state is S.ASSESSED
    assessment = queries.assessment_for(episode.id)
    assert assessment.icd10_code == "F32" and assessment.goals.startswith("Get back")
    services.change_step(
        episode,
        "3",
        on=date(2026, 3, 10),
        reason="No change at step 2",
        actor=episode.therapist,
        now=NOW,
    )
    steps = [(c.from_step, c.to_step, c.changed_on) for c in queries.step_changes_for(episode.id)]
    assert steps == [(None, "2", date(2026, 3, 2)), ("2", "3", date(2026, 3, 10))]
    with pytest.raises(PathwayError, match="already at step 3"):
        services.change_step(
            episode, "3", on=date(2026, 3, 11), reason="x", actor=episode.therapist, now=NOW
        )
    with pytest.raises(PathwayError, match="why"):
        services.change_step(
            episode, "2", on=date(2026, 3, 11), reason="", actor=episode.therapist, now=NOW
        )


def test_the_wait_between_steps_is_measured_from_the_episodes_sessions(app):
    episode = make_episode(state=S.IN_TREATMENT)
    services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
    session_at(episode, 3, "treatment")
    services.change_step(
        episode, "3", on=date(2026, 3, 10), reason="Step up", actor=episode.therapist, now=NOW
    )
    later = session_at(episode, 20, None)
    services.code_appointment(later, "treatment", "3", actor=episode.therapist, now=NOW)
    [wait] = rules.step_waits(queries.contacts_for(episode.id), queries.step_moves_for(episode.id))
    assert wait.days == 17


def test_saving_the_assessment_again_updates_it_without_another_change(app):
    episode = make_episode()
    services.save_assessment(episode, ASSESSMENT, actor=episode.therapist, now=NOW)
    services.save_assessment(
        episode, {**ASSESSMENT, "risk_level": "moderate"}, actor=episode.therapist, now=NOW
    )
    assert queries.assessment_for(episode.id).risk_level == "moderate"
    assert len(queries.changes_for(episode.id)) == 2
    assert (
        db.session.scalar(select(StepChange.id).where(StepChange.episode_id == episode.id))
        is not None
    )


def test_an_icd10_code_for_another_problem_is_refused(app):
    episode = make_episode()
    with pytest.raises(PathwayError, match="does not match"):
        services.save_assessment(
            episode, {**ASSESSMENT, "icd10_code": "F43.1"}, actor=episode.therapist, now=NOW
        )
    assert queries.assessment_for(episode.id) is None


@pytest.mark.parametrize(
    "field", ["risk_summary", "risk_plan", "goals", "options_explained", "preference"]
)
def test_the_service_refuses_spaces_only_assessment_text_itself(app, field):
    episode = make_episode()
    with pytest.raises(PathwayError, match="Enter the") as refused:
        services.save_assessment(
            episode, {**ASSESSMENT, field: " \n\t "}, actor=episode.therapist, now=NOW
        )
    assert refused.value.field == field
    assert queries.assessment_for(episode.id) is None
    assert episode.state is EpisodeState.WAITING_FOR_ASSESSMENT


def test_the_service_saves_assessment_text_trimmed(app):
    episode = make_episode()
    services.save_assessment(
        episode, {**ASSESSMENT, "goals": "  Walk the dog.\n"}, actor=episode.therapist, now=NOW
    )
    assert queries.assessment_for(episode.id).goals == "Walk the dog."


# --- the patient experience questionnaire ------------------------------------------------------


def test_planning_the_last_session_asks_for_the_peq_once(app):
    episode = make_episode(state=S.IN_TREATMENT)
    services.plan_ending(episode, actor=episode.therapist, now=NOW)
    services.plan_ending(episode, actor=episode.therapist, now=NOW + timedelta(days=7))
    offers = db.session.scalars(
        select(ExperienceResponse).where(ExperienceResponse.patient_id == episode.patient_id)
    ).all()
    assert [(o.instrument, o.offered_at) for o in offers] == [("peq_treatment", NOW)]
    assert queries.experience_offered_at(episode) == NOW
    services.discharge(
        episode, "46", reason="Done", ended_on=date(2026, 3, 20), actor=episode.therapist, now=NOW
    )
    assert len(db.session.scalars(select(ExperienceResponse)).all()) == 1


def test_only_an_episode_in_treatment_has_an_ending_to_plan(app):
    episode = make_episode(state=S.ASSESSED)
    with pytest.raises(PathwayError, match="in treatment"):
        services.plan_ending(episode, actor=episode.therapist, now=NOW)


def test_a_treated_patient_not_yet_asked_is_asked_at_discharge(app):
    episode = make_episode(state=S.IN_TREATMENT)
    session_at(episode, 1, "treatment")
    services.discharge(
        episode,
        "47",
        reason="Stopped coming",
        ended_on=date(2026, 3, 20),
        actor=episode.therapist,
        now=NOW,
    )
    assert queries.experience_offered_at(episode) == NOW


def test_a_patient_who_never_had_treatment_is_not_asked_for_the_treatment_peq(app):
    episode = make_episode(state=S.ASSESSED)
    services.discharge(
        episode,
        "12",
        reason="Advice given",
        ended_on=date(2026, 3, 20),
        actor=episode.therapist,
        now=NOW,
    )
    assert queries.experience_offered_at(episode) is None


def test_peq_answers_are_stored_apart_from_the_clinical_record(app):
    """The PEQ table links to nobody but the patient asked (so they are not asked twice): no
    appointment, session record, therapist or episode, and no clinical table links to it."""
    columns = {
        c["name"] for c in inspect(db.session.get_bind()).get_columns("experience_responses")
    }
    assert columns == {
        "id",
        "patient_id",
        "instrument",
        "instrument_version",
        "offered_at",
        "completed_at",
        "answers",
    }
    [foreign_key] = inspect(db.session.get_bind()).get_foreign_keys("experience_responses")
    assert (foreign_key["constrained_columns"], foreign_key["referred_table"]) == (
        ["patient_id"],
        "users",
    )
    for table in (
        "care_episodes",
        "episode_assessments",
        "episode_changes",
        "appointments",
        "session_records",
    ):
        referred = {
            fk["referred_table"] for fk in inspect(db.session.get_bind()).get_foreign_keys(table)
        }
        assert "experience_responses" not in referred, table


# --- coming back -------------------------------------------------------------------------------


def test_a_discharged_patient_who_refers_again_comes_back_to_a_new_episode(app, outbox):
    from webapp.models import PatientProfile

    first = accept(app)
    first.therapist_id = make_therapist().id
    db.session.commit()
    services.discharge(
        first, "50", reason="No reply", ended_on=date(2026, 3, 1), actor=first.therapist, now=NOW
    )
    patient = first.patient
    again = make_referral(email=patient.email, received_at=NOW)
    lead = make_user(Role.CLINICAL_LEAD)
    later = NOW + timedelta(days=30)
    with app.test_request_context():  # the same person, no longer in care: a new referral
        status = referral_services.add_to_existing_patient(again, patient.id, actor=lead, now=later)
    assert status is ReferralStatus.ACCEPTED and again.patient_id == patient.id
    second = queries.open_episode_for_patient(patient.id)
    assert second is not None and second.id != first.id and second.referral_id == again.id
    assert second.state is S.WAITING_FOR_ASSESSMENT
    profile = db.session.get(PatientProfile, patient.id)
    assert profile.access_starts_at == later and profile.has_access(later + timedelta(days=300))
    assert outbox[-1].subject.startswith("Welcome back")
    assert queries.latest_episode_for_patient(patient.id).id == second.id


def test_someone_with_an_open_episode_is_not_accepted_twice(app):
    first = accept(app)
    again = make_referral(email=first.patient.email)
    lead = make_user(Role.CLINICAL_LEAD)
    with (
        app.test_request_context(),
        pytest.raises(referral_services.ReferralError, match="already has an account"),
    ):
        referral_services.accept(again, actor=lead, now=NOW)
    with app.test_request_context():  # the same person, in care: closed as a duplicate
        status = referral_services.add_to_existing_patient(
            again, first.patient_id, actor=lead, now=NOW
        )
    assert status is ReferralStatus.DUPLICATE and again.patient_id == first.patient_id
    assert (
        len(
            db.session.scalars(
                select(CareEpisode).where(CareEpisode.patient_id == first.patient_id)
            ).all()
        )
        == 1
    )
