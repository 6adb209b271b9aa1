"""Backups of the embedded SQLite database through SQLite's online backup API, which copies a
consistent snapshot while the site keeps running (a file copy of a live database can be torn).
PostgreSQL is backed up with pg_dump (see the README)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValueError(
            "backup and restore here are for an SQLite file database; "
            "use pg_dump and pg_restore for PostgreSQL"
        )
    return Path(url.database)


def backup(database_url: str, destination: Path) -> int:
    """Copy a consistent snapshot to `destination`; returns its size in bytes."""
    source_path = sqlite_path(database_url)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(destination) as target:
        source.backup(target)
    return destination.stat().st_size


def restore(backup_file: Path, database_url: str) -> None:
    """Replace the database's contents with the backup's, through the same online API."""
    if not backup_file.exists():
        raise ValueError(f"there is no backup at {backup_file}")
    with sqlite3.connect(backup_file) as source:
        try:
            intact = source.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            intact = False
        if not intact:
            raise ValueError(f"{backup_file} is damaged or not a database; nothing was restored")
        with sqlite3.connect(sqlite_path(database_url)) as target:
            source.backup(target)
