"""Episode outcomes: the measure pair, caseness at the start, recovery and reliable change.

Pure: no Flask, no database. Every definition here is DOMAIN.md section 4 ("National metrics"),
computed exactly so; the measures' figures are data in ``questionnaires.measures``.

Callers pass each measure's first score and its last score. The last must come from a later contact
than the first (DOMAIN.md section 4: "its last is the last one recorded at a later contact"), so a
measure scored only once appears in ``first`` and not in ``last``. ``None`` means "no score".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from questionnaires.measures import (
    GAD7,
    PHQ9,
    OutcomeMeasure,
    ProblemDescriptor,
    Score,
    anxiety_measure_for,
    measure,
)

Scores = Mapping[str, Score | None]
"""Scores by outcome-measure code, e.g. ``{"phq9": 14, "gad7": 9}``."""

RISE_FLAG_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "phq9_reliable_rise": (
            "PHQ-9 (depression) score has risen by 6 or more points since the last "
            "pre-session questionnaires."
        ),
        "gad7_reliable_rise": (
            "GAD-7 (anxiety) score has risen by 4 or more points since the last "
            "pre-session questionnaires."
        ),
    }
)
"""Risk flags raised by ``reliable_rises_since``, with plain-English descriptions."""


@dataclass(frozen=True)
class EpisodeOutcome:
    """One episode of care judged by the national definitions (DOMAIN.md section 4).

    ``anxiety_measure`` is the code of the pair's anxiety measure actually used: the descriptor's
    disorder-specific measure when it has paired scores, else GAD-7. ``paired`` is whether both
    measures of that pair have a first and a last score. Outcome booleans are False for courses
    not finished and for courses without paired scores.
    """

    finished: bool
    paired: bool
    anxiety_measure: str
    at_caseness_start: bool
    recovered: bool
    reliable_improvement: bool
    reliable_deterioration: bool
    reliable_recovery: bool

    @property
    def in_recovery_denominator(self) -> bool:
        """Counted in the recovery rate's denominator: finished − not at caseness at the start.

        A finished course with no paired scores stays in (DOMAIN.md section 4: "only demonstrated
        recovery is claimed"), whatever any unpaired first score says.
        """
        return self.finished and (self.at_caseness_start or not self.paired)


def _checked(scores: Scores, which: str) -> dict[str, Score]:
    """The scores given, validated, with "no score" (None) left out."""
    checked: dict[str, Score] = {}
    for code, score in scores.items():
        found = measure(code)
        if score is not None:
            try:
                found.as_decimal(score)
            except ValueError as error:
                raise ValueError(f"{which} score: {error}") from None
            checked[code] = score
    return checked


def _pair_anxiety_measure(
    descriptor: ProblemDescriptor | str | None,
    first: Mapping[str, Score],
    last: Mapping[str, Score],
) -> OutcomeMeasure:
    specific = anxiety_measure_for(descriptor)
    if specific.is_usable_in_pair and specific.code in first and specific.code in last:
        return specific
    # DOMAIN.md section 4: the disorder-specific measure is used only when it has paired scores.
    return GAD7


def _is_caseness(found: OutcomeMeasure, score: Score | None) -> bool:
    return score is not None and found.is_caseness(score)


def classify_episode(
    first: Scores,
    last: Scores,
    finished: bool,
    *,
    descriptor: ProblemDescriptor | str | None = None,
) -> EpisodeOutcome:
    """Judge one episode: caseness at the start, recovery and reliable change.

    ``first`` and ``last`` map outcome-measure codes to first and last scores (either may lack a
    measure); ``finished`` is whether the course was finished (ended with at least 2 treatment
    sessions); ``descriptor`` picks the anxiety measure (None: GAD-7). ``ValueError`` for an
    unknown measure or descriptor, or a score of the wrong type or out of range.
    """
    if type(finished) is not bool:
        raise ValueError(f"finished must be a bool, not {type(finished).__name__}")
    first_scores = _checked(first, "first")
    last_scores = _checked(last, "last")
    anxiety = _pair_anxiety_measure(descriptor, first_scores, last_scores)
    pair = (PHQ9, anxiety)
    paired = all(m.code in first_scores and m.code in last_scores for m in pair)
    at_caseness_start = any(_is_caseness(m, first_scores.get(m.code)) for m in pair)
    recovered = improved = deteriorated = False
    if finished and paired:
        rises = [m.is_reliable_rise(first_scores[m.code], last_scores[m.code]) for m in pair]
        falls = [m.is_reliable_fall(first_scores[m.code], last_scores[m.code]) for m in pair]
        recovered = at_caseness_start and not any(m.is_caseness(last_scores[m.code]) for m in pair)
        # A measure cannot both rise and fall, so "a fall on either and no reliable rise on the
        # other" is "a fall on one and a rise on none".
        improved = any(falls) and not any(rises)
        deteriorated = any(rises) and not any(falls)
    return EpisodeOutcome(
        finished=finished,
        paired=paired,
        anxiety_measure=anxiety.code,
        at_caseness_start=at_caseness_start,
        recovered=recovered,
        reliable_improvement=improved,
        reliable_deterioration=deteriorated,
        reliable_recovery=recovered and improved,
    )


@dataclass(frozen=True)
class Rate:
    """A proportion kept as its counts, so reports can suppress small numbers (DOMAIN.md §4)."""

    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if not 0 <= self.numerator <= self.denominator or self.denominator == 0:
            raise ValueError(f"a rate needs 0 <= numerator <= denominator > 0, not {self}")

    @property
    def value(self) -> float:
        """The proportion, 0.0-1.0."""
        return self.numerator / self.denominator


def _rate(
    results: Iterable[EpisodeOutcome],
    counted: Callable[[EpisodeOutcome], bool],
    in_denominator: Callable[[EpisodeOutcome], bool],
) -> Rate | None:
    numerator = denominator = 0
    for result in results:
        if in_denominator(result):
            denominator += 1
            numerator += counted(result)
    return Rate(numerator, denominator) if denominator else None


def _finished(result: EpisodeOutcome) -> bool:
    return result.finished


def recovery_rate(results: Iterable[EpisodeOutcome]) -> Rate | None:
    """Recovered ÷ (finished − not at caseness at the start); None if nobody is in the denominator.

    Finished courses without paired scores count in the denominator as not recovered.
    """
    return _rate(results, lambda r: r.recovered, lambda r: r.in_recovery_denominator)


def reliable_recovery_rate(results: Iterable[EpisodeOutcome]) -> Rate | None:
    """Reliably recovered over the recovery rate's denominator; None if that is empty."""
    return _rate(results, lambda r: r.reliable_recovery, lambda r: r.in_recovery_denominator)


def reliable_improvement_rate(results: Iterable[EpisodeOutcome]) -> Rate | None:
    """Reliably improved ÷ finished courses; None if none finished."""
    return _rate(results, lambda r: r.reliable_improvement, _finished)


def reliable_deterioration_rate(results: Iterable[EpisodeOutcome]) -> Rate | None:
    """Reliably deteriorated ÷ finished courses; None if none finished."""
    return _rate(results, lambda r: r.reliable_deterioration, _finished)


def paired_completeness_rate(results: Iterable[EpisodeOutcome]) -> Rate | None:
    """Finished courses with paired scores ÷ finished courses (standard: at least 90%)."""
    return _rate(results, lambda r: r.paired, _finished)


def reliable_rise(first: Score, last: Score, measure_code: str) -> bool:
    """Whether ``measure_code`` rose from ``first`` to ``last`` by at least its reliable change."""
    return measure(measure_code).is_reliable_rise(first, last)


def reliable_fall(first: Score, last: Score, measure_code: str) -> bool:
    """Whether ``measure_code`` fell from ``first`` to ``last`` by at least its reliable change."""
    return measure(measure_code).is_reliable_fall(first, last)


def reliable_rises_since(previous_scores: Scores, current_scores: Scores) -> tuple[str, ...]:
    """Risk flags for PHQ-9 and GAD-7 rises of at least the reliable change since the last set.

    Returns codes from ``RISE_FLAG_DESCRIPTIONS`` (e.g. ``"phq9_reliable_rise"``); a measure missing
    from either mapping raises no flag. Other measures in the mappings are checked but ignored.
    """
    previous = _checked(previous_scores, "previous")
    current = _checked(current_scores, "current")
    flags: list[str] = []
    for found in (PHQ9, GAD7):
        before, now = previous.get(found.code), current.get(found.code)
        if before is not None and now is not None and found.is_reliable_rise(before, now):
            flags.append(f"{found.code}_reliable_rise")
    return tuple(flags)


def is_reliable_rise_since(previous_scores: Scores, current_scores: Scores) -> bool:
    """Whether PHQ-9 or GAD-7 rose by at least its reliable change since the last set."""
    return bool(reliable_rises_since(previous_scores, current_scores))
