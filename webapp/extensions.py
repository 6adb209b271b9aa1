"""Extensions, created bare here and bound to the app in `create_app` (STYLE.md section 1)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool


class Database:
    """One engine per app and one session per request (removed at teardown)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory = sessionmaker(expire_on_commit=False)
        self.session: scoped_session[Session] = scoped_session(self._factory)

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"], app.config)
        self._factory.configure(bind=self.engine)
        app.teardown_appcontext(self._remove_session)
        app.extensions["database"] = self

    def _remove_session(self, _exc: BaseException | None = None) -> None:
        self.session.remove()

    def bind(self, bind: Engine | Connection, **options: Any) -> None:
        """Point sessions at another engine or connection (tests use one transaction)."""
        self.session.remove()
        self._factory.configure(bind=bind, **options)
        self._autocommit = None

    _autocommit: Engine | None = None

    def autocommit_engine(self) -> Engine | None:
        """For a hot single-statement write on PostgreSQL: the engine in autocommit mode (the
        same pool), so the statement is one round trip rather than BEGIN, statement, COMMIT.
        None on SQLite (whose writes need the BEGIN our pragmas arrange) and while sessions
        are bound to a connection (the tests' one transaction, which such a write would
        escape); callers then write through the session as usual."""
        bind = self._factory.kw.get("bind")
        if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
            return None
        if self._autocommit is None:
            self._autocommit = bind.execution_options(isolation_level="AUTOCOMMIT")
        return self._autocommit

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on error: one write = one transaction (STYLE.md 3)."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def make_engine(url: str, config: Any = None) -> Engine:
    options: dict[str, Any] = {"future": True}
    if config is not None:
        options["echo"] = bool(config.get("SQLALCHEMY_ECHO", False))
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False}
        if url in ("sqlite://", "sqlite:///:memory:"):
            options["poolclass"] = StaticPool  # one shared in-memory database
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, **options)
    # Survive a database restart without restarting the app, as pool_pre_ping would, but ping
    # only a connection that has been idle: pool_pre_ping's round trip on every checkout was
    # 6% of a busy chat worker (one per message). A connection that fails after a short rest
    # is detected by SQLAlchemy, which then replaces every pooled connection.
    event.listen(engine, "connect", _note_used)
    event.listen(engine, "checkin", _note_used)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine.dialect))
    return engine


PING_AFTER_IDLE_SECONDS = 10.0
_LAST_USED = "last_used"


def _note_used(_dbapi_connection: Any, record: Any) -> None:
    record.info[_LAST_USED] = time.monotonic()


def _ping_if_idle(dialect: Any, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """The pool's checkout hook: raising DisconnectionError makes the pool drop this
    connection and check out (or open) another."""
    if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise exc.DisconnectionError() from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
    # savepoints and rollbacks behave as they do on PostgreSQL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()
