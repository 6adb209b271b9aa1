"""Scoring one completed form: totals, severity bands, caseness, risk flags and refusals.

Rules: DOMAIN.md section 3. Every band boundary and caseness boundary is tested on both sides.
"""

import dataclasses
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires import (
    RISK_FLAGS,
    UnknownInstrumentError,
    describe_risk,
    get,
    is_worse_risk,
    score,
    weakest_risk_level,
)
from questionnaires.instrument import Instrument, Scoring, score_answers

pytestmark = pytest.mark.pure

FAST = settings(deadline=None, max_examples=200)


def with_total(code: str, total: int, **fixed: int) -> dict[str, object]:
    """Answers to a numeric instrument that sum to ``total``, filling items in order."""
    instrument = get(code)
    answers: dict[str, object] = dict(fixed)
    remaining = total - sum(fixed.values())
    for item in instrument.items:
        if item.key in fixed:
            continue
        item_range = instrument.item_range(item)
        assert item_range is not None
        value = max(item_range[0], min(item_range[1], remaining))
        answers[item.key] = value
        remaining -= value
    assert remaining == 0, "total out of reach"
    return answers


def answers_strategy(instrument: Instrument) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {
            item.key: st.sampled_from([option.value for option in instrument.options_for(item)])
            for item in instrument.items
        }
    )


PHQ9_BANDS = [(t, "minimal") for t in range(0, 5)]
PHQ9_BANDS += [(t, "mild") for t in range(5, 10)]
PHQ9_BANDS += [(t, "moderate") for t in range(10, 15)]
PHQ9_BANDS += [(t, "moderately severe") for t in range(15, 20)]
PHQ9_BANDS += [(t, "severe") for t in range(20, 28)]


@pytest.mark.parametrize(("total", "band"), PHQ9_BANDS)
def test_phq9_severity_band_for_every_total(total: int, band: str) -> None:
    result = score("phq9", with_total("phq9", total))
    assert result.total == total
    assert result.severity == band


GAD7_BANDS = [(t, "minimal") for t in range(0, 5)]
GAD7_BANDS += [(t, "mild") for t in range(5, 10)]
GAD7_BANDS += [(t, "moderate") for t in range(10, 15)]
GAD7_BANDS += [(t, "severe") for t in range(15, 22)]


@pytest.mark.parametrize(("total", "band"), GAD7_BANDS)
def test_gad7_severity_band_for_every_total(total: int, band: str) -> None:
    result = score("gad7", with_total("gad7", total))
    assert result.total == total
    assert result.severity == band


WSAS_BANDS = [(t, "subclinical") for t in range(0, 10)]
WSAS_BANDS += [(t, "significant") for t in range(10, 21)]
WSAS_BANDS += [(t, "moderately severe") for t in range(21, 41)]


@pytest.mark.parametrize(("total", "band"), WSAS_BANDS)
def test_wsas_band_for_every_total_and_no_caseness(total: int, band: str) -> None:
    result = score("wsas", with_total("wsas", total))
    assert result.total == total
    assert result.severity == band
    assert result.caseness is None


@given(st.lists(st.integers(0, 8), min_size=4, max_size=4))
def test_wsas_work_not_applicable_is_kept_and_the_total_is_of_the_other_four(
    others: list[int],
) -> None:
    """Someone retired, or choosing not to work for reasons unrelated to their problem."""
    keys = ("home_management", "social_leisure", "private_leisure", "relationships")
    result = score("wsas", {"work": "not_applicable", **dict(zip(keys, others, strict=True))})
    assert result.answers["work"] == "not_applicable"
    assert result.total == sum(others) and 0 <= result.total <= 32
    assert result.severity == get("wsas").band_for(sum(others))


def test_not_applicable_is_the_work_item_s_answer_only() -> None:
    answers = {key: 1 for key in ("work", "social_leisure", "private_leisure", "relationships")}
    with pytest.raises(ValueError, match=r"'home_management'.*not one of the options"):
        score("wsas", {**answers, "home_management": "not_applicable"})


@pytest.mark.parametrize(
    ("total", "caseness"), [(0, False), (9, False), (10, True), (11, True), (27, True)]
)
def test_phq9_caseness_is_10_or_more(total: int, caseness: bool) -> None:
    assert score("phq9", with_total("phq9", total)).caseness is caseness


@pytest.mark.parametrize(
    ("total", "caseness"), [(0, False), (7, False), (8, True), (9, True), (21, True)]
)
def test_gad7_caseness_is_8_or_more(total: int, caseness: bool) -> None:
    assert score("gad7", with_total("gad7", total)).caseness is caseness


