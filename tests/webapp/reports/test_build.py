"""The published monthly and quarterly reports: suppression, the stable JSON shape and the
`flask report` command."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from webapp.reports import aggregates, report
from webapp.reports.definitions import Period

APRIL = Period.month(2026, 4)
NOW = datetime(2026, 5, 3, 7, tzinfo=UTC)

MONTHLY_TABLES = {
    "national_measures": [
        "headline",
        "waits",
        "by_age_band",
        "by_gender",
        "by_ethnicity",
    ],
    "referrals": ["referrals_by_source", "refusals", "heard_about", "sought_help"],
    "take_up": [
        "take_up",
        "sessions_per_person",
        "profile_age_band",
        "profile_gender",
        "profile_ethnicity",
        "profile_issue",
        "profile_employment",
        "profile_living",
    ],
    "attendance": ["attendance", "attendance_rates"],
    "groups": ["group_sessions"],
    "charges": ["charges_totals", "charges_by_reason"],
    "community": ["community"],
    "activity": [
        "activity",
        "page_views_by_section",
        "page_views_by_module",
        "page_views_by_role",
        "page_views_by_weekday",
        "page_views_by_time",
    ],
    "voice": ["consultations", "consultation_results", "suggestions"],
}


def test_the_monthly_report_publishes_suppressed_figures(month):
    built = aggregates.build(APRIL, NOW)
    headline = built.table("headline")
    assert headline.cell("Referrals received", "number") == "*"  # 3
    assert headline.cell("Finished a course of treatment", "number") == "5"
    assert headline.cell("Finished a course of treatment", "out_of") == "5"  # 7 ended -> 5
    assert headline.cell("Recovery", "number") == "*"  # 1 of 4
    assert headline.cell("Recovery", "rate") == "*"
    assert headline.cell("First treatment within 6 weeks", "number") == "*"  # 4 of 5
    assert headline.cell("First treatment within 6 weeks", "rate") == "*"
    assert headline.cell("Entered treatment", "number") == "*"
    waits = built.table("waits")
    assert waits.cell("Referral to first treatment session (courses finished)", "median_days") == (
        "20.0"
    )
    assert (
        waits.cell("Referral to first attended appointment (entered treatment)", "median_days")
        == "*"
    )
    attendance = built.table("attendance")
    assert attendance.cell("Attended on time", "appointments") == "5"  # 7 rounds to 5
    assert attendance.cell("Did not attend without warning", "appointments") == "*"
    assert built.table("take_up").cell("People with an attended appointment", "value") == "10"  # 8


def test_the_json_shape_is_stable(month):
    shape = aggregates.build(APRIL, NOW).to_json()
    assert list(shape) == ["schema", "kind", "period", "generated_at", "suppression", "sections"]
    assert shape["schema"] == report.SCHEMA == "talking-therapies/commissioner-report/1"
    assert shape["period"] == {
        "key": "2026-04",
        "label": "April 2026",
        "start": "2026-04-01",
        "end": "2026-04-30",
    }
    assert {s["key"]: [t["key"] for t in s["tables"]] for s in shape["sections"]} == MONTHLY_TABLES
    for section in shape["sections"]:
        assert list(section) == ["key", "title", "note", "tables"]
        for t in section["tables"]:
            assert list(t) == ["key", "title", "note", "columns", "rows"]
            keys = [c["key"] for c in t["columns"]]
            assert keys[0] == "label"
            assert all(list(row) == keys for row in t["rows"])
            assert all(isinstance(v, str) for row in t["rows"] for v in row.values())
    json.dumps(shape)


def test_the_quarterly_report_has_first_and_last_scores_and_experience(month):
    built = aggregates.build(Period.quarter(2026, 2), NOW)
    assert [s.key for s in built.sections] == ["national_measures", "outcomes"]
    scores = built.table("first_and_last_scores")
    # 4 paired finished courses: a suppressed base hides the means
    assert scores.cell("PHQ-9", "first") == "*" and scores.cell("PHQ-9", "based_on") == "*"
    assert built.table("self_management").cell("Did not step up", "number") == "*"
    assert "GP visits" in built.table("self_management").note


def test_flask_report_monthly_prints_json_and_csv(app, month):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "monthly", "--month", "2026-04", "--format", "json"])
    assert result.exit_code == 0, result.output
    shape = json.loads(result.output)
    assert shape["kind"] == "monthly" and shape["period"]["key"] == "2026-04"
    result = runner.invoke(args=["report", "monthly", "--month", "2026-04", "--format", "csv"])
    assert result.exit_code == 0 and "Monthly report: April 2026" in result.output


def test_flask_report_quarterly_writes_xlsx(app, month, tmp_path):
    target = tmp_path / "q2.xlsx"
    result = app.test_cli_runner().invoke(
        args=["report", "quarterly", "--quarter", "2026-Q2", "--format", "xlsx", "--output", target]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:2] == b"PK"


def test_a_malformed_period_is_refused(app):
    result = app.test_cli_runner().invoke(args=["report", "monthly", "--month", "2026-4"])
    assert result.exit_code != 0 and "YYYY-MM" in result.output
