"""The pure supervision rules: the period, rates, totals, how often someone was supervised and
the checks on a meeting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.supervision import figures as rules
from webapp.supervision.figures import Counts, Rate


@given(st.dates(date(2001, 1, 1), date(2099, 12, 31)), st.sampled_from(rules.PERIOD_MONTHS))
def test_a_window_is_whole_months_ending_with_todays(today, months):
    found = rules.window(today, months)
    assert found.start <= today < found.end
    assert found.start.day == 1 and found.end.day == 1
    spanned = (found.end.year - found.start.year) * 12 + found.end.month - found.start.month
    assert spanned == months
    assert (found.end - timedelta(days=1)).month == today.month


def test_window_labels_and_refusals():
    assert rules.window(date(2026, 12, 6), 1).label == "December 2026"
    assert rules.window(date(2026, 12, 6), 3).label == "October to December 2026"
    assert rules.window(date(2026, 2, 6), 3).label == "December 2025 to February 2026"
    with pytest.raises(ValueError, match="choose a period"):
        rules.window(date(2026, 12, 6), 2)


@pytest.mark.parametrize(
    ("text", "months"), [("1", 1), ("12", 12), ("2", 3), ("", 3), (None, 3), ("x", 3), ("-1", 3)]
)
def test_parse_months(text, months):
    assert rules.parse_months(text) == months


def test_rates():
    assert Rate(1, 4).text == "25% (1 of 4)"
    assert Rate(0, 0).percent is None and Rate(0, 0).text == "No data"
    counts = Counts({"recovered": 1, "recovery_base": 3, "sessions": 5})
    assert counts.rate("recovered") == Rate(1, 3)
    assert counts.rate("sessions") is None
    assert counts["dna"] == 0
    with pytest.raises(KeyError):
        counts["no such figure"]


@given(st.lists(st.dictionaries(st.sampled_from(rules.COUNTED), st.integers(0, 50)), max_size=5))
def test_the_service_total_is_the_sum(rows):
    summed = rules.total(Counts(row) for row in rows)
    for key in rules.COUNTED:
        assert summed[key] == sum(row.get(key, 0) for row in rows)


@pytest.mark.parametrize(
    ("key", "attention"),
    [("caseload", False), ("sessions", False), ("risk_flags", True), ("late_records", True)],
)
def test_what_needs_attention(key, attention):
    assert Counts({key: 1}).needs_attention is attention
    assert Counts().needs_attention is False


def test_every_figure_is_found_by_key_and_rates_have_counted_denominators():
    for found in rules.FIGURES:
        assert rules.figure(found.key) is found
    assert set(rules.DENOMINATORS.values()) <= set(rules.COUNTED)
    with pytest.raises(KeyError):
        rules.figure("nonsense")
    assert "credentials" not in rules.EPISODE_FIGURES


def test_frequency():
    held = [date(2026, 9, 30), date(2026, 10, 1), date(2026, 11, 15), date(2027, 1, 2)]
    found = rules.frequency(held, date(2026, 10, 1), date(2027, 1, 1))
    assert found == rules.Frequency(2, date(2026, 11, 15))
    assert rules.frequency([], date(2026, 10, 1), date(2027, 1, 1)) == rules.Frequency(0, None)
    assert rules.frequency([date(2026, 1, 1)], date(2026, 10, 1), date(2027, 1, 1)) == (
        rules.Frequency(0, date(2026, 1, 1))
    )


TODAY = date(2026, 12, 6)
GOOD = {
    "met_on": TODAY,
    "today": TODAY,
    "supervisor_id": 1,
    "therapist_id": 2,
    "supervisor_choices": [1, 2],
    "case_ids": [3],
    "case_choices": [3, 4],
    "agreed_actions": "Agreed.",
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, None),
        ({"met_on": TODAY - timedelta(days=rules.OLDEST_MEETING_DAYS)}, None),
        ({"met_on": None}, "met_on"),
        ({"met_on": TODAY + timedelta(days=1)}, "met_on"),
        ({"met_on": TODAY - timedelta(days=rules.OLDEST_MEETING_DAYS + 1)}, "met_on"),
        ({"supervisor_id": None}, "supervisor_id"),
        ({"supervisor_id": 9}, "supervisor_id"),
        ({"supervisor_id": 2}, "supervisor_id"),
        ({"case_ids": []}, "cases"),
        ({"case_ids": [3, 5]}, "cases"),
        ({"agreed_actions": " \n "}, "agreed_actions"),
        ({"agreed_actions": "x" * rules.MAX_ACTIONS_CHARS}, None),
        ({"agreed_actions": "x" * (rules.MAX_ACTIONS_CHARS + 1)}, "agreed_actions"),
    ],
)
def test_meeting_problems(changes, field):
    problems = rules.meeting_problems(**{**GOOD, **changes})
    assert set(problems) == (set() if field is None else {field})


def test_the_supervisor_cannot_be_the_therapist():
    problems = rules.meeting_problems(**{**GOOD, "supervisor_id": 2})
    assert problems["supervisor_id"] == "The supervisor must be someone other than the therapist"
