"""What the commissioner reports count, as data: periods, the measure pair, age bands, labels.

Pure: no Flask, no database. The SQL in `webapp.reports.aggregates` reads its thresholds from
here, and here reads them from `questionnaires.measures` (DOMAIN.md section 4), so a cut-off or a
reliable-change amount lives in one place. The problem descriptor -> anxiety measure mapping is
`questionnaires.measures.ANXIETY_MEASURE_FOR`; episodes carry no descriptor yet, so every
episode's pair is the default, PHQ-9 + GAD-7 (`measure_pair(None)`). When the assessment record
gains a descriptor, the aggregates take the pair per descriptor from `measure_pair`.

Periods are calendar months and quarters in UTC: an event belongs to the period its UTC time (or,
for a referral's end, its date) falls in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from questionnaires.measures import (
    PHQ9,
    OutcomeMeasure,
    ProblemDescriptor,
    Threshold,
    anxiety_measure_for,
)
from webapp.pathway.episode import (
    ATTENDED_CODES,
    FINISHED_MINIMUM,
    WITHIN_6_WEEKS_DAYS,
    WITHIN_18_WEEKS_DAYS,
    AppointmentType,
)

__all__ = [
    "AGE_BANDS",
    "ATTENDED_CODES",
    "FINISHED_MINIMUM",
    "TREATMENT_TYPES",
    "WITHIN_6_WEEKS_DAYS",
    "WITHIN_18_WEEKS_DAYS",
    "Period",
    "measure_pair",
]

TREATMENT_TYPES = tuple(t.value for t in AppointmentType if t.is_treatment)
DNA_CODE = "3"
DNA_DENOMINATOR_CODES = ("5", "6", "7", "3")  # DOMAIN.md section 4: not cancelled in advance
PATIENT_CANCELLED_CODE = "2"
PROVIDER_CANCELLED_CODE = "4"
OUTCOME_CODES = ("2", "3", "4", "5", "6", "7")  # every code but "0" (future)
ATTENDANCE_LABELS = {
    "5": "Attended on time",
    "6": "Arrived late but seen",
    "7": "Arrived late and not seen",
    "2": "Cancelled by or for the patient",
    "3": "Did not attend without warning",
    "4": "Cancelled or postponed by the provider",
}

# Age at referral (years, inclusive lower bounds). Under-16s never become referrals.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (16, "16 to 17"),
    (18, "18 to 24"),
    (25, "25 to 34"),
    (35, "35 to 44"),
    (45, "45 to 54"),
    (55, "55 to 64"),
    (65, "65 and over"),
)
SESSION_COUNT_BANDS = (1, 2, 3, 4, 5, 6)  # "6" means 6 or more sessions in the period
NOT_ANSWERED = "Not answered"


def measure_pair(descriptor: ProblemDescriptor | str | None = None) -> tuple[OutcomeMeasure, ...]:
    """The depression and anxiety measures of the pair for a descriptor (None: the default)."""
    return (PHQ9, anxiety_measure_for(descriptor))


DEFAULT_PAIR = measure_pair(None)


def cut_off(found: OutcomeMeasure) -> Decimal:
    """The measure's caseness cut-off; ValueError for one that cannot be in a pair."""
    if found.cut_off is None or found.reliable_change is None:
        raise ValueError(f"{found.code} cannot be in the measure pair")
    if found.threshold is not Threshold.AT_OR_ABOVE:
        raise ValueError(f"{found.code}: only 'at or above' cut-offs are aggregated in SQL")
    return found.cut_off


def provisional_note(to_date: date) -> str:
    """For a period still running, so that nobody files its figures as final."""
    return f" (provisional: to {to_date.day} {to_date:%B %Y}, the period is not over)"


@dataclass(frozen=True)
class Period:
    """A calendar month or quarter: `start` inclusive, `end` exclusive (dates, UTC)."""

    kind: str  # "monthly" or "quarterly"
    start: date
    end: date

    @property
    def key(self) -> str:
        if self.kind == "monthly":
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return f"{self.start:%B %Y}"
        quarter = (self.start.month - 1) // 3 + 1
        return f"Quarter {quarter} {self.start.year} ({self.start:%B} to {self.last_day:%B %Y})"

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def starts_at(self) -> datetime:
        return datetime(self.start.year, self.start.month, 1, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        return datetime(self.end.year, self.end.month, 1, tzinfo=UTC)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 2000 <= year <= 2100 or not 1 <= month <= 12:
            raise ValueError(f"no such month: {year}-{month}")
        end = date(year + month // 12, month % 12 + 1, 1)
        return cls("monthly", date(year, month, 1), end)

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValueError(f"no such quarter: {year}-Q{quarter}")
        first = cls.month(year, 3 * quarter - 2)
        last = cls.month(year, 3 * quarter)
        return cls("quarterly", first.start, last.end)

    @classmethod
    def parse(cls, kind: str, text: str) -> Period:
        """`YYYY-MM` for a month, `YYYY-Qn` for a quarter; ValueError otherwise."""
        if kind == "monthly" and (match := re.fullmatch(r"(\d{4})-(\d{2})", text)):
            return cls.month(int(match[1]), int(match[2]))
        if kind == "quarterly" and (match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text)):
            return cls.quarter(int(match[1]), int(match[2]))
        expected = "YYYY-MM" if kind == "monthly" else "YYYY-Qn"
        raise ValueError(f"{text!r} is not a {kind} period ({expected})")


def recent_months(today: date, count: int = 6) -> list[Period]:
    """This month and the ones before it, newest first (the reports page offers these)."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(Period.month(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def recent_quarters(today: date, count: int = 4) -> list[Period]:
    """This quarter and the ones before it, newest first."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarters = []
    for _ in range(count):
        quarters.append(Period.quarter(year, quarter))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return quarters
