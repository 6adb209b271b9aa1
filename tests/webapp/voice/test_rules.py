"""The community's voice, pure rules: options, period, open/closed, choices, tallies with
small-number suppression (DOMAIN.md section 4), UK times to UTC."""

# ruff: noqa: DTZ001  - a form's UK wall-clock times are naive on purpose: that is the input

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.reports.suppression import suppress_count
from webapp.voice import rules
from webapp.voice.rules import Phase

OPENS = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2026, 11, 15, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (OPENS - timedelta(microseconds=1), Phase.UPCOMING),
        (OPENS, Phase.OPEN),
        (CLOSES - timedelta(microseconds=1), Phase.OPEN),
        (CLOSES, Phase.CLOSED),
        (CLOSES + timedelta(days=400), Phase.CLOSED),
    ],
)
def test_a_consultation_is_open_from_its_opening_until_but_not_at_its_closing(now, expected):
    assert rules.phase(OPENS, CLOSES, now) is expected


def test_naive_times_are_refused_when_deciding_the_phase():
    with pytest.raises(ValueError, match="timezone-aware"):
        rules.phase(OPENS, CLOSES, datetime(2026, 11, 2))


@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_the_phase_moves_only_forwards(seconds):
    now = OPENS + timedelta(seconds=seconds)
    order = [Phase.UPCOMING, Phase.OPEN, Phase.CLOSED]
    later = now + timedelta(seconds=1)
    assert order.index(rules.phase(OPENS, CLOSES, now)) <= order.index(
        rules.phase(OPENS, CLOSES, later)
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Yes", "No"], ("Yes", "No")),
        (["  Mornings ", "", "Evenings", "   "], ("Mornings", "Evenings")),
        ([str(n) for n in range(10)], tuple(str(n) for n in range(10))),
    ],
)
def test_poll_options_are_trimmed_and_blank_lines_dropped(lines, expected):
    assert rules.poll_options(lines) == expected


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["Only one"], "from 2 to 10"),
        (["", "Only one", " "], "from 2 to 10"),
        ([str(n) for n in range(11)], "from 2 to 10"),
        (["Yes", "yes"], "different"),
        (["Yes", "x" * 201], "200 characters"),
    ],
)
def test_bad_poll_options_are_refused(lines, message):
    with pytest.raises(ValueError, match=message):
        rules.poll_options(lines)


@given(st.lists(st.text(max_size=30), max_size=14))
def test_accepted_options_always_number_two_to_ten_and_differ(lines):
    try:
        options = rules.poll_options(lines)
    except ValueError:
        return
    assert 2 <= len(options) <= 10
    assert len({option.casefold() for option in options}) == len(options)
    assert all(option == option.strip() and option for option in options)


def test_survey_questions_are_one_to_five():
    assert rules.survey_questions(["What helps?", ""]) == ("What helps?",)
    for bad in ([], [" "], ["q"] * 6, ["x" * 301]):
        with pytest.raises(ValueError, match=r"questions|300 characters"):
            rules.survey_questions(bad)


@pytest.mark.parametrize(
    ("is_multiple", "chosen", "count", "expected"),
    [(False, None, 4, 1), (False, 3, 4, 1), (True, None, 4, 4), (True, 2, 4, 2), (True, 4, 4, 4)],
)
def test_how_many_options_a_response_may_pick(is_multiple, chosen, count, expected):
    assert rules.max_choices(is_multiple, chosen, count) == expected


@pytest.mark.parametrize("chosen", [0, 1, 5])
def test_a_multiple_choice_maximum_must_be_from_two_to_the_number_of_options(chosen):
    with pytest.raises(ValueError, match="from 2 to 4"):
        rules.max_choices(True, chosen, 4)


