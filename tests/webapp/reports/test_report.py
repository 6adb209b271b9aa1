"""Pure: publication of raw cells, the report's files, periods and charts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from webapp.reports.charts import bar_chart, charts
from webapp.reports.definitions import (
    Period,
    cut_off,
    measure_pair,
    recent_months,
    recent_quarters,
)
from webapp.reports.report import (
    Column,
    Rate,
    Report,
    Section,
    Statistic,
    publish,
    table,
    to_csv,
    to_xlsx,
)

LABEL = Column("label", "", "text")


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        (0, "0"),
        (1, "*"),
        (4, "*"),
        (5, "5"),
        (7, "5"),
        (8, "10"),
        (Rate(1, 4), "*"),
        (Rate(10, 20), "50.0%"),
        (Rate(0, 0), ""),
        (Rate(5, 6), "83.3%"),  # from unrounded figures, though 6 is shown as 5
        (Statistic(20.0, 5), "20.0"),
        (Statistic(20.0, 3), "*"),
        (Statistic(None, 0), ""),
        ("Yes", "Yes"),
    ],
)
def test_cells_are_published_suppressed(cell, shown):
    assert publish(cell) == shown


def test_a_bool_is_not_a_count():
    with pytest.raises(ValueError, match="bool"):
        publish(True)


def test_a_table_checks_its_shape():
    with pytest.raises(ValueError, match="row label"):
        table("t", "T", (Column("n", "N"),), [])
    with pytest.raises(ValueError, match="cells"):
        table("t", "T", (LABEL, Column("n", "N")), [("a", (1, 2))])
    with pytest.raises(ValueError, match="chart"):
        table("t", "T", (LABEL, Column("n", "N")), [("a", (1,))], chart="x")


def _report() -> Report:
    t = table(
        "people",
        "People",
        (LABEL, Column("n", "Number"), Column("rate", "Rate", "rate")),
        [("=HYPERLINK(1)", (12, Rate(6, 12))), ("Few", (3, Rate(1, 3)))],
        chart="n",
    )
    return Report(
        Period.month(2026, 4), datetime(2026, 5, 1, tzinfo=UTC), (Section("s", "Section", (t,)),)
    )


def test_files_guard_against_formula_injection_and_hold_only_published_figures():
    rows = list(csv.reader(io.StringIO(to_csv(_report()))))
    assert ["'=HYPERLINK(1)", "10", "50.0%"] in rows
    assert ["Few", "*", "*"] in rows
    assert to_xlsx(_report())[:2] == b"PK"


def test_a_chart_draws_published_figures_with_a_title_and_description():
    chart = bar_chart(_report().table("people"))
    assert chart is not None
    assert chart.svg.startswith('<svg role="img"')
    assert "<title>People: number</title>" in chart.svg
    assert "<desc>=HYPERLINK(1): 10; Few: *</desc>" in chart.svg
    assert chart.data_uri.startswith("data:image/svg+xml;base64,")
    assert "12" not in chart.description


def test_tables_without_a_chart_or_data_have_none():
    empty = table("e", "E", (LABEL, Column("n", "N")), [("a", ("",))], chart="n")
    plain = table("p", "P", (LABEL, Column("n", "N")), [("a", (1,))])
    assert charts([empty, plain]) == {}


def test_a_rate_chart_runs_to_100_percent():
    t = table("r", "R", (LABEL, Column("r", "Rate", "rate")), [("a", (Rate(5, 10),))], chart="r")
    chart = bar_chart(t)
    assert chart is not None and "50.0%" in chart.description


@pytest.mark.parametrize(
    ("kind", "text", "start", "end", "label"),
    [
        ("monthly", "2026-04", date(2026, 4, 1), date(2026, 5, 1), "April 2026"),
        ("monthly", "2026-12", date(2026, 12, 1), date(2027, 1, 1), "December 2026"),
        ("quarterly", "2026-Q1", date(2026, 1, 1), date(2026, 4, 1),
         "Quarter 1 2026 (January to March 2026)"),
        ("quarterly", "2026-q4", date(2026, 10, 1), date(2027, 1, 1),
         "Quarter 4 2026 (October to December 2026)"),
    ],
)  # fmt: skip
def test_periods_parse_and_are_named(kind, text, start, end, label):
    period = Period.parse(kind, text)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert period.key == text.upper()


@pytest.mark.parametrize(
    ("kind", "text"),
    [("monthly", "2026-4"), ("monthly", "2026-13"), ("quarterly", "2026-Q5"), ("quarterly", "x")],
)
def test_malformed_periods_are_refused(kind, text):
    with pytest.raises(ValueError):  # noqa: PT011 - each message names the period
        Period.parse(kind, text)


def test_the_default_pair_and_a_measure_that_cannot_be_paired():
    phq9, gad7 = measure_pair(None)
    assert (phq9.code, gad7.code, cut_off(phq9), cut_off(gad7)) == ("phq9", "gad7", 10, 8)
    with pytest.raises(ValueError, match="cannot be in the measure pair"):
        cut_off(measure_pair("health_anxiety")[1])
    with pytest.raises(ValueError, match="at or above"):
        cut_off(measure_pair("agoraphobia")[1])


def test_recent_months_and_quarters_run_back_across_the_new_year():
    months = recent_months(date(2026, 2, 14), 4)
    assert [(p.start.year, p.start.month) for p in months] == [
        (2026, 2),
        (2026, 1),
        (2025, 12),
        (2025, 11),
    ]
    quarters = recent_quarters(date(2026, 2, 14), 3)
    assert [(p.start.year, p.start.month) for p in quarters] == [(2026, 1), (2025, 10), (2025, 7)]
