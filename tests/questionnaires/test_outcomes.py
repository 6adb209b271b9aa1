"""Episode outcomes by the national definitions, DOMAIN.md section 4, edge case by edge case."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires import RISK_FLAGS
from questionnaires.measures import MEASURES, ProblemDescriptor
from questionnaires.outcomes import (
    RISE_FLAG_DESCRIPTIONS,
    EpisodeOutcome,
    Rate,
    classify_episode,
    is_reliable_rise_since,
    paired_completeness_rate,
    recovery_rate,
    reliable_deterioration_rate,
    reliable_fall,
    reliable_improvement_rate,
    reliable_recovery_rate,
    reliable_rise,
    reliable_rises_since,
)

pytestmark = pytest.mark.pure


def outcome(**flags: bool) -> tuple[bool, ...]:
    """The five outcome booleans in a fixed order, defaulting to False, for compact tables."""
    names = (
        "at_caseness_start",
        "recovered",
        "reliable_improvement",
        "reliable_deterioration",
        "reliable_recovery",
    )
    return tuple(flags.get(name, False) for name in names)


def judged(result: EpisodeOutcome) -> tuple[bool, ...]:
    return (
        result.at_caseness_start,
        result.recovered,
        result.reliable_improvement,
        result.reliable_deterioration,
        result.reliable_recovery,
    )


ALL_GOOD = outcome(
    at_caseness_start=True, recovered=True, reliable_improvement=True, reliable_recovery=True
)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        # Recovery and reliable change at their boundaries (PHQ-9 cut-off 10, change 6;
        # GAD-7 cut-off 8, change 4).
        ({"phq9": 15, "gad7": 12}, {"phq9": 9, "gad7": 7}, ALL_GOOD),  # both fell reliably
        (
            {"phq9": 15, "gad7": 12},
            {"phq9": 10, "gad7": 7},
            outcome(at_caseness_start=True, reliable_improvement=True),  # PHQ-9 still at 10
        ),
        (
            {"phq9": 15, "gad7": 12},
            {"phq9": 9, "gad7": 8},
            outcome(at_caseness_start=True, reliable_improvement=True),  # GAD-7 still at 8
        ),
        (
            {"phq9": 10, "gad7": 0},
            {"phq9": 5, "gad7": 0},
            outcome(at_caseness_start=True, recovered=True),  # PHQ-9 fell 5: not reliable
        ),
        ({"phq9": 10, "gad7": 0}, {"phq9": 4, "gad7": 0}, ALL_GOOD),  # PHQ-9 fell exactly 6
        (
            {"phq9": 0, "gad7": 8},
            {"phq9": 0, "gad7": 5},
            outcome(at_caseness_start=True, recovered=True),  # GAD-7 fell 3: not reliable
        ),
        ({"phq9": 0, "gad7": 8}, {"phq9": 0, "gad7": 4}, ALL_GOOD),  # GAD-7 fell exactly 4
        # Caseness at the start is either measure at or above its cut-off.
        ({"phq9": 9, "gad7": 7}, {"phq9": 3, "gad7": 3}, outcome(reliable_improvement=True)),
        ({"phq9": 9, "gad7": 7}, {"phq9": 4, "gad7": 4}, outcome()),  # falls of 5 and 3
        # A reliable fall on one measure with a reliable rise on the other is neither.
        (
            {"phq9": 20, "gad7": 2},
            {"phq9": 5, "gad7": 6},
            outcome(at_caseness_start=True, recovered=True),  # recovery needs no reliable change
        ),
        (
            {"phq9": 20, "gad7": 2},
            {"phq9": 5, "gad7": 5},  # GAD-7 rose 3: not reliable, so improvement stands
            outcome(
                at_caseness_start=True,
                recovered=True,
                reliable_improvement=True,
                reliable_recovery=True,
            ),
        ),
        # Reliable deterioration mirrors improvement, at caseness or not.
        ({"phq9": 4, "gad7": 3}, {"phq9": 10, "gad7": 3}, outcome(reliable_deterioration=True)),
        ({"phq9": 4, "gad7": 3}, {"phq9": 9, "gad7": 6}, outcome()),  # rises of 5 and 3
        ({"phq9": 4, "gad7": 3}, {"phq9": 4, "gad7": 7}, outcome(reliable_deterioration=True)),
        (
            {"phq9": 12, "gad7": 9},
            {"phq9": 20, "gad7": 9},
            outcome(at_caseness_start=True, reliable_deterioration=True),
        ),
        # Recovered without reliable improvement is not reliable recovery.
        (
            {"phq9": 11, "gad7": 8},
            {"phq9": 9, "gad7": 7},
            outcome(at_caseness_start=True, recovered=True),
        ),
    ],
)
def test_finished_paired_episode(
    first: dict[str, int], last: dict[str, int], expected: tuple[bool, ...]
) -> None:
    result = classify_episode(first, last, True)
    assert result.paired
    assert result.finished
    assert result.anxiety_measure == "gad7"
    assert judged(result) == expected


def test_a_course_not_finished_has_no_outcome_but_keeps_caseness_at_the_start() -> None:
    result = classify_episode({"phq9": 15, "gad7": 12}, {"phq9": 3, "gad7": 2}, False)
    assert judged(result) == outcome(at_caseness_start=True)
    assert result.paired
    assert not result.finished
    assert not result.in_recovery_denominator


@pytest.mark.parametrize(
    "last",
    [{}, {"phq9": 3}, {"gad7": 2}, {"phq9": None, "gad7": None}],
    ids=["no final score", "no final GAD-7", "no final PHQ-9", "final scores None"],
)
def test_a_finished_course_without_paired_scores_has_no_outcome(last: dict[str, int]) -> None:
    result = classify_episode({"phq9": 15, "gad7": 12}, last, True)
    assert not result.paired
    assert judged(result) == outcome(at_caseness_start=True)
    assert result.in_recovery_denominator


def test_no_scores_at_all_is_not_at_caseness_and_not_paired() -> None:
    result = classify_episode({}, {}, True)
    assert judged(result) == outcome()
    assert not result.paired
    assert result.anxiety_measure == "gad7"
    assert result.in_recovery_denominator  # stays in: only demonstrated recovery is claimed


def test_caseness_at_the_start_uses_whichever_first_scores_exist() -> None:
    assert classify_episode({"gad7": 8}, {}, True).at_caseness_start
    assert classify_episode({"phq9": 10}, {}, True).at_caseness_start
    assert not classify_episode({"phq9": 9, "gad7": 7}, {}, True).at_caseness_start


# -- the disorder-specific measure and the fall-back to GAD-7 --------------------------------


def test_a_paired_disorder_specific_measure_replaces_gad7() -> None:
    result = classify_episode(
        {"phq9": 5, "gad7": 5, "spin": 19},
        {"phq9": 5, "gad7": 5, "spin": 9},
        True,
        descriptor="social_anxiety",
    )
    assert result.anxiety_measure == "spin"
    assert judged(result) == ALL_GOOD  # SPIN 19 at caseness, fell 10 to below 19


def test_without_paired_scores_the_specific_measure_falls_back_to_gad7() -> None:
    result = classify_episode(
        {"phq9": 5, "gad7": 5, "spin": 40},  # SPIN has no last score
        {"phq9": 5, "gad7": 5},
        True,
        descriptor=ProblemDescriptor.SOCIAL_ANXIETY,
    )
    assert result.anxiety_measure == "gad7"
    assert result.paired
    assert judged(result) == outcome()  # SPIN's caseness at the start is not used


def test_fall_back_when_the_specific_measure_has_only_a_last_score() -> None:
    result = classify_episode(
        {"phq9": 12, "gad7": 9}, {"phq9": 4, "gad7": 3, "pcl5": 50}, True, descriptor="ptsd"
    )
    assert result.anxiety_measure == "gad7"
    assert judged(result) == ALL_GOOD


def test_fall_back_with_no_gad7_either_is_not_paired() -> None:
    result = classify_episode({"phq9": 12, "oci": 50}, {"phq9": 3}, True, descriptor="ocd")
    assert result.anxiety_measure == "gad7"
    assert not result.paired
    assert judged(result) == outcome(at_caseness_start=True)


def test_specific_measure_paired_but_phq9_not_is_not_paired() -> None:
    result = classify_episode({"phq9": 12, "pdss": 12}, {"pdss": 2}, True, descriptor="panic")
    assert result.anxiety_measure == "pdss"
    assert not result.paired
    assert judged(result) == outcome(at_caseness_start=True)


def test_health_anxiety_always_falls_back_because_hai_has_no_cut_off() -> None:
    result = classify_episode(
        {"phq9": 12, "gad7": 9, "hai": 40},
        {"phq9": 4, "gad7": 3, "hai": 5},
        True,
        descriptor="health_anxiety",
    )
    assert result.anxiety_measure == "gad7"
    assert judged(result) == ALL_GOOD


@pytest.mark.parametrize(
    ("first_mi", "last_mi", "expected"),
    [
        (2.3, 1.0, outcome(reliable_improvement=True)),  # 2.3 is not above 2.3
        (2.31, 1.0, ALL_GOOD),
        (3.03, 2.3, ALL_GOOD),  # fell exactly 0.73 to exactly 2.3, which is not caseness
        (3.03, 2.31, outcome(at_caseness_start=True)),  # fell 0.72, still above 2.3
        (1.5, 2.23, outcome(reliable_deterioration=True)),  # rose exactly 0.73
        (1.5, 2.22, outcome()),
    ],
)
def test_agoraphobia_uses_the_mobility_inventory_above_2_3(
    first_mi: float, last_mi: float, expected: tuple[bool, ...]
) -> None:
    result = classify_episode(
        {"phq9": 3, "gad7": 3, "mi": first_mi},
        {"phq9": 3, "gad7": 3, "mi": last_mi},
        True,
        descriptor="agoraphobia",
    )
    assert result.anxiety_measure == "mi"
    assert judged(result) == expected


@pytest.mark.parametrize("descriptor", ["depression", "gad", "mixed", "chronic_pain", "none", None])
def test_default_descriptors_pair_phq9_with_gad7(descriptor: str | None) -> None:
    result = classify_episode(
        {"phq9": 3, "gad7": 3, "spin": 40},
        {"phq9": 3, "gad7": 3, "spin": 1},
        True,
        descriptor=descriptor,
    )
    assert result.anxiety_measure == "gad7"


# -- refusals ---------------------------------------------------------------------------------


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome measure 'wsas'"):
        classify_episode({"wsas": 10}, {}, True)
    with pytest.raises(ValueError, match="first score: phq9: score 28 is outside 0-27"):
        classify_episode({"phq9": 28}, {}, True)
    with pytest.raises(ValueError, match="last score: gad7: score True must be a whole number"):
        classify_episode({}, {"gad7": True}, True)
    with pytest.raises(ValueError, match="unknown problem descriptor 'sad'"):
        classify_episode({}, {}, True, descriptor="sad")
    with pytest.raises(ValueError, match="finished must be a bool, not int"):
        classify_episode({}, {}, 1)  # type: ignore[arg-type]


# -- rates ------------------------------------------------------------------------------------

RECOVERED = classify_episode({"phq9": 15, "gad7": 12}, {"phq9": 4, "gad7": 3}, True)
RECOVERED_NOT_RELIABLY = classify_episode({"phq9": 11, "gad7": 8}, {"phq9": 9, "gad7": 7}, True)
NOT_RECOVERED = classify_episode({"phq9": 15, "gad7": 12}, {"phq9": 15, "gad7": 12}, True)
DETERIORATED = classify_episode({"phq9": 15, "gad7": 12}, {"phq9": 21, "gad7": 12}, True)
BELOW_CASENESS = classify_episode({"phq9": 9, "gad7": 7}, {"phq9": 3, "gad7": 7}, True)
UNPAIRED = classify_episode({"phq9": 15, "gad7": 12}, {}, True)
UNPAIRED_BELOW = classify_episode({"phq9": 3}, {}, True)
NOT_FINISHED = classify_episode({"phq9": 15, "gad7": 12}, {"phq9": 4, "gad7": 3}, False)

COHORT = [
    RECOVERED,
    RECOVERED_NOT_RELIABLY,
    NOT_RECOVERED,
    DETERIORATED,
    BELOW_CASENESS,
    UNPAIRED,
    UNPAIRED_BELOW,
    NOT_FINISHED,
]


def test_recovery_rate_keeps_unpaired_finished_courses_in_the_denominator() -> None:
    # Denominator: 7 finished - 1 paired and not at caseness (BELOW_CASENESS) = 6.
    assert recovery_rate(COHORT) == Rate(2, 6)
    assert reliable_recovery_rate(COHORT) == Rate(1, 6)


def test_rates_over_finished_courses() -> None:
    # RECOVERED and BELOW_CASENESS (not at caseness, but still counted) improved reliably.
    assert reliable_improvement_rate(COHORT) == Rate(2, 7)
    assert reliable_deterioration_rate(COHORT) == Rate(1, 7)
    assert paired_completeness_rate(COHORT) == Rate(5, 7)


@pytest.mark.parametrize(
    "rate",
    [
        recovery_rate,
        reliable_recovery_rate,
        reliable_improvement_rate,
        reliable_deterioration_rate,
        paired_completeness_rate,
    ],
)
def test_an_empty_denominator_has_no_rate(rate: object) -> None:
    assert callable(rate)
    assert rate([]) is None
    assert rate([NOT_FINISHED]) is None


def test_recovery_rate_is_none_when_nobody_started_at_caseness() -> None:
    assert recovery_rate([BELOW_CASENESS]) is None
    assert reliable_improvement_rate([BELOW_CASENESS]) == Rate(1, 1)


def test_rates_accept_any_iterable_once() -> None:
    assert recovery_rate(iter(COHORT)) == Rate(2, 6)


def test_a_rate_keeps_its_counts() -> None:
    rate = Rate(2, 8)
    assert rate.value == 0.25
    for numerator, denominator in [(1, 0), (0, 0), (-1, 2), (3, 2)]:
        with pytest.raises(ValueError, match="a rate needs"):
            Rate(numerator, denominator)


# -- reliable change helpers and the between-sessions risk flag ------------------------------


@pytest.mark.parametrize(
    ("code", "first", "last", "rise", "fall"),
    [
        ("phq9", 5, 11, True, False),
        ("phq9", 5, 10, False, False),
        ("phq9", 11, 5, False, True),
        ("phq9", 10, 5, False, False),
        ("gad7", 5, 9, True, False),
        ("gad7", 5, 8, False, False),
        ("gad7", 9, 5, False, True),
        ("gad7", 8, 5, False, False),
        ("mi", Decimal("1.27"), 2, True, False),
    ],
)
def test_reliable_rise_and_fall(code: str, first: int, last: int, rise: bool, fall: bool) -> None:
    assert reliable_rise(first, last, code) is rise
    assert reliable_fall(first, last, code) is fall


@pytest.mark.parametrize(
    ("previous", "current", "flags"),
    [
        ({"phq9": 4, "gad7": 4}, {"phq9": 10, "gad7": 4}, ("phq9_reliable_rise",)),
        ({"phq9": 4, "gad7": 4}, {"phq9": 9, "gad7": 7}, ()),
        ({"phq9": 4, "gad7": 4}, {"phq9": 4, "gad7": 8}, ("gad7_reliable_rise",)),
        (
            {"phq9": 4, "gad7": 4},
            {"phq9": 27, "gad7": 21},
            ("phq9_reliable_rise", "gad7_reliable_rise"),
        ),
        ({"phq9": 20, "gad7": 20}, {"phq9": 0, "gad7": 0}, ()),
        ({}, {"phq9": 27, "gad7": 21}, ()),  # the first set: nothing to compare with
        ({"phq9": 0, "gad7": None}, {"phq9": None, "gad7": 21}, ()),
        ({"phq9": 0, "spin": 0}, {"phq9": 0, "spin": 68}, ()),  # only PHQ-9 and GAD-7 count
    ],
)
def test_reliable_rise_since_the_last_pre_session_set(
    previous: dict[str, int], current: dict[str, int], flags: tuple[str, ...]
) -> None:
    assert reliable_rises_since(previous, current) == flags
    assert is_reliable_rise_since(previous, current) is bool(flags)
    assert all(flag in RISK_FLAGS for flag in flags)


def test_rise_flags_are_described() -> None:
    assert set(RISE_FLAG_DESCRIPTIONS) == {"phq9_reliable_rise", "gad7_reliable_rise"}
    with pytest.raises(ValueError, match="current score: phq9"):
        reliable_rises_since({"phq9": 0}, {"phq9": 30})


# -- invariants over the whole score space ----------------------------------------------------


def _scores(codes: list[str]) -> st.SearchStrategy[dict[str, int | float | None]]:
    def one(code: str) -> st.SearchStrategy[int | float | None]:
        found = MEASURES[code]
        low, high = int(found.lowest), int(found.highest)
        if code == "mi":
            number: st.SearchStrategy[int | float] = st.integers(100, 500).map(lambda n: n / 100)
        else:
            number = st.integers(low, high)
        return st.none() | number

    return st.fixed_dictionaries({}, optional={code: one(code) for code in codes})


SCORES = _scores(list(MEASURES))


@settings(deadline=None, max_examples=600)
@given(
    first=SCORES,
    last=SCORES,
    finished=st.booleans(),
    descriptor=st.none() | st.sampled_from(list(ProblemDescriptor)),
)
def test_classify_episode_invariants(
    first: dict[str, int | float | None],
    last: dict[str, int | float | None],
    finished: bool,
    descriptor: ProblemDescriptor | None,
) -> None:
    result = classify_episode(first, last, finished, descriptor=descriptor)
    if result.reliable_recovery:
        assert result.recovered
        assert result.reliable_improvement
    assert not (result.reliable_improvement and result.reliable_deterioration)
    if result.recovered:
        assert result.at_caseness_start
        assert result.finished
    if not (finished and result.paired):
        assert judged(result)[1:] == outcome()[1:]
    assert result.anxiety_measure in {"gad7", "spin", "pcl5", "mi", "oci", "pdss"}
    if result.anxiety_measure != "gad7":
        assert first.get(result.anxiety_measure) is not None
        assert last.get(result.anxiety_measure) is not None
    # The same scores judged as a course not finished keep only caseness at the start.
    unfinished = classify_episode(first, last, False, descriptor=descriptor)
    assert judged(unfinished) == outcome(at_caseness_start=result.at_caseness_start)


@settings(deadline=None, max_examples=300)
@given(
    phq9=st.tuples(st.integers(0, 27), st.integers(0, 27)),
    gad7=st.tuples(st.integers(0, 21), st.integers(0, 21)),
)
def test_swapping_first_and_last_swaps_improvement_and_deterioration(
    phq9: tuple[int, int], gad7: tuple[int, int]
) -> None:
    forward = classify_episode(
        {"phq9": phq9[0], "gad7": gad7[0]}, {"phq9": phq9[1], "gad7": gad7[1]}, True
    )
    backward = classify_episode(
        {"phq9": phq9[1], "gad7": gad7[1]}, {"phq9": phq9[0], "gad7": gad7[0]}, True
    )
    assert forward.reliable_improvement is backward.reliable_deterioration
    assert forward.reliable_deterioration is backward.reliable_improvement