def test_a_consultation_closes_after_it_opens_and_within_ninety_days():
    rules.open_period(OPENS, OPENS + timedelta(days=90))
    with pytest.raises(ValueError, match="after the opening"):
        rules.open_period(OPENS, OPENS)
    with pytest.raises(ValueError, match="90 days"):
        rules.open_period(OPENS, OPENS + timedelta(days=90, seconds=1))


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2026, 1, 15, 9, 0), datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),  # GMT
        (datetime(2026, 7, 15, 9, 0), datetime(2026, 7, 15, 8, 0, tzinfo=UTC)),  # BST
        # 25 October 2026, 01:30 happens twice: the first time (BST) is taken.
        (datetime(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_uk_form_times_become_utc(local, utc):
    assert rules.uk_to_utc(local) == utc


def test_a_uk_time_the_clocks_skip_is_refused():
    with pytest.raises(ValueError, match="does not exist"):
        rules.uk_to_utc(datetime(2026, 3, 29, 1, 30))


def test_an_aware_time_is_not_a_form_time():
    with pytest.raises(ValueError, match="no timezone"):
        rules.uk_to_utc(OPENS)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_every_uk_time_that_exists_round_trips(local):
    try:
        utc = rules.uk_to_utc(local)
    except ValueError:
        return  # in a spring-forward gap
    assert utc.astimezone(rules.LONDON).replace(tzinfo=None) == local


def test_choices_must_be_the_polls_own_at_least_one_and_within_the_maximum():
    assert rules.checked_choices([3, 3], [1, 2, 3], 1) == {3}
    with pytest.raises(ValueError, match="Select an answer"):
        rules.checked_choices([], [1, 2], 1)
    with pytest.raises(ValueError, match="options shown"):
        rules.checked_choices([9], [1, 2], 1)
    with pytest.raises(ValueError, match="up to 2"):
        rules.checked_choices([1, 2, 3], [1, 2, 3], 2)


OPTIONS = [(1, "Mornings"), (2, "Evenings"), (3, "Weekends"), (4, "Never")]


def test_results_suppress_small_counts_and_work_shares_from_exact_figures():
    # 23 respondents: 12 chose 1, 7 chose 2, 4 chose 3, none chose 4.
    choices = [(r, 1) for r in range(12)] + [(r, 2) for r in range(12, 19)]
    choices += [(r, 3) for r in range(19, 23)]
    results = rules.tally(OPTIONS, choices)
    assert results.respondents == 23
    assert results.respondents_shown == "25"
    shown = [(o.label, o.count, o.shown, o.share) for o in results.options]
    assert shown == [
        ("Mornings", 12, "10", "52.2%"),  # 12/23 from the unrounded figures
        ("Evenings", 7, "5", "30.4%"),
        ("Weekends", 4, "*", "*"),
        ("Never", 0, "0", "0.0%"),
    ]
    assert not results.is_all_suppressed


def test_with_fewer_than_five_respondents_every_share_is_hidden():
    results = rules.tally(OPTIONS, [(1, 1), (2, 1), (3, 2)])
    assert results.respondents_shown == "*"
    assert [o.shown for o in results.options] == ["*", "*", "0", "0"]
    assert [o.share for o in results.options] == ["*", "*", "*", "*"]
    assert results.is_all_suppressed


def test_a_poll_nobody_answered_shows_zeros_and_no_shares():
    results = rules.tally(OPTIONS, [])
    assert results.respondents_shown == "0"
    assert {o.shown for o in results.options} == {"0"}
    assert {o.share for o in results.options} == {""}


def test_multiple_choice_shares_are_of_respondents_and_may_add_past_100_percent():
    choices = [(r, 1) for r in range(10)] + [(r, 2) for r in range(10)]
    results = rules.tally(OPTIONS, choices)
    assert results.respondents == 10
    assert [o.share for o in results.options[:2]] == ["100.0%", "100.0%"]


def test_a_choice_of_another_polls_option_is_refused():
    with pytest.raises(ValueError, match="not one of this poll"):
        rules.tally(OPTIONS, [(1, 99)])


@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from([1, 2, 3, 4])), max_size=120))
def test_tallies_are_exact_and_what_members_see_is_always_suppressed(choices):
    results = rules.tally(OPTIONS, choices)
    assert results.respondents == len({response for response, _ in choices})
    for option_id, option in zip([1, 2, 3, 4], results.options, strict=True):
        assert option.count == len({r for r, chosen in choices if chosen == option_id})
        assert option.shown == suppress_count(option.count)
        if 1 <= option.count <= 4 or 1 <= results.respondents <= 4:
            assert option.share == "*"


def test_named_counts_are_suppressed_for_publishing():
    assert rules.counts_shown({"done": 0, "planned": 3, "received": 12}) == {
        "done": "0",
        "planned": "*",
        "received": "10",
    }
