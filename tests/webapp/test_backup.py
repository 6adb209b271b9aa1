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
