"""A commissioner report as published values: sections of tables, every figure already suppressed.

Pure: values in, values out. `webapp.reports.aggregates` computes the unrounded figures (SQL
aggregates) and builds a `Report` with `table(...)`; from then on only published strings exist,
so nothing downstream (screen, CSV, XLSX, JSON, charts) can leak a small number. Suppression is
DOMAIN.md section 4: 0 as "0", 1 to 4 as "*", others to the nearest 5; rates, means and medians
from unrounded figures, "*" when their numerator, denominator or base is suppressed.

The JSON shape (`Report.to_json`) is documented in `webapp/reports/README.md` and is stable:
version it (`SCHEMA`) before changing a key.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import xlsxwriter

from webapp.exports import safe_cell
from webapp.reports.definitions import Period, provisional_note
from webapp.reports.suppression import (
    suppress_count,
    suppress_rate,
    suppress_share,
    suppress_statistic,
)

SCHEMA = "talking-therapies/commissioner-report/1"
SUPPRESSION_NOTE = (
    "Counts of 1 to 4 are shown as *, other counts are rounded to the nearest 5; rates, means "
    "and medians come from the unrounded figures and are shown as * when a figure they rest on "
    "is hidden."
)


@dataclass(frozen=True)
class Rate:
    """An unrounded proportion, published as a percentage. `of_parts`: the numerators are parts
    that add up to the denominator (a poll's options), so the share is of the rounded figures
    (`suppression.suppress_share`)."""

    numerator: int
    denominator: int
    of_parts: bool = False


@dataclass(frozen=True)
class Statistic:
    """An unrounded mean or median over `based_on` records."""

    value: float | None
    based_on: int
    places: int = 1


Raw = int | Rate | Statistic | str
"""A cell before publication: a count, a rate, a statistic, or plain text (a row's own words)."""


def publish(cell: Raw) -> str:
    if isinstance(cell, bool):
        raise ValueError("a cell cannot be a bool")
    if isinstance(cell, int):
        return suppress_count(cell)
    if isinstance(cell, Rate) and cell.of_parts:
        return suppress_share(cell.numerator, cell.denominator)
    if isinstance(cell, Rate):
        return suppress_rate(cell.numerator, cell.denominator).rate
    if isinstance(cell, Statistic):
        return suppress_statistic(cell.value, cell.based_on, places=cell.places)
    return cell


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "count"  # count, rate, statistic or text: how the column reads


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]  # the first column is the row label
    rows: tuple[tuple[str, ...], ...]  # published strings, one per column
    chart: str | None = None  # the column key drawn beside the table, if any
    note: str = ""

    def column(self, key: str) -> list[str]:
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]

    def cell(self, label: str, key: str) -> str:
        index = [c.key for c in self.columns].index(key)
        for row in self.rows:
            if row[0] == label:
                return row[index]
        raise KeyError(label)


def table(
    key: str,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[tuple[str, Sequence[Raw]]],
    *,
    chart: str | None = None,
    note: str = "",
) -> Table:
    """A table whose rows are a label and raw cells, published here."""
    if not columns or columns[0].kind != "text":
        raise ValueError("the first column is the row label")
    published = []
    for label, cells in rows:
        if len(cells) != len(columns) - 1:
            raise ValueError(f"{key}: row {label!r} has {len(cells)} cells")
        published.append((label, *(publish(cell) for cell in cells)))
    if chart is not None and chart not in {c.key for c in columns[1:]}:
        raise ValueError(f"{key}: no column {chart!r} to chart")
    return Table(key, title, tuple(columns), tuple(published), chart, note)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    tables: tuple[Table, ...]
    note: str = ""


@dataclass(frozen=True)
class Report:
    period: Period
    generated_at: datetime
    sections: tuple[Section, ...] = field(default_factory=tuple)

    @property
    def is_provisional(self) -> bool:
        """Made before its period ended: the figures so far, not the period's."""
        return self.generated_at.date() < self.period.end

    @property
    def title(self) -> str:
        name = "Monthly report" if self.period.kind == "monthly" else "Quarterly outcomes report"
        note = provisional_note(self.generated_at.date()) if self.is_provisional else ""
        return f"{name}: {self.period.label}{note}"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def table(self, key: str) -> Table:
        return next(t for s in self.sections for t in s.tables if t.key == key)

    def to_json(self) -> dict[str, Any]:
        """The documented, stable shape (webapp/reports/README.md)."""
        return {
            "schema": SCHEMA,
            "kind": self.period.kind,
            "period": {
                "key": self.period.key,
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end": self.period.last_day.isoformat(),
            },
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "suppression": SUPPRESSION_NOTE,
            "sections": [
                {
                    "key": section.key,
                    "title": section.title,
                    "note": section.note,
                    "tables": [
                        {
                            "key": t.key,
                            "title": t.title,
                            "note": t.note,
                            "columns": [
                                {"key": c.key, "title": c.title, "kind": c.kind} for c in t.columns
                            ],
                            "rows": [
                                dict(zip((c.key for c in t.columns), row, strict=True))
                                for row in t.rows
                            ],
                        }
                        for t in section.tables
                    ],
                }
                for section in self.sections
            ],
        }


def rows(report: Report) -> list[list[str]]:
    """The report as spreadsheet rows, every cell guarded against formula injection."""
    out: list[list[object]] = [
        [report.title],
        [f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC"],
        [SUPPRESSION_NOTE],
    ]
    for section in report.sections:
        out += [[], [section.title]]
        if section.note:
            out.append([section.note])
        for t in section.tables:
            out += [[], [t.title]]
            if t.note:
                out.append([t.note])
            out.append([c.title for c in t.columns])
            out += [list(row) for row in t.rows]
    return [[str(safe_cell(cell)) for cell in row] for row in out]


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows(report))
    return buffer.getvalue()


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _write_cell(sheet: Any, line: int, column: int, cell: object) -> None:
    """A figure as a number (so a spreadsheet can sum and chart it); "*" and words as text."""
    text = str(safe_cell(cell))
    if NUMBER.fullmatch(text):
        sheet.write_number(line, column, float(text) if "." in text else int(text))
    else:
        sheet.write_string(line, column, text)


def to_xlsx(report: Report) -> bytes:
    """One sheet per section; figures are numbers, suppressed ones "*"."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True})
    for section in report.sections:
        sheet = workbook.add_worksheet(section.title[:31])
        line = 0
        sheet.write_string(line, 0, str(safe_cell(f"{report.title}: {section.title}")), bold)
        line += 2
        for t in section.tables:
            sheet.write_string(line, 0, str(safe_cell(t.title)), bold)
            line += 1
            for column, heading in enumerate(t.columns):
                sheet.write_string(line, column, str(safe_cell(heading.title)), bold)
            line += 1
            for row in t.rows:
                for column, cell in enumerate(row):
                    _write_cell(sheet, line, column, cell)
                line += 1
            line += 1
        sheet.set_column(0, 0, 44)
        sheet.set_column(1, 12, 16)
    notes = workbook.add_worksheet("About")
    notes.write_string(0, 0, str(safe_cell(report.title)), bold)
    notes.write_string(1, 0, SUPPRESSION_NOTE)
    workbook.close()
    return buffer.getvalue()