@pytest.mark.parametrize(("q9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item9_above_0_is_a_risk_flag(q9: int, flagged: bool) -> None:
    result = score("phq9", with_total("phq9", q9, q9=q9))
    assert ("phq9_item9" in result.risk_flags) is flagged
    assert result.risk_flags == (("phq9_item9",) if flagged else ())


def test_phq9_item9_flag_does_not_depend_on_the_total() -> None:
    assert score("phq9", with_total("phq9", 27)).risk_flags == ("phq9_item9",)
    assert score("phq9", with_total("phq9", 24, q9=0)).risk_flags == ()


def test_risk_flags_have_plain_english_descriptions() -> None:
    assert "better off dead" in describe_risk("phq9_item9")
    assert "36 or less" in describe_risk("srs_alliance_concern")
    assert set(RISK_FLAGS) >= {"phq9_item9", "srs_alliance_concern", "phq9_reliable_rise"}
    with pytest.raises(ValueError, match="unknown risk flag 'nope'"):
        describe_risk("nope")


@FAST
@given(q9=st.integers(0, 3), others=st.integers(0, 24))
def test_each_raised_flag_carries_the_value_that_raised_it(q9: int, others: int) -> None:
    """PHQ-9 question 9's flag carries that answer, whatever the other eight add up to."""
    result = score("phq9", with_total("phq9", others + q9, q9=q9))
    assert dict(result.risk_levels) == ({"phq9_item9": q9} if q9 else {})


def test_an_alliance_concern_carries_the_total() -> None:
    assert dict(score("srs", with_total("srs", 30)).risk_levels) == {"srs_alliance_concern": 30}
    assert dict(score("srs", with_total("srs", 37)).risk_levels) == {}


@FAST
@given(value=st.integers(0, 40), than=st.integers(0, 40))
def test_worse_is_higher_for_a_floor_and_lower_for_a_ceiling(value: int, than: int) -> None:
    """Question 9 and a reliable rise get worse as they go up; a session rating as it falls."""
    assert is_worse_risk("phq9_item9", value, than) is (value > than)
    assert is_worse_risk("phq9_reliable_rise", value, than) is (value > than)
    assert is_worse_risk("gad7_reliable_rise", value, than) is (value > than)
    assert is_worse_risk("srs_alliance_concern", value, than) is (value < than)


def test_the_weakest_level_that_raises_each_flag() -> None:
    assert weakest_risk_level("phq9_item9") == 1
    assert weakest_risk_level("srs_alliance_concern") == 36
    assert weakest_risk_level("phq9_reliable_rise") == 0
    with pytest.raises(ValueError, match="unknown risk flag"):
        weakest_risk_level("nope")


def test_worse_refuses_an_unknown_flag() -> None:
    with pytest.raises(ValueError, match="unknown risk flag 'nope'"):
        is_worse_risk("nope", 2, 1)


@pytest.mark.parametrize(
    ("total", "concern"), [(0, True), (35, True), (36, True), (37, False), (40, False)]
)
def test_srs_total_of_36_or_less_is_an_alliance_concern(total: int, concern: bool) -> None:
    result = score("srs", with_total("srs", total))
    assert result.total == total
    assert result.severity is None
    assert result.caseness is None
    assert result.risk_flags == (("srs_alliance_concern",) if concern else ())


@pytest.mark.parametrize(
    ("social", "panic", "specific", "caseness"),
    [
        (0, 0, 0, False),
        (3, 3, 3, False),
        (4, 0, 0, True),
        (0, 4, 0, True),
        (0, 0, 4, True),
        (8, 8, 8, True),
    ],
)
def test_phobia_caseness_is_any_item_4_or_more(
    social: int, panic: int, specific: int, caseness: bool
) -> None:
    result = score("phobia", {"social": social, "panic_agoraphobia": panic, "specific": specific})
    assert result.total is None
    assert result.severity is None
    assert result.caseness is caseness
    assert dict(result.item_caseness) == {
        "social": social >= 4,
        "panic_agoraphobia": panic >= 4,
        "specific": specific >= 4,
    }


@pytest.mark.parametrize("value", range(9))
def test_phobia_item_caseness_boundary_for_every_value(value: int) -> None:
    result = score("phobia", {"social": value, "panic_agoraphobia": 0, "specific": 0})
    assert result.item_caseness["social"] is (value >= 4)


def test_item_caseness_is_empty_for_instruments_without_it() -> None:
    assert dict(score("phq9", with_total("phq9", 12)).item_caseness) == {}


# -- unscored instruments ---------------------------------------------------------------------


def test_employment_records_codes_without_a_score() -> None:
    answers = {
        "status": "01",
        "hours_worked": "02",
        "statutory_sick_pay": "N",
        "jobseekers_allowance": "N",
        "employment_and_support_allowance": "N",
        "universal_credit": "Y",
        "personal_independence_payment": "ZZ",
    }
    result = score("employment", answers)
    assert dict(result.answers) == answers
    assert (result.total, result.severity, result.caseness, result.risk_flags) == (
        None,
        None,
        None,
        (),
    )


BENEFITS = {
    "jobseekers_allowance": "Y",
    "employment_and_support_allowance": "N",
    "universal_credit": "Y",
    "personal_independence_payment": "N",
}


@pytest.mark.parametrize("status", ["02", "03", "04", "05", "06", "07", "08", "ZZ"])
def test_hours_and_sick_pay_are_asked_only_of_the_employed(status: str) -> None:
    assert dict(score("employment", {"status": status, **BENEFITS}).answers) == {
        "status": status,
        **BENEFITS,
    }
    with pytest.raises(
        ValueError, match="'hours_worked' is only asked when 'status' is one of '01'"
    ):
        score("employment", {"status": status, "hours_worked": "01", **BENEFITS})


def test_an_employed_person_must_give_hours_and_sick_pay() -> None:
    with pytest.raises(ValueError, match="item 'hours_worked' is missing"):
        score("employment", {"status": "01", "statutory_sick_pay": "N", **BENEFITS})


def test_unasked_items_may_be_given_as_none() -> None:
    result = score(
        "employment", {"status": "08", "hours_worked": None, "statutory_sick_pay": None, **BENEFITS}
    )
    assert "hours_worked" not in result.answers


def test_medication_which_is_optional_free_text_when_prescribed() -> None:
    assert dict(score("medication", {"prescribed": "Y", "taken_as_prescribed": "Y"}).answers) == {
        "prescribed": "Y",
        "taken_as_prescribed": "Y",
    }
    result = score(
        "medication",
        {"prescribed": "Y", "taken_as_prescribed": "P", "which": "Sertraline 50 mg"},
    )
    assert result.answers["which"] == "Sertraline 50 mg"
    assert result.total is None


@pytest.mark.parametrize("prescribed", ["N", "ZZ"])
def test_medication_follow_ups_are_not_asked_without_a_prescription(prescribed: str) -> None:
    assert dict(score("medication", {"prescribed": prescribed}).answers) == {
        "prescribed": prescribed
    }
    with pytest.raises(ValueError, match="'which' is only asked when 'prescribed' is one of 'Y'"):
        score("medication", {"prescribed": prescribed, "which": "Sertraline"})


def test_free_text_has_a_length_limit() -> None:
    limit = get("medication").item("which").max_length
    assert limit == 500
    base = {"prescribed": "Y", "taken_as_prescribed": "Y"}
    assert score("medication", {**base, "which": "x" * limit}).answers["which"] == "x" * limit
    with pytest.raises(ValueError, match="'which': 501 characters is more than the limit of 500"):
        score("medication", {**base, "which": "x" * (limit + 1)})


def test_free_text_must_be_a_string() -> None:
    with pytest.raises(ValueError, match="'which': free text must be a str, not int"):
        score("medication", {"prescribed": "Y", "taken_as_prescribed": "Y", "which": 5})


PEQ_TREATMENT = {
    "listened": 4,
    "helped_understand": 3,
    "involved": 2,
    "help_that_mattered": 1,
    "confidence_in_therapist": 0,
}


def test_treatment_peq_is_recorded_with_optional_comments() -> None:
    assert score("peq_treatment", PEQ_TREATMENT).total is None
    with_comments = score("peq_treatment", {**PEQ_TREATMENT, "comments": "Thank you."})
    assert with_comments.answers["comments"] == "Thank you."
    with pytest.raises(ValueError, match="'comments': 2001 characters"):
        score("peq_treatment", {**PEQ_TREATMENT, "comments": "x" * 2001})


def test_treatment_peq_uses_never_to_at_all_times() -> None:
    labels = [option.label for option in get("peq_treatment").options]
    assert labels == ["Never", "Rarely", "Sometimes", "Most of the time", "At all times"]
    texts = [item.text for item in get("peq_treatment").items]
    assert "Did you feel involved in making choices about your treatment and care?" in texts


def test_assessment_peq_asks_about_the_offer_only_with_a_preference() -> None:
    base = {
        "told_about_treatments": "Y",
        "listened": 3,
        "helped_understand": 3,
        "involved": 4,
    }
    assert score("peq_assessment", {**base, "has_preference": "N"}).total is None
    with pytest.raises(ValueError, match="'preference_offered' is missing"):
        score("peq_assessment", {**base, "has_preference": "Y"})
    result = score("peq_assessment", {**base, "has_preference": "Y", "preference_offered": "Y"})
    assert result.answers["preference_offered"] == "Y"


def test_a_required_free_text_answer_cannot_be_blank() -> None:
    medication = get("medication")
    which = dataclasses.replace(medication.item("which"), required=True)
    strict = dataclasses.replace(
        medication, items=tuple(which if i.key == "which" else i for i in medication.items)
    )
    base = {"prescribed": "Y", "taken_as_prescribed": "Y"}
    with pytest.raises(ValueError, match="'which': an answer is required"):
        score_answers(strict, {**base, "which": "   "})
    assert score_answers(strict, {**base, "which": "Citalopram"}).answers["which"] == "Citalopram"


# -- refusals ---------------------------------------------------------------------------------


def test_unknown_instrument_is_refused_as_both_key_and_value_error() -> None:
    with pytest.raises(ValueError, match="unknown instrument 'phq-9'"):
        score("phq-9", {})
    with pytest.raises(KeyError):
        get("phq-9")
    with pytest.raises(UnknownInstrumentError):
        get("")


def test_missing_answer_names_the_item() -> None:
    answers = with_total("phq9", 5)
    del answers["q4"]
    with pytest.raises(ValueError, match="phq9: item 'q4' is missing"):
        score("phq9", answers)


def test_none_for_a_required_item_is_missing() -> None:
    with pytest.raises(ValueError, match="gad7: item 'q7' is missing"):
        score("gad7", {**with_total("gad7", 3), "q7": None})


def test_extra_answer_names_the_item() -> None:
    with pytest.raises(ValueError, match="phq9: unexpected item 'q10'"):
        score("phq9", {**with_total("phq9", 5), "q10": 0})


@pytest.mark.parametrize("bad", [4, -1, 1.0, 2.5, True, False, "1", "", b"1", [1]], ids=repr)
def test_wrong_type_or_out_of_range_answer_names_the_item(bad: object) -> None:
    with pytest.raises(ValueError, match=r"gad7: item 'q3': .* is not one of the options"):
        score("gad7", {**with_total("gad7", 0), "q3": bad})


@pytest.mark.parametrize("bad", ["1", "y", "yes", 1, True, "01 "], ids=repr)
def test_wrong_code_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="medication: item 'prescribed'"):
        score("medication", {"prescribed": bad})


# -- properties over the whole answer space ---------------------------------------------------

TOTALLED = [get(code) for code in ("phq9", "gad7", "wsas", "srs")]


@pytest.mark.parametrize("instrument", TOTALLED, ids=lambda i: i.code)
@FAST
@given(data=st.data())
def test_total_is_the_sum_and_severity_follows_the_bands(
    instrument: Instrument, data: st.DataObject
) -> None:
    answers = data.draw(answers_strategy(instrument))
    result = score(instrument.code, answers)
    assert result.total == sum(v for v in answers.values() if isinstance(v, int))
    assert dict(result.answers) == answers
    assert result.severity == instrument.band_for(result.total)
    if instrument.caseness_at is not None:
        assert result.caseness is (result.total >= instrument.caseness_at)


@pytest.mark.parametrize("code", ["phq9", "gad7", "wsas"])
def test_severity_is_monotonic_in_the_total(code: str) -> None:
    instrument = get(code)
    assert instrument.total_range is not None
    low, high = instrument.total_range
    ranks = [
        instrument.band_names.index(instrument.band_for(t) or "") for t in range(low, high + 1)
    ]
    assert ranks == sorted(ranks)
    assert set(ranks) == set(range(len(instrument.band_names)))


@pytest.mark.parametrize("instrument", [*TOTALLED, get("phobia")], ids=lambda i: i.code)
@FAST
@given(data=st.data())
def test_any_out_of_range_value_is_refused_naming_the_item(
    instrument: Instrument, data: st.DataObject
) -> None:
    answers = data.draw(answers_strategy(instrument))
    item = data.draw(st.sampled_from(instrument.items))
    item_range = instrument.item_range(item)
    assert item_range is not None
    bad = data.draw(
        st.integers(max_value=item_range[0] - 1)
        | st.integers(min_value=item_range[1] + 1)
        | st.floats()
        | st.booleans()
        | st.text(max_size=3)
    )
    with pytest.raises(ValueError, match=f"item '{item.key}'"):
        score(instrument.code, {**answers, item.key: bad})


@FAST
@given(answers=answers_strategy(get("phobia")))
def test_phobia_caseness_is_any_item_caseness(answers: Mapping[str, int]) -> None:
    result = score("phobia", answers)
    assert result.caseness is any(v >= 4 for v in answers.values())
    assert all(result.item_caseness[k] is (v >= 4) for k, v in answers.items())


def test_results_are_frozen() -> None:
    result = score("gad7", with_total("gad7", 3))
    with pytest.raises(AttributeError):
        result.total = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.answers["q1"] = 3  # type: ignore[index]
    assert result == score("gad7", with_total("gad7", 3))
    assert hash(result) == hash(score("gad7", with_total("gad7", 3)))


def test_band_for_is_none_without_bands() -> None:
    assert get("srs").band_for(20) is None
    assert get("phobia").scoring is Scoring.PER_ITEM
