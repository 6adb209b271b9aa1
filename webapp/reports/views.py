"""Commissioners' pages: the reports index, the monthly and quarterly reports (screen with
charts, CSV, XLSX, printable page) and the monthly charging statement (screen, CSV, XLSX).
Aggregates and appointment ids only, never a patient's name."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime

from flask import Response, abort, render_template, stream_with_context
from flask_login import current_user

from webapp import audit
from webapp.models import Role
from webapp.reports import aggregates, bp, extracts, queries, report
from webapp.reports.definitions import Period, recent_months, recent_quarters
from webapp.reports.statement import OUTCOME_LABELS, REASON_TEXT, Statement, to_csv, to_xlsx
from webapp.security import roles_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month_starts(today: date) -> list[datetime]:
    """The recent months as the templates show them (a datetime on the 1st)."""
    return [datetime(p.start.year, p.start.month, 1, tzinfo=UTC) for p in recent_months(today)]


def _statement(year: int, month: int) -> Statement:
    period = _period("monthly", year, month)  # a real month, already begun
    try:
        built = queries.statement(current_user.id, year, month)
    except ValueError:
        abort(404)
    today = datetime.now(UTC).date()
    return dataclasses.replace(built, to_date=today) if today < period.end else built


@bp.route("/")
def index() -> str:
    today = datetime.now(UTC).date()
    return render_template(
        "staff/reports_index.html",
        title="Reports",
        months=[datetime(p.start.year, p.start.month, 1, tzinfo=UTC) for p in recent_months(today)],
        quarters=recent_quarters(today),
        is_commissioner=current_user.role is Role.COMMISSIONER,
        can_extract=current_user.role in (Role.CLINICAL_LEAD, Role.ADMIN),
    )


def _period(kind: str, year: int, number: int) -> Period:
    """The month or quarter asked for; 404 for one not begun (its report would be all zeros,
    and could be taken for a real one). A period under way is reported so far."""
    try:
        period = Period.month(year, number) if kind == "monthly" else Period.quarter(year, number)
    except ValueError:
        abort(404)
    if period.start > datetime.now(UTC).date():
        abort(404)
    return period


def _report(kind: str, year: int, number: int) -> report.Report:
    return aggregates.build(_period(kind, year, number), datetime.now(UTC).replace(microsecond=0))


def _render(built: report.Report, *, printable: bool) -> str:
    # matplotlib (with numpy) takes about a second to import: only pages with charts pay it,
    # not every app start (the gunicorn instances in tests/webapp/sessions/test_scale_out.py).
    from webapp.reports.charts import charts

    tables = [t for s in built.sections for t in s.tables]
    return render_template(
        "reports/report.html",
        report=built,
        charts=charts(tables),
        title=built.title,
        printable=printable,
        suppression_note=report.SUPPRESSION_NOTE,
    )


@bp.route("/<any(monthly, quarterly):kind>/<int:year>/<int:number>")
def report_page(kind: str, year: int, number: int) -> str:
    return _render(_report(kind, year, number), printable=False)


@bp.route("/<any(monthly, quarterly):kind>/<int:year>/<int:number>/print")
def report_print(kind: str, year: int, number: int) -> str:
    return _render(_report(kind, year, number), printable=True)


@bp.route("/<any(monthly, quarterly):kind>/<int:year>/<int:number>/csv")
def report_csv(kind: str, year: int, number: int) -> Response:
    built = _report(kind, year, number)
    return _download(report.to_csv(built), "text/csv", f"{kind}-report-{built.period.key}.csv")


@bp.route("/<any(monthly, quarterly):kind>/<int:year>/<int:number>/xlsx")
def report_xlsx(kind: str, year: int, number: int) -> Response:
    built = _report(kind, year, number)
    return _download(report.to_xlsx(built), XLSX, f"{kind}-report-{built.period.key}.xlsx")


@bp.route("/statements/<int:year>/<int:month>")
@roles_required(Role.COMMISSIONER)
def statement(year: int, month: int) -> str:
    return render_template(
        "reports/statement.html",
        statement=_statement(year, month),
        outcome_labels=OUTCOME_LABELS,
        reason_text=REASON_TEXT,
    )


def _download(body: str | bytes | Iterator[str], mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/statements/<int:year>/<int:month>/csv")
@roles_required(Role.COMMISSIONER)
def statement_csv(year: int, month: int) -> Response:
    data = _statement(year, month)
    return _download(to_csv(data), "text/csv", f"statement-{year}-{month:02d}.csv")


@bp.route("/statements/<int:year>/<int:month>/xlsx")
@roles_required(Role.COMMISSIONER)
def statement_xlsx(year: int, month: int) -> Response:
    data = _statement(year, month)
    return _download(to_xlsx(data), XLSX, f"statement-{year}-{month:02d}.xlsx")


EXTRACT_NAMES = f"any({', '.join(repr(name) for name in extracts.EXTRACTS)})"


@bp.route("/extracts")
@roles_required(Role.CLINICAL_LEAD, Role.ADMIN)
def extracts_index() -> str:
    months = _month_starts(datetime.now(UTC).date())
    return render_template(
        "reports/extracts.html", title="Dataset extracts", months=months, names=extracts.EXTRACTS
    )


def _audited(name: str, period: Period) -> None:
    audit.record_now(
        "report_extract_downloaded",
        actor=current_user,
        detail={"extract": name, "period": period.key},
    )


@bp.route(f"/extracts/<int:year>/<int:month>/<{EXTRACT_NAMES}:name>/csv")
@roles_required(Role.CLINICAL_LEAD, Role.ADMIN)
def extract_csv(year: int, month: int, name: str) -> Response:
    period = _period("monthly", year, month)
    extract = extracts.EXTRACTS[name](period)
    _audited(name, period)
    # Streamed: a body given after the response is built would keep its Content-Length of 0.
    rows = stream_with_context(extracts.to_csv(extract))
    return _download(rows, "text/csv", f"{name}-{period.key}.csv")


@bp.route("/extracts/<int:year>/<int:month>/xlsx")
@roles_required(Role.CLINICAL_LEAD, Role.ADMIN)
def extract_xlsx(year: int, month: int) -> Response:
    period = _period("monthly", year, month)
    _audited("all", period)
    body = extracts.to_xlsx([build(period) for build in extracts.EXTRACTS.values()])
    return _download(body, XLSX, f"dataset-{period.key}.xlsx")
