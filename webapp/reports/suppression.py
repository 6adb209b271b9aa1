"""Small-number suppression for published aggregates (DOMAIN.md section 4, last bullet).

Pure. 0 is shown as 0; a count from 1 to 4 is shown as "*"; every other count is rounded to the
nearest 5 (halves round up: 12.5 is not possible for whole counts, but 7 -> 5 and 8 -> 10).
Rates, means and medians are computed from the unrounded figures and shown as "*" when their
numerator or denominator is suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPRESSED = "*"


def suppress_count(count: int) -> str:
    """The count as it may be published."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"a count must be a whole number of 0 or more, not {count!r}")
    if count == 0:
        return "0"
    if count < 5:
        return SUPPRESSED
    return str(5 * ((count + 2) // 5))


def is_suppressed(count: int) -> bool:
    return suppress_count(count) == SUPPRESSED


@dataclass(frozen=True)
class PublishedRate:
    numerator: str
    denominator: str
    rate: str  # a percentage to one decimal place, "*" when suppressed, "" when undefined


def suppress_rate(numerator: int, denominator: int) -> PublishedRate:
    """A rate from unrounded figures, hidden whenever either figure is suppressed."""
    if numerator > denominator:
        raise ValueError(f"numerator {numerator} is larger than denominator {denominator}")
    shown_numerator, shown_denominator = suppress_count(numerator), suppress_count(denominator)
    if SUPPRESSED in (shown_numerator, shown_denominator):
        rate = SUPPRESSED
    elif denominator == 0:
        rate = ""
    else:
        rate = f"{100 * numerator / denominator:.1f}%"
    return PublishedRate(shown_numerator, shown_denominator, rate)


def suppress_share(part: int, whole: int) -> str:
    """A part's share of a whole that parts add up to (a poll's options of its respondents),
    worked out from the published, rounded figures. From exact figures, the shares shown would
    give away a hidden part: 100% less the others, times the whole (3 of 32 people)."""
    shown_part, shown_whole = suppress_count(part), suppress_count(whole)
    if SUPPRESSED in (shown_part, shown_whole):
        return SUPPRESSED
    if shown_whole == "0":
        return ""
    return f"{100 * int(shown_part) / int(shown_whole):.1f}%"


def suppress_statistic(value: float | None, based_on: int, *, places: int = 1) -> str:
    """A mean or median over `based_on` records: "*" when that count is suppressed."""
    if is_suppressed(based_on):
        return SUPPRESSED
    if value is None or based_on == 0:
        return ""
    return f"{value:.{places}f}"
