"""The live watchword list: the shipped defaults overlaid by the rules moderators manage in the
database, and one engine built from it, cached per process and rebuilt when the list's version
(every database rule's values: a handful of short rows, read on each check) moves (STYLE.md
section 4, [DI]).

A database row whose id matches a shipped rule replaces it, so a shipped rule can be switched off
or reworded without editing the package; any other row adds a rule.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select

import moderation
from moderation import Engine, Watchword
from webapp.extensions import db
from webapp.models import WatchwordRule

Version = tuple[tuple[object, ...], ...]


@dataclass(frozen=True)
class ListedRule:
    """A rule as the console lists it: where it comes from and whether it is on."""

    watchword: Watchword
    is_enabled: bool
    is_shipped: bool
    is_overridden: bool


def list_version() -> Version:
    columns = (
        WatchwordRule.id,
        WatchwordRule.changed_at,
        WatchwordRule.is_enabled,
        WatchwordRule.tier,
        WatchwordRule.action,
        WatchwordRule.kind,
        WatchwordRule.pattern,
    )
    return tuple(tuple(row) for row in db.session.execute(select(*columns).order_by(columns[0])))


def watchword_of(row: WatchwordRule) -> Watchword:
    """The row as a validated Watchword (ValueError if it is no longer valid)."""
    return Watchword.from_record(
        {
            "id": row.id,
            "tier": row.tier,
            "action": row.action,
            "kind": row.kind,
            "pattern": row.pattern,
            "description": row.description,
        }
    )


def listed_rules() -> list[ListedRule]:
    rows = {row.id: row for row in db.session.scalars(select(WatchwordRule))}
    listed: list[ListedRule] = []
    shipped_ids = set()
    for shipped in moderation.default_watchwords():
        shipped_ids.add(shipped.id)
        row = rows.get(shipped.id)
        if row is None:
            listed.append(ListedRule(shipped, True, True, False))
        else:
            listed.append(ListedRule(watchword_of(row), row.is_enabled, True, True))
    for rule_id, row in sorted(rows.items()):
        if rule_id not in shipped_ids:
            listed.append(ListedRule(watchword_of(row), row.is_enabled, False, False))
    return listed


def enabled_watchwords() -> list[Watchword]:
    return [rule.watchword for rule in listed_rules() if rule.is_enabled]


class _EngineCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Version | None = None
        self._engine: Engine | None = None

    def get(self) -> Engine:
        version = list_version()
        with self._lock:
            if self._engine is not None and version == self._version:
                return self._engine
        # Nothing changed in the database: the shipped list's engine, built once per process.
        engine = Engine(enabled_watchwords()) if version else moderation.default_engine()
        with self._lock:
            self._engine, self._version = engine, version
        return engine


_cache = _EngineCache()


def current_engine() -> Engine:
    """The engine for the list as it is now (rebuilt only when the list has changed)."""
    return _cache.get()
