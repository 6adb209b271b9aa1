"""The portable SQL expressions, on whichever database the suite runs (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import literal, select, union_all

from tests.webapp.reports.builders import referral
from webapp.extensions import db
from webapp.models import Referral
from webapp.reports.sql import age_at, days_between, hour_of, median, weekday_of


@pytest.mark.parametrize(
    ("values", "expected"),
    [((), None), ((7,), 7), ((3, 1, 2), 2), ((4, 1, 3, 2), 2.5), ((5, 5, 1, 9), 5)],
)
def test_median_of_odd_and_even_counts(values, expected):
    if not values:
        rows = select(literal(1).label("v")).where(literal(1) == 0)
    else:
        rows = union_all(*(select(literal(v).label("v")) for v in values))
    inner = rows.subquery()
    found = db.session.execute(median(select(inner.c.v))).scalar()
    assert (None if found is None else float(found)) == expected


@pytest.mark.parametrize(
    ("born", "age"),
    [(date(2010, 4, 2), 16), (date(2010, 4, 3), 15), (date(2008, 2, 29), 18)],
)
def test_age_on_the_day_of_referral(born, age):
    row = referral("2026-04-02", date_of_birth=born)
    found = db.session.execute(
        select(age_at(Referral.date_of_birth, Referral.received_at)).where(Referral.id == row.id)
    ).scalar()
    assert found == age


def test_days_weekday_and_hour_are_read_in_utc():
    row = referral("2026-03-28")  # a Saturday, 09:00 UTC
    later = referral("2026-04-02")
    found = db.session.execute(
        select(
            days_between(Referral.received_at, later.received_at),
            weekday_of(Referral.received_at),
            hour_of(Referral.received_at),
        ).where(Referral.id == row.id)
    ).one()
    assert tuple(found) == (5, 6, 9)
