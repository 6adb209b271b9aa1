"""Commissioners' pages: the reports index and the monthly charging statement (screen, CSV,
XLSX). Aggregates and appointment ids only, never a patient's name."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, render_template
from flask_login import current_user

from webapp.reports import bp, queries
from webapp.reports.statement import OUTCOME_LABELS, REASON_TEXT, Statement, to_csv, to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _recent_months(now: datetime, count: int = 6) -> list[tuple[int, int]]:
    months, year, month = [], now.year, now.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def _statement(year: int, month: int) -> Statement:
    try:
        return queries.statement(current_user.id, year, month)
    except ValueError:
        abort(404)


@bp.route("/")
def index() -> str:
    return render_template(
        "staff/reports_index.html",
        title="Reports",
        months=[datetime(y, m, 1, tzinfo=UTC) for y, m in _recent_months(datetime.now(UTC))],
    )


@bp.route("/statements/<int:year>/<int:month>")
def statement(year: int, month: int) -> str:
    return render_template(
        "reports/statement.html",
        statement=_statement(year, month),
        outcome_labels=OUTCOME_LABELS,
        reason_text=REASON_TEXT,
    )


def _download(body: str | bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/statements/<int:year>/<int:month>/csv")
def statement_csv(year: int, month: int) -> Response:
    data = _statement(year, month)
    return _download(to_csv(data), "text/csv", f"statement-{year}-{month:02d}.csv")


@bp.route("/statements/<int:year>/<int:month>/xlsx")
def statement_xlsx(year: int, month: int) -> Response:
    data = _statement(year, month)
    return _download(to_xlsx(data), XLSX, f"statement-{year}-{month:02d}.xlsx")
