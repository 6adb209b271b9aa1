"""The statement's values and files (pure): months, totals, and spreadsheet-safe cells."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.reports.statement import (
    ReasonTotal,
    SessionLine,
    Statement,
    month_bounds,
    table,
    to_csv,
    to_xlsx,
)

STATEMENT = Statement(
    year=2026,
    month=4,
    sessions=(
        SessionLine(7, datetime(2026, 4, 2, 9, tzinfo=UTC), "attended", True, "attended"),
        SessionLine(
            8, datetime(2026, 4, 3, 9, tzinfo=UTC), "therapist_dna", False, "therapist_dna"
        ),
        SessionLine(9, datetime(2026, 4, 4, 9, tzinfo=UTC), "=HYPERLINK()", True, "-cmd"),
    ),
    by_reason=(
        ReasonTotal("attended", True, 1),
        ReasonTotal("-cmd", True, 1),
        ReasonTotal("therapist_dna", False, 1),
    ),
    funded=8,
    used=3,
    returned=1,
)


def test_totals_split_charged_from_not_charged():
    assert (STATEMENT.charged, STATEMENT.not_charged) == (2, 1)
    assert STATEMENT.title == "April 2026"


def test_reason_totals_read_as_the_charging_rules_say():
    assert STATEMENT.by_reason[0].text.startswith("The session took place")
    assert STATEMENT.by_reason[1].text == "-cmd"  # an unknown code shows as itself


@pytest.mark.parametrize(
    ("year", "month", "end"),
    [(2026, 1, datetime(2026, 2, 1, tzinfo=UTC)), (2026, 12, datetime(2027, 1, 1, tzinfo=UTC))],
)
def test_month_bounds_run_to_the_next_month(year, month, end):
    assert month_bounds(year, month) == (datetime(year, month, 1, tzinfo=UTC), end)


@given(st.integers(min_value=2000, max_value=2100), st.integers(min_value=1, max_value=12))
def test_every_month_is_one_calendar_month_long(year, month):
    start, end = month_bounds(year, month)
    assert 28 <= (end - start).days <= 31 and end.day == 1


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (1999, 5), (2101, 1)])
def test_impossible_months_are_refused(year, month):
    with pytest.raises(ValueError, match="no such statement month"):
        month_bounds(year, month)


def test_formula_like_cells_are_guarded_in_every_file():
    cells = [cell for row in table(STATEMENT) for cell in row]
    assert "'=HYPERLINK()" in cells and "'-cmd" in cells
    rows = list(csv.reader(io.StringIO(to_csv(STATEMENT))))
    assert ["9", "2026-04-04 09:00", "'=HYPERLINK()", "Yes", "'-cmd"] in rows
    assert ["Sessions funded", "", "8"] in rows and ["Total charged", "", "2"] in rows


def test_the_xlsx_is_a_workbook_with_guarded_strings_and_no_formulas():
    data = to_xlsx(STATEMENT)
    with zipfile.ZipFile(io.BytesIO(data)) as workbook:
        strings = workbook.read("xl/sharedStrings.xml").decode()
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert "&apos;=HYPERLINK()" in strings or "'=HYPERLINK()" in strings
    assert "<f>" not in sheet
