"""Derived episode facts against the national definitions (DOMAIN.md section 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.measures import ProblemDescriptor
from webapp.pathway.episode import (
    AppointmentType,
    Contact,
    EpisodeState,
    StepMove,
    check_change,
    discharge_state,
    entered_treatment_on,
    episode_outcome,
    first_and_last_scores,
    is_finished,
    needs_review,
    paired_scores,
    step_waits,
    treatment_sessions,
    waits,
)

pytestmark = pytest.mark.pure

T = AppointmentType
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def contact(day: int, code: str = "5", kind: AppointmentType | None = T.TREATMENT, **scores):
    return Contact(
        on=START + timedelta(days=day), attendance_code=code, appointment_type=kind, scores=scores
    )


@pytest.mark.parametrize(
    ("code", "attended"),
    [
        ("5", True),
        ("6", True),
        ("7", False),
        ("2", False),
        ("3", False),
        ("4", False),
        ("0", False),
    ],
)
def test_only_codes_5_and_6_are_attended(code, attended):
    assert contact(0, code).is_attended is attended


@pytest.mark.parametrize(
    ("kind", "is_treatment"),
    [
        (T.ASSESSMENT, False),
        (T.REVIEW, False),
        (T.ASSESSMENT_AND_TREATMENT, True),
        (T.TREATMENT, True),
        (None, False),
    ],
)
def test_only_attended_treatment_types_are_treatment_sessions(kind, is_treatment):
    assert contact(0, "5", kind).is_treatment_session is is_treatment
    assert contact(0, "3", kind).is_treatment_session is False


def test_an_assessment_only_appointment_does_not_enter_treatment():
    assert entered_treatment_on([contact(0, kind=T.ASSESSMENT)]) is None


def test_treatment_is_entered_at_the_first_treatment_session_whatever_the_order_given():
    contacts = [contact(14), contact(0, kind=T.ASSESSMENT), contact(7, "3"), contact(21)]
    assert entered_treatment_on(contacts) == START + timedelta(days=14)


def test_one_treatment_session_is_not_a_finished_course():
    assert not is_finished([contact(0, kind=T.ASSESSMENT), contact(7)], date(2026, 3, 1))


def test_two_treatment_sessions_and_an_ended_referral_is_a_finished_course():
    assert is_finished([contact(0), contact(7)], date(2026, 3, 1))


def test_a_course_is_not_finished_until_the_referral_ends():
    assert not is_finished([contact(0), contact(7), contact(14)], None)


def test_sessions_after_the_end_date_do_not_count():
    assert not is_finished([contact(0), contact(30)], (START + timedelta(days=10)).date())
    assert is_finished([contact(0), contact(10)], (START + timedelta(days=10)).date())


def test_first_and_last_scores_use_attended_contacts_and_the_last_available_score():
    contacts = [
        contact(0, "3", phq9=20),  # not attended: ignored
        contact(7, kind=T.ASSESSMENT, phq9=15, gad7=12),
        contact(14, phq9=11, gad7=9),
        contact(21, phq9=8),  # the final session has no GAD-7
        contact(28),  # unmeasured final session
    ]
    first, last = first_and_last_scores(contacts)
    assert first == {"phq9": 15, "gad7": 12}
    assert last == {"phq9": 8, "gad7": 9}


def test_a_measure_scored_once_has_no_last_score():
    first, last = first_and_last_scores([contact(0, phq9=12, gad7=9), contact(7)])
    assert first == {"phq9": 12, "gad7": 9} and last == {}


def test_waits_are_counted_in_whole_days_from_referral():
    received = START - timedelta(days=42)
    result = waits(received, [contact(-5, kind=T.ASSESSMENT), contact(0), contact(9)])
    assert result.referral_to_first_treatment == 42
    assert result.referral_to_first_attended == 37
    assert result.first_to_second_treatment == 9
    assert result.within(42) is True and result.within(41) is False


def test_no_treatment_means_no_headline_wait():
    result = waits(START, [contact(3, kind=T.ASSESSMENT)])
    assert result.referral_to_first_treatment is None and result.within(42) is None
    assert result.first_to_second_treatment is None


def test_a_review_is_prompted_after_n_sessions_without_reliable_improvement():
    contacts = [
        contact(0, phq9=15, gad7=12),
        contact(7, phq9=13, gad7=11),
        contact(14, phq9=12, gad7=10),
    ]
    assert needs_review(contacts, after_sessions=3)
    assert not needs_review(contacts, after_sessions=4)
    improving = [*contacts[:2], contact(14, phq9=9, gad7=10)]  # PHQ-9 fell by 6
    assert not needs_review(improving, after_sessions=3)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (EpisodeState.WAITING_FOR_ASSESSMENT, EpisodeState.ASSESSED),
        (EpisodeState.WAITING_FOR_ASSESSMENT, EpisodeState.DISCHARGED_WITHOUT_TREATMENT),
        (EpisodeState.ASSESSED, EpisodeState.IN_TREATMENT),
        (EpisodeState.ASSESSED, EpisodeState.DISCHARGED_WITHOUT_TREATMENT),
        (EpisodeState.IN_TREATMENT, EpisodeState.DISCHARGED),
    ],
)
def test_the_pathway_moves_forward(current, new):
    check_change(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (EpisodeState.WAITING_FOR_ASSESSMENT, EpisodeState.IN_TREATMENT),
        (EpisodeState.IN_TREATMENT, EpisodeState.ASSESSED),
        (EpisodeState.DISCHARGED, EpisodeState.IN_TREATMENT),
        (EpisodeState.IN_TREATMENT, EpisodeState.DISCHARGED_WITHOUT_TREATMENT),
    ],
)
def test_the_pathway_refuses_other_changes(current, new):
    with pytest.raises(ValueError, match="cannot go from"):
        check_change(current, new)


contacts_strategy = st.lists(
    st.builds(
        contact,
        st.integers(0, 200),
        st.sampled_from(["5", "6", "7", "2", "3", "4"]),
        st.sampled_from([*AppointmentType, None]),
    ),
    max_size=15,
)


@given(contacts_strategy, st.integers(0, 250))
def test_finished_courses_always_have_entered_treatment(contacts, end_day):
    ended = (START + timedelta(days=end_day)).date()
    if is_finished(contacts, ended):
        entered = entered_treatment_on(contacts)
        assert entered is not None and entered.date() <= ended
        assert len(treatment_sessions(contacts)) >= 2


@given(contacts_strategy)
def test_the_headline_wait_is_never_shorter_than_the_wait_for_any_appointment(contacts):
    result = waits(START - timedelta(days=10), contacts)
    if result.referral_to_first_treatment is not None:
        assert result.referral_to_first_attended is not None
        assert result.referral_to_first_attended <= result.referral_to_first_treatment


# --- states in words and discharge ------------------------------------------------------------


@pytest.mark.parametrize("state", list(EpisodeState))
def test_every_state_has_words_for_the_therapist_and_the_patient(state):
    assert state.label and state.patient_words.endswith(".")


@pytest.mark.parametrize(
    ("current", "ends_as"),
    [
        (EpisodeState.WAITING_FOR_ASSESSMENT, EpisodeState.DISCHARGED_WITHOUT_TREATMENT),
        (EpisodeState.ASSESSED, EpisodeState.DISCHARGED_WITHOUT_TREATMENT),
        (EpisodeState.IN_TREATMENT, EpisodeState.DISCHARGED),
    ],
)
def test_discharge_from_treatment_is_discharged_and_before_it_without_treatment(current, ends_as):
    assert discharge_state(current) is ends_as
    check_change(current, ends_as)  # always a change the pathway allows


@pytest.mark.parametrize("state", [s for s in EpisodeState if s.is_ended])
def test_an_ended_episode_cannot_be_discharged_again(state):
    with pytest.raises(ValueError, match="already ended"):
        discharge_state(state)


# --- the measure pair and the episode's outcome -----------------------------------------------


def test_the_pair_is_phq9_and_gad7_by_default():
    pair = paired_scores([contact(0, phq9=15, gad7=12), contact(7, phq9=8, gad7=6)])
    assert pair.measures == ("phq9", "gad7") and pair.is_paired
    assert pair.first == {"phq9": 15, "gad7": 12} and pair.last == {"phq9": 8, "gad7": 6}


def test_the_descriptors_own_measure_is_used_when_it_has_paired_scores():
    contacts = [contact(0, phq9=15, gad7=12, spin=40), contact(7, phq9=8, gad7=6, spin=25)]
    pair = paired_scores(contacts, ProblemDescriptor.SOCIAL_ANXIETY)
    assert pair.measures == ("phq9", "spin") and pair.is_paired


def test_the_pair_falls_back_to_gad7_when_the_specific_measure_lacks_a_last_score():
    contacts = [contact(0, phq9=15, gad7=12, spin=40), contact(7, phq9=8, gad7=6)]
    assert paired_scores(contacts, "social_anxiety").measures == ("phq9", "gad7")


def test_a_pair_missing_a_last_score_is_not_paired():
    pair = paired_scores([contact(0, phq9=15, gad7=12), contact(7, phq9=8)])
    assert not pair.is_paired and pair.last["gad7"] is None


def test_a_finished_recovered_episode_is_classified_by_the_national_rules():
    contacts = [
        contact(0, kind=T.ASSESSMENT, phq9=16, gad7=12),
        contact(7),
        contact(14, phq9=7, gad7=5),
    ]
    result = episode_outcome(contacts, ended_on=(START + timedelta(days=20)).date())
    assert result.finished and result.paired and result.recovered
    assert result.reliable_improvement and result.reliable_recovery


def test_one_treatment_session_is_not_finished_so_no_recovery_is_claimed():
    contacts = [contact(0, kind=T.ASSESSMENT, phq9=16, gad7=12), contact(7, phq9=7, gad7=5)]
    result = episode_outcome(contacts, ended_on=(START + timedelta(days=20)).date())
    assert not result.finished and not result.recovered


def test_an_open_episode_is_not_finished():
    assert not episode_outcome([contact(0), contact(7)], ended_on=None).finished


# --- step changes -----------------------------------------------------------------------------


def stepped(day: int, step: str, code: str = "5") -> Contact:
    return Contact(
        on=START + timedelta(days=day),
        attendance_code=code,
        appointment_type=T.TREATMENT,
        step=step,
    )


def on(day: int) -> date:
    return (START + timedelta(days=day)).date()


def test_the_wait_across_a_step_up_is_from_the_last_step_2_to_the_first_step_3_session():
    contacts = [stepped(0, "2"), stepped(7, "2"), stepped(30, "3"), stepped(37, "3")]
    [wait] = step_waits(contacts, [StepMove(on(0), None, "2"), StepMove(on(10), "2", "3")])
    assert wait.last_before == START + timedelta(days=7)
    assert wait.first_after == START + timedelta(days=30)
    assert wait.days == 23


def test_missed_sessions_do_not_count_in_step_waits():
    contacts = [stepped(0, "2"), stepped(7, "2", "3"), stepped(30, "3", "3"), stepped(40, "3")]
    [wait] = step_waits(contacts, [StepMove(on(10), "2", "3")])
    assert wait.days == 40


def test_no_session_yet_at_the_new_step_has_no_wait():
    [wait] = step_waits([stepped(0, "2")], [StepMove(on(10), "2", "3")])
    assert wait.first_after is None and wait.days is None


def test_each_change_is_measured_within_its_own_window():
    contacts = [stepped(0, "2"), stepped(20, "3"), stepped(50, "2"), stepped(60, "3")]
    moves = [StepMove(on(10), "2", "3"), StepMove(on(40), "3", "2")]
    up, down = step_waits(contacts, moves)
    assert (up.last_before, up.first_after) == (START, START + timedelta(days=20))
    assert (down.last_before, down.first_after) == (
        START + timedelta(days=20),
        START + timedelta(days=50),
    )


def test_setting_the_first_step_or_keeping_the_same_step_is_not_a_step_change():
    assert (
        step_waits([stepped(0, "2")], [StepMove(on(0), None, "2"), StepMove(on(5), "2", "2")]) == []
    )


@given(
    st.lists(st.tuples(st.integers(0, 100), st.sampled_from(["2", "3"])), max_size=10),
    st.lists(st.tuples(st.integers(0, 100), st.sampled_from(["2", "3"])), max_size=4),
)
def test_step_waits_are_never_negative(sessions, changes):
    contacts = [stepped(day, step) for day, step in sessions]
    moves = [StepMove(on(day), "3" if step == "2" else "2", step) for day, step in changes]
    for wait in step_waits(contacts, moves):
        assert wait.days is None or wait.days >= 0


def test_two_contacts_at_the_same_moment_give_no_last_score():
    first, last = first_and_last_scores([contact(0, phq9=12), contact(0, phq9=5)])
    assert first == {"phq9": 12} and last == {}
