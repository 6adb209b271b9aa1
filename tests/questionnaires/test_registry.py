"""One contract over every instrument in the registry (STYLE.md section 7)."""

import itertools
import re

import pytest

import questionnaires
from questionnaires import INSTRUMENTS, PRE_SESSION_SET, RISK_FLAGS, get, score
from questionnaires.instrument import Instrument, ItemKind, Scoring
from questionnaires.measures import GAD7 as GAD7_MEASURE
from questionnaires.measures import PHQ9 as PHQ9_MEASURE

pytestmark = pytest.mark.pure

ALL = list(INSTRUMENTS.values())
KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _ids(instrument: Instrument) -> str:
    return instrument.code


def test_codes_are_unique_and_match_their_keys() -> None:
    codes = [instrument.code for instrument in ALL]
    assert len(codes) == len(set(codes))
    assert all(INSTRUMENTS[code].code == code for code in INSTRUMENTS)


def test_the_pre_session_set_is_the_specifications_six_in_order() -> None:
    assert PRE_SESSION_SET == ("phq9", "gad7", "phobia", "employment", "wsas", "medication")
    assert all(code in INSTRUMENTS for code in PRE_SESSION_SET)
    assert all(code in INSTRUMENTS for code in questionnaires.AFTER_SESSION)
    assert all(code in INSTRUMENTS for code in questionnaires.END_OF_TREATMENT)


def test_the_issue_names_every_module() -> None:
    assert set(INSTRUMENTS) == {
        "phq9",
        "gad7",
        "phobia",
        "wsas",
        "employment",
        "medication",
        "srs",
        "peq_assessment",
        "peq_treatment",
    }


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_version_title_and_source_are_set(instrument: Instrument) -> None:
    assert instrument.version.strip() == instrument.version != ""
    assert instrument.title
    assert instrument.source
    assert KEY.match(instrument.code)


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_item_keys_are_unique_identifiers_with_text(instrument: Instrument) -> None:
    keys = [item.key for item in instrument.items]
    assert keys
    assert len(keys) == len(set(keys))
    for item in instrument.items:
        assert KEY.match(item.key), item.key
        assert item.text.strip()


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_choice_items_have_unique_typed_labelled_options(instrument: Instrument) -> None:
    for item in instrument.items:
        options = instrument.options_for(item)
        if item.kind is ItemKind.TEXT:
            assert not item.options
            assert item.max_length is not None
            assert item.max_length > 0
            continue
        assert item.max_length is None
        values = [option.value for option in options]
        assert values, item.key
        assert len(values) == len(set(values)), item.key
        assert len({type(value) for value in values}) == 1, item.key
        assert all(type(value) in (int, str) for value in values)
        assert all(option.label.strip() for option in options)


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_numeric_options_cover_their_range_without_gaps(instrument: Instrument) -> None:
    for item in instrument.items:
        item_range = instrument.item_range(item)
        if item_range is None:
            continue
        low, high = item_range
        values = [option.value for option in instrument.options_for(item)]
        assert values == list(range(low, high + 1)), item.key


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_conditions_refer_to_an_earlier_choice_and_its_options(instrument: Instrument) -> None:
    earlier: list[str] = []
    for item in instrument.items:
        if item.asked_if is not None:
            assert item.asked_if.item in earlier, item.key
            trigger = instrument.item(item.asked_if.item)
            assert trigger.kind is ItemKind.CHOICE
            allowed = {option.value for option in instrument.options_for(trigger)}
            assert item.asked_if.values <= allowed
        earlier.append(item.key)


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_scoring_fields_are_consistent(instrument: Instrument) -> None:
    assert len(instrument.band_starts) == len(instrument.band_names)
    assert list(instrument.band_starts) == sorted(set(instrument.band_starts))
    if instrument.scoring is Scoring.TOTAL:
        assert all(instrument.item_range(item) is not None for item in instrument.items)
        total_range = instrument.total_range
        assert total_range is not None
        if instrument.band_starts:
            assert instrument.band_starts[0] == total_range[0]
            assert instrument.band_starts[-1] <= total_range[1]
        if instrument.caseness_at is not None:
            assert total_range[0] < instrument.caseness_at <= total_range[1]
    else:
        assert instrument.total_range is None
        assert instrument.band_starts == ()
        assert instrument.caseness_at is None
        assert instrument.reliable_change is None
    if instrument.scoring is Scoring.PER_ITEM:
        assert instrument.item_caseness_at is not None
    else:
        assert instrument.item_caseness_at is None
    assert instrument.is_scored is (instrument.scoring is not Scoring.NONE)


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_risk_rules_name_real_items_and_are_described(instrument: Instrument) -> None:
    for rule in instrument.risk_rules:
        assert rule.code in RISK_FLAGS
        assert rule.description == RISK_FLAGS[rule.code]
        assert rule.at_least is not None or rule.at_most is not None
        if rule.item is None:
            assert instrument.scoring is Scoring.TOTAL
        else:
            assert instrument.item_range(instrument.item(rule.item)) is not None


@pytest.mark.parametrize("instrument", ALL, ids=_ids)
def test_licensed_wording_says_so(instrument: Instrument) -> None:
    assert instrument.needs_licence is (not instrument.free_to_use)
    assert bool(instrument.licence_note) is instrument.needs_licence
    assert instrument.needs_licence is (instrument.code == "srs")


def _extreme_answers(instrument: Instrument, pick: int) -> dict[str, object]:
    """Every asked item answered with its first (pick=0) or last (pick=-1) option."""
    answers: dict[str, object] = {}
    for item in instrument.items:
        condition = item.asked_if
        if condition is not None and answers.get(condition.item) not in condition.values:
            continue
        if item.kind is ItemKind.TEXT:
            answers[item.key] = "x" * (item.max_length or 1)
        else:
            answers[item.key] = instrument.options_for(item)[pick].value
    return answers


@pytest.mark.parametrize(("instrument", "pick"), list(itertools.product(ALL, (0, -1))))
def test_scored_totals_stay_in_range_and_answers_round_trip(
    instrument: Instrument, pick: int
) -> None:
    answers = _extreme_answers(instrument, pick)
    result = score(instrument.code, answers)
    assert result.instrument == instrument.code
    assert result.version == instrument.version
    assert dict(result.answers) == answers
    if instrument.scoring is Scoring.TOTAL:
        assert instrument.total_range is not None
        assert result.total == instrument.total_range[pick]
    else:
        assert result.total is None
    assert all(flag in RISK_FLAGS for flag in result.risk_flags)


def test_the_outcome_measures_agree_with_the_instruments() -> None:
    assert get("phq9").caseness_at == PHQ9_MEASURE.cut_off
    assert get("phq9").reliable_change == PHQ9_MEASURE.reliable_change
    assert get("gad7").caseness_at == GAD7_MEASURE.cut_off
    assert get("gad7").reliable_change == GAD7_MEASURE.reliable_change
    assert get("phq9").total_range == (int(PHQ9_MEASURE.lowest), int(PHQ9_MEASURE.highest))
    assert get("gad7").total_range == (int(GAD7_MEASURE.lowest), int(GAD7_MEASURE.highest))
