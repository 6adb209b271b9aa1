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
from datetime import datetime

from sqlalchemy import select

import moderation
from moderation import Action, Engine, Kind, Tier, Watchword
from webapp import audit
from webapp.extensions import db
from webapp.models import Role, User, WatchwordRule
from webapp.moderation_console.services import ModerationRefused

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


# --- changes to the list -----------------------------------------------------------------------


def proposed_rule(values: dict[str, str]) -> Watchword:
    """A Watchword from the form's values; ValueError (with the engine's own words) if invalid."""
    try:
        tier, action, kind = Tier(values["tier"]), Action(values["action"]), Kind(values["kind"])
    except ValueError:
        raise ValueError("Choose a tier, an action and a kind from the lists") from None
    if tier is Tier.CLINICAL_RISK and action is not Action.ALERT:
        # (the engine refuses it too, in words for developers)
        raise ValueError("A clinical-risk watchword must alert a moderator: choose Alert")
    return Watchword(
        values["rule_id"].strip(),
        tier,
        action,
        kind,
        values["pattern"],
        values["description"].strip(),
    )


def add_rule(actor: User, rule: Watchword, *, now: datetime) -> WatchwordRule:
    if any(listed.watchword.id == rule.id for listed in listed_rules()):
        raise ModerationRefused("A rule with that id already exists: choose another id")
    with db.transaction():
        row = WatchwordRule(
            id=rule.id,
            tier=rule.tier.value,
            action=rule.action.value,
            kind=rule.kind.value,
            pattern=rule.pattern,
            description=rule.description,
            is_enabled=True,
            changed_at=now,
            changed_by_id=actor.id,
        )
        db.session.add(row)
        audit.record(
            "moderation.watchword_added",
            actor=actor,
            subject_type="watchword",
            detail={"rule": rule.id, "pattern": rule.pattern, "action": rule.action},
        )
    return row


def may_switch_off(actor: User, rule: Watchword) -> bool:
    """A clinical-risk rule is the clinical lead's to switch off (DOMAIN.md section 1: they
    manage watchwords); moderators may switch off house-rule rules that misfire."""
    return rule.tier is not Tier.CLINICAL_RISK or actor.role is Role.CLINICAL_LEAD


def set_rule_enabled(actor: User, rule_id: str, is_enabled: bool, *, now: datetime) -> None:
    """Switch a rule on or off; a shipped rule gets an overriding row the first time."""
    listed = next((r for r in listed_rules() if r.watchword.id == rule_id), None)
    if listed is None:
        raise ModerationRefused("There is no rule with that id")
    if not may_switch_off(actor, listed.watchword) and not is_enabled:
        raise ModerationRefused(
            "Only the clinical lead can switch off a clinical-risk watchword: ask them to review it"
        )
    with db.transaction():
        row = db.session.get(WatchwordRule, rule_id)
        if row is None:
            rule = listed.watchword
            row = WatchwordRule(
                id=rule.id,
                tier=rule.tier.value,
                action=rule.action.value,
                kind=rule.kind.value,
                pattern=rule.pattern,
                description=rule.description,
            )
            db.session.add(row)
        row.is_enabled = is_enabled
        row.changed_at = now
        row.changed_by_id = actor.id
        audit.record(
            "moderation.watchword_switched",
            actor=actor,
            subject_type="watchword",
            detail={"rule": rule_id, "enabled": is_enabled},
        )
