"""Backups of the SQLite database restore to exactly what was backed up."""

from __future__ import annotations

import sqlite3

import pytest
from flask import Flask

from webapp import backup
from webapp.auth import services
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.migrate import upgrade
from webapp.models import Role


def dump(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


@pytest.fixture
def file_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    from webapp import create_app

    app: Flask = create_app(type("C", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    upgrade(url)
    yield app, url, tmp_path
    db.bind(db.engine)


def test_a_restored_backup_equals_the_original_and_later_changes_are_undone(file_app):
    app, _, tmp_path = file_app
    with app.app_context():
        db.bind(db.engine)
        services.create_user("kept@example.com", "Kept Person", Role.PATIENT)
        result = app.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "b.db")])
        assert result.exit_code == 0, result.output
        original = dump(tmp_path / "live.db")
        services.create_user("later@example.com", "Added Later", Role.PATIENT)
        db.session.remove()
    assert dump(tmp_path / "b.db") == original
    result = app.test_cli_runner().invoke(
        args=["backup", "restore", "--yes", str(tmp_path / "b.db")]
    )
    assert result.exit_code == 0, result.output
    assert dump(tmp_path / "live.db") == original


def test_restoring_a_damaged_file_changes_nothing(file_app):
    _, url, tmp_path = file_app
    before = dump(tmp_path / "live.db")
    (tmp_path / "bad.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ValueError, match="damaged or not a database"):
        backup.restore(tmp_path / "bad.db", url)
    assert dump(tmp_path / "live.db") == before


def test_postgresql_and_memory_databases_are_refused_with_a_pointer_to_pg_dump():
    with pytest.raises(ValueError, match="pg_dump"):
        backup.sqlite_path("postgresql+psycopg://127.0.0.1/test")
    with pytest.raises(ValueError, match="SQLite file"):
        backup.sqlite_path("sqlite://")


def test_a_backup_of_a_live_database_holds_what_was_committed_and_nothing_half_written(file_app):
    """Why the online backup API: with the site running (WAL mode), committed rows may still be
    only in the -wal file, and a writer may be mid-transaction. A copy of the main file misses
    the first; the backup API gives a consistent snapshot with every committed row."""
    _, url, tmp_path = file_app
    live = tmp_path / "live.db"
    writer = sqlite3.connect(live, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")  # keep committed rows in the WAL
        writer.execute("CREATE TABLE scratch (value TEXT)")
        writer.execute("INSERT INTO scratch VALUES ('committed')")
        writer.execute("BEGIN")
        writer.execute("INSERT INTO scratch VALUES ('half written')")  # not committed

        file_copy = tmp_path / "copy.db"
        file_copy.write_bytes(live.read_bytes())
        backup.backup(url, tmp_path / "online.db")

        with sqlite3.connect(tmp_path / "online.db") as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert copy.execute("SELECT value FROM scratch").fetchall() == [("committed",)]
        with sqlite3.connect(file_copy) as copy:
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
        assert "scratch" not in tables, "a file copy of a live database misses committed data"
        writer.execute("ROLLBACK")
    finally:
        writer.close()
