"""Back-testing a proposed rule on past posts, and precision from moderators' verdicts."""

from __future__ import annotations

import pytest

from moderation import (
    Action,
    BacktestResult,
    Catch,
    Kind,
    RulePrecision,
    Tier,
    Verdict,
    Watchword,
    backtest,
    precision,
)

pytestmark = pytest.mark.pure

PROPOSED = Watchword("house.test", Tier.HOUSE_RULES, Action.FLAG, Kind.PHRASE, "shut up", "Rude")
POSTS: list[tuple[int | str, str]] = [
    (1, "Shut up!"),
    (2, "a lovely day"),
    (3, "oh shut up, shut up"),
    ("p4", "SHUT UPPPP"),
    (5, "shutup"),
]


def test_counts_the_posts_a_proposed_rule_would_catch_with_examples() -> None:
    assert backtest(PROPOSED, POSTS, limit_examples=2) == BacktestResult(
        rule_id="house.test",
        posts_screened=5,
        posts_caught=4,
        examples=(Catch(1, ((0, 7),)), Catch(3, ((3, 10), (12, 19)))),
    )


def test_shows_five_examples_unless_told() -> None:
    result = backtest(PROPOSED, POSTS)
    assert [catch.post_id for catch in result.examples] == [1, 3, "p4", 5]
    assert result.catch_rate == pytest.approx(0.8)


def test_no_examples_when_asked_for_none() -> None:
    assert backtest(PROPOSED, POSTS, limit_examples=0).examples == ()


def test_no_posts_means_no_rate() -> None:
    result = backtest(PROPOSED, [])
    assert (result.posts_screened, result.posts_caught, result.catch_rate) == (0, 0, None)


def test_a_regex_rule_can_be_back_tested() -> None:
    rule = Watchword("house.phone", Tier.HOUSE_RULES, Action.HOLD, Kind.REGEX, r"0\d{10}", "Phone")
    assert backtest(rule, [(1, "ring 07700900123"), (2, "no")]).posts_caught == 1


def test_refuses_a_negative_number_of_examples() -> None:
    with pytest.raises(ValueError, match="limit_examples"):
        backtest(PROPOSED, POSTS, limit_examples=-1)


def test_precision_is_upheld_over_all_verdicts_per_rule() -> None:
    verdicts = [
        ("a", Verdict.UPHELD),
        ("a", Verdict.UPHELD),
        ("a", Verdict.DISMISSED),
        ("b", Verdict.DISMISSED),
        ("a", Verdict("upheld")),
    ]
    result = precision(verdicts, rule_ids=["c"])
    assert result == {
        "c": RulePrecision("c", 0, 0),
        "a": RulePrecision("a", 3, 1),
        "b": RulePrecision("b", 0, 1),
    }
    assert result["a"].precision == pytest.approx(0.75)
    assert result["b"].precision == 0.0
    assert result["c"].precision is None


def test_precision_accepts_verdicts_as_their_values() -> None:
    assert precision([("a", "dismissed")]) == {"a": RulePrecision("a", 0, 1)}  # type: ignore[list-item]


def test_precision_refuses_an_unknown_verdict() -> None:
    with pytest.raises(ValueError, match="'maybe' is not a valid Verdict"):
        precision([("a", "maybe")])  # type: ignore[list-item]
