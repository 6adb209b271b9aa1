"""Unrounded figures grouped by equality dimensions, as SQL returns them, folded in Python.

Pure. A query groups by every dimension at once (age band, gender, ethnic code, ...) and sums
its measures per group; `Grouped` then adds those aggregate rows up per dimension, so one query
gives the whole figure and every breakdown. Sums of counts fold exactly; medians do not, so
those are computed apart in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from webapp.referral.codes import (
    EMPLOYMENT_STATUSES,
    ETHNIC_GROUPS,
    GENDERS,
    HEARD_ABOUT,
    ISSUE_TYPES,
    LIVING_STATUSES,
    SOURCES,
)
from webapp.reports.definitions import AGE_BANDS, ATTENDANCE_LABELS, NOT_ANSWERED


@dataclass(frozen=True)
class Dimension:
    key: str
    title: str
    labels: Mapping[str, str]  # code -> label, in the order rows are shown

    def label(self, code: object) -> str:
        if code is None or code == "":
            return NOT_ANSWERED
        return self.labels.get(str(code), str(code))

    def order(self) -> list[str]:
        seen: list[str] = []
        for text in [*self.labels.values(), NOT_ANSWERED]:
            if text not in seen:
                seen.append(text)
        return seen


def _same(*labels: str) -> Mapping[str, str]:
    return MappingProxyType({text: text for text in labels})


AGE_BAND = Dimension("age_band", "Age band", _same(*(label for _, label in AGE_BANDS)))
GENDER = Dimension("gender", "Gender", GENDERS)
ETHNICITY = Dimension("ethnicity", "Ethnic group", ETHNIC_GROUPS)
SOURCE = Dimension("source", "Source of referral", SOURCES)
ISSUE = Dimension("issue", "Type of issue", ISSUE_TYPES)
EMPLOYMENT = Dimension("employment", "Employment status", EMPLOYMENT_STATUSES)
LIVING = Dimension("living", "Living status", LIVING_STATUSES)
HEARD = Dimension("heard_about", "How they heard of the service", HEARD_ABOUT)
ATTENDANCE = Dimension("attendance", "Attendance", ATTENDANCE_LABELS)
EQUALITY = (AGE_BAND, GENDER, ETHNICITY)


@dataclass(frozen=True)
class Grouped:
    """Aggregate rows: each a mapping of dimension key -> code and measure key -> sum."""

    dimensions: tuple[Dimension, ...]
    measures: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...] = field(default_factory=tuple)

    @classmethod
    def of(
        cls,
        dimensions: Sequence[Dimension],
        measures: Sequence[str],
        rows: Iterable[Sequence[object]],
    ) -> Grouped:
        return cls(tuple(dimensions), tuple(measures), tuple(tuple(row) for row in rows))

    def _measure(self, row: tuple[object, ...], key: str) -> int:
        value = row[len(self.dimensions) + self.measures.index(key)]
        if value is None:
            return 0
        if not isinstance(value, int | float | str):  # SQL sums arrive as int or Decimal
            value = str(value)
        return int(value)

    def total(self, key: str) -> int:
        return sum(self._measure(row, key) for row in self.rows)

    def by(self, dimension: Dimension, key: str) -> dict[str, int]:
        """The measure summed per label of a dimension, in the dimension's order (zeros kept)."""
        index = [d.key for d in self.dimensions].index(dimension.key)
        sums = dict.fromkeys(dimension.order(), 0)
        for row in self.rows:
            label = dimension.label(row[index])
            sums[label] = sums.get(label, 0) + self._measure(row, key)
        return sums
