"""Watchword moderation for the peer community: normalise, match, decide, back-test.

Pure Python: no Flask, no SQLAlchemy, no `webapp` (an import-linter contract enforces it). The
rules and their purpose are in DOMAIN.md section 7 ("Safety"); the layout is STYLE.md section 4.
The normaliser is not re-exported here, so `moderation.normalise` stays the module of that name.
"""

from functools import cache

from moderation.backtest import BacktestResult, Catch, RulePrecision, Verdict, backtest, precision
from moderation.engine import Decision, Engine, Match
from moderation.watchwords import Action, Kind, Tier, Watchword, default_watchwords

__all__ = [
    "Action",
    "BacktestResult",
    "Catch",
    "Decision",
    "Engine",
    "Kind",
    "Match",
    "RulePrecision",
    "Tier",
    "Verdict",
    "Watchword",
    "backtest",
    "default_engine",
    "default_watchwords",
    "precision",
]


@cache
def default_engine() -> Engine:
    """An engine over the shipped default list, built once per process."""
    return Engine(default_watchwords())
