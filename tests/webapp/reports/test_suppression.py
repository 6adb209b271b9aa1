"""Small-number suppression (DOMAIN.md section 4) and spreadsheet-safe cells."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.exports import safe_cell
from webapp.reports.suppression import (
    suppress_count,
    suppress_rate,
    suppress_share,
    suppress_statistic,
)

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0"),
        (1, "*"),
        (2, "*"),
        (3, "*"),
        (4, "*"),
        (5, "5"),
        (6, "5"),
        (7, "5"),
        (8, "10"),
        (9, "10"),
        (10, "10"),
        (12, "10"),
        (13, "15"),
        (97, "95"),
        (98, "100"),
        (1234, "1235"),
    ],
)
def test_counts_are_shown_as_the_national_rule_says(count, shown):
    assert suppress_count(count) == shown


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3", None])
def test_only_whole_counts_of_zero_or_more_are_accepted(bad):
    with pytest.raises(ValueError, match="whole number"):
        suppress_count(bad)


@given(st.integers(min_value=5, max_value=10**9))
def test_a_published_count_of_five_or_more_is_a_multiple_of_five_within_two(count):
    shown = int(suppress_count(count))
    assert shown % 5 == 0 and abs(shown - count) <= 2 and shown >= 5


def test_a_rate_is_computed_from_unrounded_figures():
    rate = suppress_rate(7, 13)
    assert (rate.numerator, rate.denominator, rate.rate) == ("5", "15", "53.8%")


@pytest.mark.parametrize(("numerator", "denominator"), [(3, 20), (0, 4), (4, 4)])
def test_a_rate_is_hidden_when_either_figure_is_suppressed(numerator, denominator):
    assert suppress_rate(numerator, denominator).rate == "*"


def test_a_rate_with_nothing_to_divide_by_is_blank_and_a_zero_numerator_is_shown():
    assert suppress_rate(0, 0).rate == ""
    assert suppress_rate(0, 10).rate == "0.0%"


def test_a_rate_cannot_exceed_its_denominator():
    with pytest.raises(ValueError, match="larger than denominator"):
        suppress_rate(6, 5)


def test_a_median_over_too_few_records_is_hidden():
    assert suppress_statistic(17.5, based_on=4) == "*"
    assert suppress_statistic(17.5, based_on=6) == "17.5"
    assert suppress_statistic(None, based_on=0) == ""


@pytest.mark.parametrize("text", ["=1+1", "+44 7700", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_is_kept_as_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Jo", "", 5, -5, 2.5, None])
def test_other_values_are_left_alone(value):
    assert safe_cell(value) == value


def test_a_hidden_poll_answer_cannot_be_worked_out_from_the_other_shares():
    """14, 9, 6 and 3 of 32 people: from exact figures the first three shares (43.8%, 28.1%,
    18.8%) leave 9.4%, which is 3 of 32. From the rounded ones they leave nothing to read."""
    counts, whole = [14, 9, 6, 3], 32
    shares = [suppress_share(count, whole) for count in counts]
    assert shares == ["50.0%", "33.3%", "16.7%", "*"]
    shown = sum(float(share.rstrip("%")) for share in shares[:3])
    assert round(100 - shown, 1) == 0.0  # nothing about the hidden answer


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_a_share_depends_only_on_the_published_figures(part, extra):
    whole = part + extra
    same_published = [
        (p, w)
        for p in range(max(0, part - 2), part + 3)
        for w in range(max(p, whole - 2), whole + 3)
        if suppress_count(p) == suppress_count(part) and suppress_count(w) == suppress_count(whole)
    ]
    assert {suppress_share(p, w) for p, w in same_published} == {suppress_share(part, whole)}
