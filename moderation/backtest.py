"""Back-testing a proposed watchword, and each rule's precision from moderators' verdicts.

Pure: posts and verdicts come in as values (the web layer reads them from the database); nothing is
written. DOMAIN.md section 7 ("Safety"): watchwords route posts to people, so before a rule is
switched on a moderator sees how many past posts it would have caught, with examples; once it is
on, the share of its alerts that moderators upheld shows whether it earns the interruptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from moderation.engine import Engine
from moderation.watchwords import Watchword

__all__ = ["BacktestResult", "Catch", "RulePrecision", "Verdict", "backtest", "precision"]

PostId = int | str  # the community's post id, as the caller has it


@dataclass(frozen=True, slots=True)
class Catch:
    """One past post the rule would have caught, and where (spans in the post's text)."""

    post_id: PostId
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class BacktestResult:
    rule_id: str
    posts_screened: int
    posts_caught: int
    examples: tuple[Catch, ...]  # the first `limit_examples` catches, in the order given

    @property
    def catch_rate(self) -> float | None:
        """Caught ÷ screened, or None when no posts were screened."""
        return self.posts_caught / self.posts_screened if self.posts_screened else None


def backtest(
    rule: Watchword, posts: Iterable[tuple[PostId, str]], limit_examples: int = 5
) -> BacktestResult:
    """How many of `posts` the proposed `rule` would have caught, with up to `limit_examples`."""
    if limit_examples < 0:
        raise ValueError(f"limit_examples must be 0 or more, not {limit_examples}")
    engine = Engine([rule])
    screened = caught = 0
    examples: list[Catch] = []
    for post_id, text in posts:
        screened += 1
        matches = engine.check(text)
        if matches:
            caught += 1
            if len(examples) < limit_examples:
                examples.append(Catch(post_id, tuple(match.span for match in matches)))
    return BacktestResult(rule.id, screened, caught, tuple(examples))


class Verdict(StrEnum):
    """A moderator's verdict on one alert (or hold, or flag) raised by a rule."""

    UPHELD = "upheld"  # the rule was right to route the post to a person
    DISMISSED = "dismissed"  # a false alarm


@dataclass(frozen=True, slots=True)
class RulePrecision:
    rule_id: str
    upheld: int
    dismissed: int

    @property
    def precision(self) -> float | None:
        """Upheld ÷ (upheld + dismissed), or None when there are no verdicts yet."""
        total = self.upheld + self.dismissed
        return self.upheld / total if total else None


def precision(
    verdicts: Iterable[tuple[str, Verdict]], rule_ids: Iterable[str] = ()
) -> dict[str, RulePrecision]:
    """Per rule id, its verdict counts and precision; `rule_ids` adds rules without verdicts.

    A verdict may be given as its string value ("upheld"); anything else raises ValueError.
    """
    counts: dict[str, list[int]] = {rule_id: [0, 0] for rule_id in rule_ids}
    for rule_id, verdict in verdicts:
        tally = counts.setdefault(rule_id, [0, 0])
        tally[0 if Verdict(verdict) is Verdict.UPHELD else 1] += 1
    return {
        rule_id: RulePrecision(rule_id, upheld, dismissed)
        for rule_id, (upheld, dismissed) in counts.items()
    }
