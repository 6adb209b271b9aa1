"""The national outcome measures as data (DOMAIN.md section 4): cut-offs, change, mapping."""

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires.measures import (
    ANXIETY_MEASURE_FOR,
    GAD7,
    HAI,
    MEASURES,
    MI,
    PHQ9,
    OutcomeMeasure,
    ProblemDescriptor,
    Scale,
    Threshold,
    anxiety_measure_for,
    measure,
)

pytestmark = pytest.mark.pure

# DOMAIN.md section 4, copied by hand so a change to the data is a visible change to this table.
NATIONAL = {
    "phq9": (Decimal("10"), Decimal("6")),
    "gad7": (Decimal("8"), Decimal("4")),
    "spin": (Decimal("19"), Decimal("10")),
    "pcl5": (Decimal("32"), Decimal("10")),
    "oci": (Decimal("40"), Decimal("32")),
    "pdss": (Decimal("8"), Decimal("5")),
    "mi": (Decimal("2.3"), Decimal("0.73")),
    "hai": (None, None),
}


@pytest.mark.parametrize(("code", "figures"), NATIONAL.items())
def test_cut_offs_and_reliable_change_are_the_national_figures(
    code: str, figures: tuple[Decimal | None, Decimal | None]
) -> None:
    found = measure(code)
    assert found.code == code
    assert (found.cut_off, found.reliable_change) == figures
    assert found.is_usable_in_pair is (figures[0] is not None)
    assert found.lowest < found.highest


def test_every_measure_is_listed() -> None:
    assert set(MEASURES) == set(NATIONAL)


def test_only_the_mobility_inventory_is_above_rather_than_at_or_above() -> None:
    assert {m.code for m in MEASURES.values() if m.threshold is Threshold.ABOVE} == {"mi"}
    assert {m.code for m in MEASURES.values() if m.scale is Scale.ITEM_AVERAGE} == {"mi"}


DESCRIPTORS = {
    "depression": "gad7",
    "gad": "gad7",
    "mixed": "gad7",
    "chronic_pain": "gad7",
    "none": "gad7",
    "social_anxiety": "spin",
    "ptsd": "pcl5",
    "agoraphobia": "mi",
    "ocd": "oci",
    "panic": "pdss",
    "health_anxiety": "hai",
}


@pytest.mark.parametrize(("descriptor", "code"), DESCRIPTORS.items())
def test_descriptor_to_anxiety_measure(descriptor: str, code: str) -> None:
    assert ANXIETY_MEASURE_FOR[ProblemDescriptor(descriptor)] == code
    assert anxiety_measure_for(descriptor).code == code
    assert anxiety_measure_for(ProblemDescriptor(descriptor)).code == code


def test_every_descriptor_is_mapped_and_none_means_gad7() -> None:
    assert set(ANXIETY_MEASURE_FOR) == set(ProblemDescriptor)
    assert anxiety_measure_for(None) is GAD7


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome measure 'phq-9'"):
        measure("phq-9")
    with pytest.raises(ValueError, match="unknown problem descriptor 'anxiety'"):
        anxiety_measure_for("anxiety")


TOTAL_MEASURES = [m for m in MEASURES.values() if m.scale is Scale.TOTAL and m.cut_off is not None]


@pytest.mark.parametrize("found", TOTAL_MEASURES, ids=lambda m: m.code)
def test_caseness_is_at_or_above_the_cut_off(found: OutcomeMeasure) -> None:
    assert found.cut_off is not None
    cut_off = int(found.cut_off)
    assert found.is_caseness(cut_off - 1) is False
    assert found.is_caseness(cut_off) is True
    assert found.is_caseness(cut_off + 1) is True


@pytest.mark.parametrize(
    ("score", "caseness"),
    [
        (1, False),
        (2.29, False),
        (2.3, False),  # "above 2.3": 2.3 itself is not at caseness
        (Decimal("2.3"), False),
        (Decimal("2.30001"), True),
        (2.31, True),
        (3, True),
        (5, True),
    ],
)
def test_mobility_inventory_caseness_is_above_2_3(score: float | Decimal, caseness: bool) -> None:
    assert MI.is_caseness(score) is caseness


@pytest.mark.parametrize(
    ("first", "last", "fall", "rise"),
    [
        (3.03, 2.3, True, False),  # exactly 0.73: the float difference would be 0.7299999…
        (3.03, 2.31, False, False),  # 0.72
        (2.3, 3.03, False, True),
        (Decimal("1.5"), Decimal("2.23"), False, True),
        (Decimal("1.5"), Decimal("2.22"), False, False),
        (4, 3, True, False),
    ],
)
def test_mobility_inventory_reliable_change_is_0_73_item_average(
    first: float, last: float, fall: bool, rise: bool
) -> None:
    assert MI.is_reliable_fall(first, last) is fall
    assert MI.is_reliable_rise(first, last) is rise


@pytest.mark.parametrize("found", TOTAL_MEASURES, ids=lambda m: m.code)
def test_reliable_change_boundary_for_every_total_measure(found: OutcomeMeasure) -> None:
    assert found.reliable_change is not None
    amount = int(found.reliable_change)
    top = int(found.highest)
    assert found.is_reliable_fall(top, top - amount)
    assert not found.is_reliable_fall(top, top - amount + 1)
    assert found.is_reliable_rise(0, amount)
    assert not found.is_reliable_rise(0, amount - 1)
    assert found.change(0, amount) == amount


@pytest.mark.parametrize(
    "bad", [True, False, 10.0, Decimal("10"), "10", None, -1, 28, [10]], ids=repr
)
def test_total_measures_take_whole_numbers_in_range(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^phq9: score "):
        PHQ9.as_decimal(bad)


@pytest.mark.parametrize(
    "bad",
    [True, math.nan, math.inf, Decimal("NaN"), Decimal("Infinity"), "2.5", 0.99, 5.01, 0, 6],
    ids=repr,
)
def test_item_averages_take_finite_numbers_in_range(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^mi: score "):
        MI.as_decimal(bad)


def test_a_measure_without_published_figures_cannot_judge() -> None:
    assert not HAI.is_usable_in_pair
    with pytest.raises(ValueError, match="hai: has no published cut-off"):
        HAI.is_caseness(30)
    with pytest.raises(ValueError, match="hai: has no published reliable-change amount"):
        HAI.is_reliable_rise(0, 30)
    with pytest.raises(ValueError, match="hai: has no published reliable-change amount"):
        HAI.is_reliable_fall(30, 0)


@settings(deadline=None)
@given(
    first=st.floats(min_value=1, max_value=5),
    last=st.floats(min_value=1, max_value=5),
)
def test_mobility_inventory_rise_and_fall_mirror_each_other(first: float, last: float) -> None:
    assert MI.is_reliable_rise(first, last) is MI.is_reliable_fall(last, first)
    assert not (MI.is_reliable_rise(first, last) and MI.is_reliable_fall(first, last))
