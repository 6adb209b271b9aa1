"""SQL expressions the reports need that SQLite and PostgreSQL spell differently.

Datetimes are UTC (`UTCDateTime`): naive UTC text on SQLite, timestamptz on PostgreSQL, so
PostgreSQL's are read `AT TIME ZONE 'UTC'` whatever the session's time zone. A median is an
ordered window query (`median`), which both databases run alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ColumnElement, Float, Integer, Select, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date


class day_of(FunctionElement[Any]):
    """The UTC calendar day of a datetime column."""

    type = Date()
    inherit_cache = True


@compiles(day_of)
def _day_of_sqlite(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(day_of, "postgresql")
def _day_of_pg(element: day_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


class days_between(FunctionElement[int]):
    """Whole calendar days (UTC) from the first datetime to the second."""

    type = Integer()
    inherit_cache = True


@compiles(days_between)
def _days_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday(date({end})) - julianday(date({start})) AS INTEGER)"


@compiles(days_between, "postgresql")
def _days_pg(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"(CAST(({end}) AT TIME ZONE 'UTC' AS DATE) - CAST(({start}) AT TIME ZONE 'UTC' AS DATE))"
    )


class seconds_between(FunctionElement[float]):
    """Seconds from the first datetime to the second."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM (({end}) - ({start})))"


class age_at(FunctionElement[int]):
    """Whole years of age on a datetime's UTC day, from a date of birth: age_at(dob, when)."""

    type = Integer()
    inherit_cache = True


@compiles(age_at)
def _age_sqlite(element: age_at, compiler: SQLCompiler, **kw: Any) -> str:
    born, when = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"(CAST(strftime('%Y', {when}) AS INTEGER) - CAST(strftime('%Y', {born}) AS INTEGER)"
        f" - (strftime('%m%d', {when}) < strftime('%m%d', {born})))"
    )


@compiles(age_at, "postgresql")
def _age_pg(element: age_at, compiler: SQLCompiler, **kw: Any) -> str:
    born, when = (compiler.process(c, **kw) for c in element.clauses)
    day = f"CAST(({when}) AT TIME ZONE 'UTC' AS DATE)"
    return f"CAST(EXTRACT(YEAR FROM age({day}, {born})) AS INTEGER)"


class born_by(FunctionElement[bool]):
    """Whether a date of birth makes someone at least N years old on a datetime's UTC day:
    born_by(dob, when, literal_column("18")). Cheaper than computing the age on every row."""

    type = Boolean()
    inherit_cache = True


@compiles(born_by)
def _born_by_sqlite(element: born_by, compiler: SQLCompiler, **kw: Any) -> str:
    born, when, years = (compiler.process(c, **kw) for c in element.clauses)
    return f"({born} <= date({when}, '-' || {years} || ' years'))"


@compiles(born_by, "postgresql")
def _born_by_pg(element: born_by, compiler: SQLCompiler, **kw: Any) -> str:
    born, when, years = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"({born} <= CAST(({when}) AT TIME ZONE 'UTC' AS DATE) - make_interval(years => {years}))"
    )


class weekday_of(FunctionElement[int]):
    """Day of the week of a UTC datetime: 0 Sunday to 6 Saturday."""

    type = Integer()
    inherit_cache = True


@compiles(weekday_of)
def _weekday_sqlite(element: weekday_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%w', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(weekday_of, "postgresql")
def _weekday_pg(element: weekday_of, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"CAST(EXTRACT(DOW FROM ({value}) AT TIME ZONE 'UTC') AS INTEGER)"


class hour_of(FunctionElement[int]):
    """Hour (0-23) of a UTC datetime."""

    type = Integer()
    inherit_cache = True


@compiles(hour_of)
def _hour_sqlite(element: hour_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%H', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(hour_of, "postgresql")
def _hour_pg(element: hour_of, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    return f"CAST(EXTRACT(HOUR FROM ({value}) AT TIME ZONE 'UTC') AS INTEGER)"


def median(values: Select[Any]) -> Select[Any]:
    """The median of a one-column select's non-null values (NULL when there are none): the
    middle value, or the mean of the middle two, found with row_number() over the ordered values.
    """
    inner = values.subquery("median_values")
    value = inner.c[0]
    ranked = (
        select(
            value.label("v"),
            func.row_number().over(order_by=value).label("rn"),
            func.count().over().label("n"),
        )
        .where(value.is_not(None))
        .subquery("median_ranked")
    )
    middle: ColumnElement[bool] = or_(
        ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2
    )
    return select(func.avg(ranked.c.v)).where(middle)
