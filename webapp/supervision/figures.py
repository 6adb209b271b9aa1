"""What outcome-focused supervision shows, as data: the figures, the period they cover, their
rates, and the checks on a supervision meeting's record.

Pure: no Flask, no database. The national meanings (attended, DNA rate, finished, recovery,
reliable improvement) are not re-derived here: the SQL in `webapp.supervision.queries` reuses the
commissioner reports' definitions (`webapp.reports.aggregates`), and "no reliable improvement
after N treatment sessions" is `webapp.pathway.episode.needs_review`.

Figures are of two kinds. Some describe now (the open caseload, episodes needing review, risk
flags not yet acknowledged, credentials): they ignore the period. The rest count what happened in
the period: whole calendar months (UTC), the current one included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

PERIOD_MONTHS = (1, 3, 6, 12)
DEFAULT_MONTHS = 3
LOW_RATING_TOTAL = 36  # a Session Rating Scale total of 36 or less is a concern (DOMAIN.md)
MAX_ACTIONS_CHARS = 5000
OLDEST_MEETING_DAYS = 366  # a meeting is recorded within a year of it happening


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    explanation: str
    now: bool = False  # describes the present, not the period
    has_episodes: bool = True  # a list of the episodes behind it can be shown


FIGURES: tuple[Figure, ...] = (
    Figure("caseload", "Caseload", "Open care episodes.", now=True),
    Figure("sessions", "Sessions delivered", "Appointments attended (codes 5 and 6)."),
    Figure(
        "dna",
        "Did not attend",
        "Appointments not attended without warning (code 3), of those not cancelled in advance "
        "(codes 5, 6, 7 and 3).",
    ),
    Figure(
        "cancelled",
        "Cancelled",
        "Appointments cancelled by or for the patient (code 2) or by the provider (code 4), of "
        "all appointments with an outcome (codes 2 to 7).",
    ),
    Figure(
        "finished",
        "Finished courses",
        "Episodes that ended with at least 2 treatment sessions.",
    ),
    Figure(
        "recovered",
        "Recovered",
        "Finished courses that started at caseness and ended below it on both measures, of "
        "finished courses that started at caseness (or lack paired scores).",
    ),
    Figure(
        "improved",
        "Reliably improved",
        "Finished courses with a reliable fall on either measure and a reliable rise on neither, "
        "of all finished courses.",
    ),
    Figure(
        "no_improvement",
        "No reliable improvement",
        "Open episodes with no reliable improvement on PHQ-9 or GAD-7 after the set number of "
        "treatment sessions.",
        now=True,
    ),
    Figure(
        "risk_flags",
        "Risk flags not acknowledged",
        "Risk flags raised by questionnaire answers that no clinician has acknowledged yet.",
        now=True,
    ),
    Figure(
        "low_ratings",
        "Low session ratings",
        f"Session Rating Scale totals of {LOW_RATING_TOTAL} or less.",
    ),
    Figure(
        "late_records",
        "Session records late or missing",
        "Session records filed after the 10-minute window, and attended sessions with no record.",
    ),
    Figure(
        "credentials",
        "Credentials needing attention",
        "Credentials missing, expired or expiring within the warning period.",
        now=True,
        has_episodes=False,
    ),
)
FIGURE_KEYS = tuple(figure.key for figure in FIGURES)
EPISODE_FIGURES = tuple(figure.key for figure in FIGURES if figure.has_episodes)
# The denominator each rate is taken over (counted like any other figure, but never shown alone).
DENOMINATORS: Mapping[str, str] = {
    "dna": "dna_base",
    "cancelled": "booked",
    "recovered": "recovery_base",
    "improved": "finished",
}
COUNTED = (*FIGURE_KEYS, *sorted(set(DENOMINATORS.values()) - set(FIGURE_KEYS)))


def figure(key: str) -> Figure:
    """The figure with this key; KeyError for any other."""
    for found in FIGURES:
        if found.key == key:
            return found
    raise KeyError(key)


@dataclass(frozen=True)
class Window:
    """Whole calendar months, the current one included: `start` inclusive, `end` exclusive."""

    months: int
    start: date
    end: date

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        if self.months == 1:
            return f"{self.start:%B %Y}"
        if self.start.year == last.year:
            return f"{self.start:%B} to {last:%B %Y}"
        return f"{self.start:%B %Y} to {last:%B %Y}"


def window(today: date, months: int = DEFAULT_MONTHS) -> Window:
    """The `months` calendar months up to and including today's. ValueError unless `months` is
    one of PERIOD_MONTHS."""
    if months not in PERIOD_MONTHS:
        raise ValueError(f"choose a period of {', '.join(map(str, PERIOD_MONTHS))} months")
    end = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    index = today.year * 12 + today.month - 1 - (months - 1)
    return Window(months, date(index // 12, index % 12 + 1, 1), end)


def parse_months(text: str | None) -> int:
    """The period length a query string asks for; the default for anything unrecognised."""
    try:
        months = int(text or "")
    except ValueError:
        return DEFAULT_MONTHS
    return months if months in PERIOD_MONTHS else DEFAULT_MONTHS


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        if self.denominator <= 0:
            return None
        return 100.0 * self.numerator / self.denominator

    @property
    def text(self) -> str:
        percent = self.percent
        if percent is None:
            return "No data"
        return f"{percent:.0f}% ({self.numerator} of {self.denominator})"


@dataclass(frozen=True)
class Counts:
    """One therapist's (or the whole service's) count per key of COUNTED."""

    values: Mapping[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        if key not in COUNTED:
            raise KeyError(key)
        return int(self.values.get(key, 0))

    def rate(self, key: str) -> Rate | None:
        """The rate a figure is shown as, or None for a figure that is a plain count."""
        base = DENOMINATORS.get(key)
        return None if base is None else Rate(self[key], self[base])

    @property
    def needs_attention(self) -> bool:
        """Anything a supervisor should look at: an unacknowledged risk flag, a review due, a
        low rating, a late record or a credential problem."""
        return any(
            self[key] > 0
            for key in (
                "no_improvement",
                "risk_flags",
                "low_ratings",
                "late_records",
                "credentials",
            )
        )


def total(counts: Iterable[Counts]) -> Counts:
    """The whole service's counts: the sum of every therapist's (and the unallocated)."""
    summed: dict[str, int] = dict.fromkeys(COUNTED, 0)
    for each in counts:
        for key in COUNTED:
            summed[key] += each[key]
    return Counts(summed)


@dataclass(frozen=True)
class Frequency:
    """How often one therapist was supervised: meetings in the period, and the last one."""

    meetings: int
    last: date | None


def frequency(dates: Iterable[date], start: date, end: date) -> Frequency:
    """Meetings on [start, end) and the latest meeting on or before the end (of any date)."""
    held = [day for day in dates if day < end]
    return Frequency(
        meetings=sum(1 for day in held if day >= start), last=max(held) if held else None
    )


def meeting_problems(
    *,
    met_on: date | None,
    met_on_entered: bool = False,
    today: date,
    supervisor_id: int | None,
    therapist_id: int,
    supervisor_choices: Iterable[int],
    case_ids: Sequence[int],
    case_choices: Iterable[int],
    agreed_actions: str,
) -> dict[str, str]:
    """What is wrong with a supervision meeting as entered, field by field (empty: nothing).

    The date is not in the future and not more than a year ago; the supervisor is a listed one
    and not the therapist; every case is one of the therapist's own episodes, at least one; the
    agreed actions are written down and not overlong."""
    problems: dict[str, str] = {}
    if met_on is None and met_on_entered:  # something, but not a real date in that form
        problems["met_on"] = "Enter the date as year, month and day, like 2027-03-31"
    elif met_on is None:
        problems["met_on"] = "Enter the date of the meeting"
    elif met_on > today:
        problems["met_on"] = "The date of the meeting must be today or in the past"
    elif (today - met_on).days > OLDEST_MEETING_DAYS:
        problems["met_on"] = "The date of the meeting must be within the last year"
    if supervisor_id is None or supervisor_id not in set(supervisor_choices):
        problems["supervisor_id"] = "Select the supervisor"
    elif supervisor_id == therapist_id:
        problems["supervisor_id"] = "The supervisor must be someone other than the therapist"
    allowed = set(case_choices)
    if not case_ids:
        problems["cases"] = "Select at least one case discussed"
    elif any(case not in allowed for case in case_ids):
        problems["cases"] = "Select cases from this therapist’s own episodes"
    if not agreed_actions.strip():
        problems["agreed_actions"] = "Enter the actions agreed"
    elif len(agreed_actions) > MAX_ACTIONS_CHARS:
        problems["agreed_actions"] = (
            f"The actions agreed must be {MAX_ACTIONS_CHARS:,} characters or fewer"
        )
    return problems
