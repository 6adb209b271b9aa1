"""The database engine: a connection is pinged only after it has rested, and one the database
dropped meanwhile (a restart) is replaced at checkout, not handed to a request."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from webapp import extensions
from webapp.extensions import make_engine


@pytest.fixture
def engine(database_url: str) -> Any:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to restart or to ping")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def pings(engine: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        calls.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return calls


def test_a_connection_in_steady_use_is_not_pinged(engine, monkeypatch):
    calls = pings(engine, monkeypatch)
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    assert calls == []


def test_a_rested_connection_the_database_dropped_is_replaced(engine, database_url, monkeypatch):
    with engine.connect() as connection:
        dropped = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    other = make_engine(database_url)
    with other.begin() as connection:  # as a database restart would
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    other.dispose()
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has rested long enough
    calls = pings(engine, monkeypatch)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != dropped
    assert calls


def test_a_database_bound_to_a_postgresql_engine_offers_it_in_autocommit(engine: Any) -> None:
    database = extensions.Database()
    database.bind(engine)
    autocommit = database.autocommit_engine()
    assert autocommit is not None
    assert autocommit.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
    with autocommit.connect() as connection:  # the same pool, one round trip per statement
        assert connection.connection.dbapi_connection.autocommit is True  # type: ignore[union-attr]
    assert database.autocommit_engine() is autocommit  # made once


def test_sqlite_and_a_bound_connection_offer_no_autocommit_engine(engine: Any) -> None:
    database = extensions.Database()
    database.bind(make_engine("sqlite://"))
    assert database.autocommit_engine() is None
    with engine.connect() as connection:
        database.bind(connection)
        assert database.autocommit_engine() is None
