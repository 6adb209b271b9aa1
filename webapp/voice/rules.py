"""Pure rules for the community's voice (issue #15): what a consultation may contain, whether it
is open, which choices a response may make, and its results as they may be shown to members.

Pure: values in, values out, time passed in, `ValueError` for bad input; no Flask, SQLAlchemy or
database (the import-linter contract in pyproject.toml). Small numbers are suppressed as every
published aggregate is (DOMAIN.md section 4, last bullet; `webapp.reports.suppression`): 0 shown
as 0, 1 to 4 as "*", others rounded to the nearest 5; shares are computed from the unrounded
counts and shown as "*" when either count is suppressed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from webapp.reports.suppression import suppress_count, suppress_rate

MIN_OPTIONS, MAX_OPTIONS = 2, 10
OPTION_MAX_CHARS = 200
MIN_QUESTIONS, MAX_QUESTIONS = 1, 5
QUESTION_MAX_CHARS = 300
ANSWER_MAX_CHARS = 2000
LONGEST_OPEN = timedelta(days=90)
LONDON = ZoneInfo("Europe/London")


class Phase(enum.StrEnum):
    UPCOMING = "upcoming"  # published, not yet taking responses
    OPEN = "open"
    CLOSED = "closed"  # results can be shown


def phase(opens_at: datetime, closes_at: datetime, now: datetime) -> Phase:
    """Open from `opens_at` (inclusive) until `closes_at` (exclusive); aware datetimes only."""
    for moment in (opens_at, closes_at, now):
        if moment.tzinfo is None:
            raise ValueError("times must be timezone-aware")
    if now < opens_at:
        return Phase.UPCOMING
    return Phase.OPEN if now < closes_at else Phase.CLOSED


def _lines(values: Iterable[str]) -> list[str]:
    return [value.strip() for value in values if value.strip()]


def poll_options(labels: Iterable[str]) -> tuple[str, ...]:
    """A poll's options, trimmed and without blank lines: 2 to 10, each different (ignoring
    case) and at most 200 characters."""
    options = _lines(labels)
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ValueError(f"Give from {MIN_OPTIONS} to {MAX_OPTIONS} options, one a line")
    if any(len(option) > OPTION_MAX_CHARS for option in options):
        raise ValueError(f"Each option must be {OPTION_MAX_CHARS} characters or fewer")
    if len({option.casefold() for option in options}) != len(options):
        raise ValueError("Each option must be different")
    return tuple(options)


def survey_questions(prompts: Iterable[str]) -> tuple[str, ...]:
    """A short survey's questions: 1 to 5, each at most 300 characters."""
    questions = _lines(prompts)
    if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        raise ValueError(f"Give from {MIN_QUESTIONS} to {MAX_QUESTIONS} questions, one a line")
    if any(len(question) > QUESTION_MAX_CHARS for question in questions):
        raise ValueError(f"Each question must be {QUESTION_MAX_CHARS} characters or fewer")
    return tuple(questions)


def max_choices(is_multiple: bool, chosen_max: int | None, option_count: int) -> int:
    """How many options one response may pick: 1 for single choice; for multiple choice the
    chosen maximum (2 up to the number of options), or every option when none is given."""
    if not is_multiple:
        return 1
    if chosen_max is None:
        return option_count
    if not 2 <= chosen_max <= option_count:
        raise ValueError(f"The most a member may choose must be from 2 to {option_count}")
    return chosen_max


def open_period(opens_at: datetime, closes_at: datetime) -> None:
    """A consultation closes after it opens, and is open for at most 90 days."""
    if closes_at <= opens_at:
        raise ValueError("The closing time must be after the opening time")
    if closes_at - opens_at > LONGEST_OPEN:
        raise ValueError(f"A consultation can be open for at most {LONGEST_OPEN.days} days")


def uk_to_utc(local: datetime) -> datetime:
    """A wall-clock UK time from a form, as UTC. A time the clocks skip (the spring change) is
    refused; one that happens twice (the autumn change) is taken the first time (fold=0)."""
    if local.tzinfo is not None:
        raise ValueError("a form's UK time has no timezone of its own")
    aware = local.replace(tzinfo=LONDON, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(LONDON).replace(tzinfo=None) != local:
        raise ValueError("That time does not exist in the UK: the clocks go forward then")
    return utc


def checked_choices(chosen: Sequence[int], option_ids: Sequence[int], most: int) -> frozenset[int]:
    """The options a response picks: at least one, at most `most`, each one of the poll's own."""
    picked = frozenset(chosen)
    if not picked:
        raise ValueError("Select an answer")
    if not picked <= frozenset(option_ids):
        raise ValueError("Select from the options shown")
    if len(picked) > most:
        raise ValueError(f"Select up to {most} answers")
    return picked


@dataclass(frozen=True)
class OptionResult:
    label: str
    count: int  # unrounded: for staff
    shown: str  # as members see it: 0, "*", or rounded to the nearest 5
    share: str  # of respondents, from unrounded counts; "*" when suppressed


@dataclass(frozen=True)
class PollResults:
    respondents: int
    respondents_shown: str
    options: tuple[OptionResult, ...]

    @property
    def is_all_suppressed(self) -> bool:
        return all(option.share in ("*", "") for option in self.options)


def tally(options: Sequence[tuple[int, str]], choices: Iterable[tuple[int, int]]) -> PollResults:
    """Results from (option id, label) pairs in order and (response id, option id) choices.
    A share is the part of respondents who chose the option, so a multiple-choice poll's
    shares may add up to more than 100%. A pair given twice counts once (the database's key)."""
    known = {option_id for option_id, _ in options}
    counts: dict[int, int] = dict.fromkeys(known, 0)
    respondents: set[int] = set()
    for response_id, option_id in set(choices):
        if option_id not in known:
            raise ValueError(f"option {option_id} is not one of this poll's")
        counts[option_id] += 1
        respondents.add(response_id)
    return PollResults(
        respondents=len(respondents),
        respondents_shown=suppress_count(len(respondents)),
        options=tuple(
            OptionResult(
                label=label,
                count=counts[option_id],
                shown=suppress_count(counts[option_id]),
                share=suppress_rate(counts[option_id], len(respondents)).rate,
            )
            for option_id, label in options
        ),
    )


def counts_shown(counts: Mapping[str, int]) -> dict[str, str]:
    """Any named counts as they may be published (the monthly report's suggestion figures)."""
    return {name: suppress_count(count) for name, count in counts.items()}
