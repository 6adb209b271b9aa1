"""The retention schedule's arithmetic: calendar periods, the boundary, the clinical rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.retention import schedule
from webapp.retention.schedule import Period, add_months, age_on, clinical_record_due_on

NOW = datetime(2046, 6, 15, 2, 30, tzinfo=UTC)
moments = st.datetimes(  # hypothesis takes naive bounds and adds the zone itself
    min_value=datetime(1950, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
dates = st.dates(min_value=date(1920, 1, 1), max_value=date(2100, 1, 1))
periods = st.builds(
    Period,
    years=st.integers(0, 30),
    months=st.integers(0, 24),
    days=st.integers(0, 800),
)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 5, 1), 0, date(2026, 5, 1)),
    ],
)
def test_calendar_months_clamp_to_the_months_end(start, months, expected):
    assert add_months(start, months) == expected


def test_dates_before_year_one_are_refused_and_periods_read_well():
    with pytest.raises(ValueError, match="year 1"):
        add_months(date(1, 1, 1), -1)
    assert Period(years=1, months=2, days=1).describe() == "1 year, 2 months, 1 day"


def test_a_row_exactly_one_period_old_is_kept_and_a_moment_older_is_due():
    period = Period(days=400)
    exactly = NOW - timedelta(days=400)
    assert not schedule.is_due(exactly, NOW, period)
    assert schedule.is_due(exactly - timedelta(microseconds=1), NOW, period)


def test_twenty_years_of_clinical_records_count_calendar_years():
    rule = {r.kind: r for r in schedule.schedule(_settings(20))}["clinical_records"]
    assert rule.cutoff(NOW) == datetime(2026, 6, 15, 2, 30, tzinfo=UTC)
    assert rule.period.describe() == "20 years"


@given(moments, periods)
def test_the_cutoff_is_never_after_now_and_never_moves_back(now, period):
    cutoff = schedule.cutoff(now, period)
    assert cutoff <= now
    # Not strictly later: 29 and 30 March less a month are both 29 February (month ends clamp).
    assert schedule.cutoff(now + timedelta(days=1), period) >= cutoff
    assert not schedule.is_due(cutoff, now, period)


@given(moments, st.integers(0, 30), st.integers(0, 30))
def test_a_longer_period_never_deletes_more(now, shorter, extra):
    assert schedule.cutoff(now, Period(years=shorter + extra)) <= schedule.cutoff(
        now, Period(years=shorter)
    )


def test_naive_times_and_negative_periods_are_refused():
    with pytest.raises(ValueError, match="aware"):
        schedule.cutoff(datetime(2026, 1, 1), Period(days=1))  # noqa: DTZ001 - the refusal under test
    with pytest.raises(ValueError, match="negative"):
        Period(days=-1)
    with pytest.raises(ValueError, match="negative"):
        clinical_record_due_on(date(2026, 1, 1), None, -1)


@pytest.mark.parametrize(
    ("last_contact", "birth", "expected"),
    [
        (date(2026, 5, 1), None, date(2046, 5, 1)),  # 20 years after the last contact
        (date(2026, 5, 1), date(1990, 1, 1), date(2046, 5, 1)),
        (date(2026, 5, 1), date(2009, 6, 1), date(2046, 5, 1)),  # 16 at contact: 20 years win
        (date(2024, 2, 29), None, date(2044, 2, 29)),
        (date(2025, 2, 28), None, date(2045, 2, 28)),
    ],
)
def test_clinical_records_are_kept_twenty_years_after_the_last_contact(
    last_contact, birth, expected
):
    assert clinical_record_due_on(last_contact, birth, 20) == expected


def test_a_shorter_period_never_undercuts_the_25th_or_26th_birthday():
    # Configured to 1 year: someone 17 at their last contact is kept to their 26th birthday.
    assert clinical_record_due_on(date(2026, 5, 1), date(2009, 1, 10), 1) == date(2035, 1, 10)
    assert clinical_record_due_on(date(2026, 5, 1), date(2008, 1, 10), 1) == date(2033, 1, 10)
    assert clinical_record_due_on(date(2026, 5, 1), date(2008, 2, 29), 1) == date(2033, 3, 1)
    with pytest.raises(ValueError, match="before the date of birth"):
        clinical_record_due_on(date(2000, 1, 1), date(2001, 1, 1), 20)


@given(dates, dates, st.integers(0, 40))
def test_the_due_date_is_never_before_the_period_or_the_25th_birthday(a, b, years):
    birth, contact = min(a, b), max(a, b)
    due = clinical_record_due_on(contact, birth, years)
    assert due >= add_months(contact, 12 * years)
    assert age_on(birth, due) >= 25


@given(dates, dates)
def test_age_is_whole_years(a, b):
    birth, day = min(a, b), max(a, b)
    age = age_on(birth, day)
    assert age >= 0
    assert add_months(birth, 12 * age) <= day or (birth.month, birth.day) == (2, 29)


def _settings(clinical_years: int) -> dict[str, int]:
    return {
        "RETENTION_CLINICAL_YEARS": clinical_years,
        "RETENTION_SUBJECT_ACCESS_YEARS": 3,
        "ACTIVITY_RETENTION_DAYS": 400,
        "RETENTION_NOTIFICATION_MONTHS": 24,
        "RETENTION_UNFINISHED_REFERRAL_DAYS": 90,
        "RETENTION_LINK_DAYS": 30,
    }


def test_every_kind_has_a_rule_from_configuration():
    rules = schedule.schedule(_settings(20))
    assert [r.kind for r in rules] == list(schedule.SETTINGS)
    by_kind = {r.kind: r for r in rules}
    assert by_kind["activity_events"].period == Period(days=400)
    assert by_kind["referral_drafts"].period.describe() == "no time"
    assert by_kind["clinical_records"].action == "erased"
    assert by_kind["notifications"].period.describe() == "24 months"
