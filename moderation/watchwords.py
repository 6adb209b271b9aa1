"""Watchwords: the rules that route community posts to people, and the shipped default list.

Pure: no Flask, no database; the shipped list is package data read with importlib.resources.
DOMAIN.md section 7 ("Safety"): watchwords route content to people and never silently delete it. A
clinical-risk match holds the post, shows the author crisis routes and alerts the moderator on
shift, so every clinical-risk rule's action is `alert`; house rules (contact details, other sites,
hostility, spam) hold a post for review or flag it for review after it appears.

A rule is a phrase (matched on normalised text, whole words: see `moderation.normalise`) or a
regular expression (matched on the folded text, for shapes such as e-mail addresses and UK phone
numbers). A regex is refused when it is invalid, can match the empty string, or nests unbounded
repetition (`(a+)+`, `(\\w+\\s?)*`), the usual cause of catastrophic backtracking.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final

from moderation.normalise import normalise_phrase

__all__ = [
    "Action",
    "Kind",
    "Tier",
    "Watchword",
    "default_watchwords",
    "regex_problem",
    "required_literals",
    "watchwords_from_toml",
]

DEFAULT_LIST: Final = "default_watchwords.toml"  # in moderation/data/
_ID: Final = re.compile(r"[a-z0-9][a-z0-9._-]*")
_FIELDS: Final = frozenset({"id", "tier", "action", "kind", "pattern", "description"})


class Tier(StrEnum):
    """Which people a match concerns (DOMAIN.md section 7)."""

    CLINICAL_RISK = "clinical_risk"  # self-harm, suicide, harm to others, abuse disclosure
    HOUSE_RULES = "house_rules"  # real names or contact details, other sites, hostility, spam


class Action(StrEnum):
    """What a match does to a post; `severity` orders them (alert > hold > flag)."""

    FLAG = "flag"  # appears, and is queued for review
    HOLD = "hold"  # held for review before it appears
    ALERT = "alert"  # held, and the moderator on shift is alerted

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY: Final = {Action.FLAG: 1, Action.HOLD: 2, Action.ALERT: 3}


class Kind(StrEnum):
    PHRASE = "phrase"  # normalised, whole words
    REGEX = "regex"  # Python `re`, case-insensitive, on the folded text


@dataclass(frozen=True, slots=True)
class Watchword:
    """One rule. Construction validates it: a bad rule raises ValueError naming its id."""

    id: str
    tier: Tier
    action: Action
    kind: Kind
    pattern: str
    description: str

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.fullmatch(self.id):
            raise ValueError(f"watchword id {self.id!r} must be lower-case letters, digits, . _ -")
        for name, enum in (("tier", Tier), ("action", Action), ("kind", Kind)):
            if not isinstance(getattr(self, name), enum):
                raise ValueError(f"watchword {self.id!r}: {name} must be a {enum.__name__}")
        if self.tier is Tier.CLINICAL_RISK and self.action is not Action.ALERT:
            raise ValueError(
                f"watchword {self.id!r}: a clinical-risk rule must alert (DOMAIN.md section 7)"
            )
        for name in ("pattern", "description"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"watchword {self.id!r}: {name} must be non-empty text")
        if self.kind is Kind.PHRASE:
            try:
                normalise_phrase(self.pattern)
            except ValueError as error:
                raise ValueError(f"watchword {self.id!r}: {error}") from None
        elif (problem := regex_problem(self.pattern)) is not None:
            raise ValueError(f"watchword {self.id!r}: regex {self.pattern!r} {problem}")

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> Watchword:
        """Build from plain values (a TOML table, a database row): the enums given as strings."""
        rule_id = record.get("id", "?")
        if set(record) != _FIELDS:
            raise ValueError(f"watchword {rule_id!r}: fields must be exactly {sorted(_FIELDS)}")
        values = {name: record[name] for name in _FIELDS}
        texts = {name: value for name, value in values.items() if isinstance(value, str)}
        if len(texts) != len(values):
            raise ValueError(f"watchword {rule_id!r}: every field must be text")
        try:
            tier, action, kind = Tier(texts["tier"]), Action(texts["action"]), Kind(texts["kind"])
        except ValueError as error:
            raise ValueError(f"watchword {rule_id!r}: {error}") from None
        return cls(texts["id"], tier, action, kind, texts["pattern"], texts["description"])


def watchwords_from_toml(text: str) -> tuple[Watchword, ...]:
    """Rules from a TOML document of `[[watchword]]` tables; ValueError on anything amiss."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"watchword list is not valid TOML: {error}") from None
    tables = document.get("watchword")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ValueError("watchword list must be one or more [[watchword]] tables")
    return tuple(Watchword.from_record(table) for table in tables)


@cache
def default_watchwords() -> tuple[Watchword, ...]:
    """The shipped UK-English list (moderation/data/default_watchwords.toml), read once."""
    text = resources.files("moderation.data").joinpath(DEFAULT_LIST).read_text(encoding="utf-8")
    return watchwords_from_toml(text)


# --- regex checks -----------------------------------------------------------------------------
# The standard library's own parser gives the pattern's minimum width and its repetition tree.
# It has no public name or type stubs, so it is reached through importlib and read as Any here.
_PARSER: Final[Any] = importlib.import_module("re._parser")
_CONSTANTS: Final[Any] = importlib.import_module("re._constants")
_LITERAL: Final = _CONSTANTS.LITERAL
_BRANCH: Final = _CONSTANTS.BRANCH
_SUBPATTERN: Final = _CONSTANTS.SUBPATTERN
_ATOMIC_GROUP: Final = _CONSTANTS.ATOMIC_GROUP
_BACKTRACKING_REPEATS: Final = frozenset({_CONSTANTS.MAX_REPEAT, _CONSTANTS.MIN_REPEAT})
_REPEATS: Final = _BACKTRACKING_REPEATS | {_CONSTANTS.POSSESSIVE_REPEAT}
_NO_BACKTRACKING: Final = frozenset({_CONSTANTS.POSSESSIVE_REPEAT, _CONSTANTS.ATOMIC_GROUP})
_UNBOUNDED: Final[int] = _CONSTANTS.MAXREPEAT


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` may not be a rule, or None when it may."""
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        return f"is not a valid regular expression ({error})"
    tree = _PARSER.parse(pattern, re.IGNORECASE)
    if tree.getwidth()[0] == 0:
        return "can match the empty string"
    if _nests_repetition(tree, enclosing=None):
        return "nests repetition inside unbounded repetition (catastrophic backtracking)"
    return None


def _nests_repetition(tree: Any, enclosing: tuple[int, int] | None) -> bool:
    """True when a variable repeat sits inside another repeat and either is unbounded."""
    for op, arguments in tree:
        if op in _BACKTRACKING_REPEATS:
            low, high, body = arguments
            if (
                enclosing is not None
                and high > low
                and (high == _UNBOUNDED or enclosing[1] == _UNBOUNDED)
            ):
                return True
            inner = (int(low), int(high)) if high > 1 else enclosing
            if _nests_repetition(body, inner):
                return True
        else:
            # Nothing inside a possessive repeat or an atomic group is ever backtracked into.
            inner = None if op in _NO_BACKTRACKING else enclosing
            if any(_nests_repetition(child, inner) for child in _subpatterns(arguments)):
                return True
    return False


def _subpatterns(arguments: Any) -> Iterator[Any]:
    """The sub-patterns among a node's arguments (groups, branches, lookarounds)."""
    if isinstance(arguments, _PARSER.SubPattern):
        yield arguments
    elif isinstance(arguments, tuple | list):
        for argument in arguments:
            yield from _subpatterns(argument)


# --- a cheap test before running a regex --------------------------------------------------------
def required_literals(pattern: str) -> frozenset[str]:
    """Strings one of which every match of `pattern` contains, in lower case (regex rules run on
    case-folded text); empty when the pattern offers none. A post containing none of them cannot
    match, so the engine skips the regex: the usual case, and a regex scan costs far more."""
    return _required(_PARSER.parse(pattern, re.IGNORECASE)) or frozenset()


def _required(tree: Any) -> frozenset[str] | None:
    """The best set of necessary strings in a sequence (longest shortest member, then fewest)."""
    candidates: list[frozenset[str]] = []
    run = ""  # the literal text matched just before this node
    for op, arguments in tree:
        if op == _LITERAL and chr(arguments).isascii():
            run += chr(arguments).lower()
            continue
        if op in _REPEATS and arguments[0] >= 1 and (body := _literal(arguments[2])):
            run += body * arguments[0]
            if arguments[0] == arguments[1]:
                continue
            candidates.append(frozenset({run}))
            run = ""
            continue
        if op == _BRANCH and run:
            prefixes = [_literal_prefix(alternative) for alternative in arguments[1]]
            if all(prefixes):
                candidates.append(frozenset(run + prefix for prefix in prefixes))
        if run:
            candidates.append(frozenset({run}))
            run = ""
        if (inner := _required_in(op, arguments)) is not None:
            candidates.append(inner)
    if run:
        candidates.append(frozenset({run}))
    return max(candidates, key=lambda c: (min(map(len, c)), -len(c)), default=None)


def _required_in(op: Any, arguments: Any) -> frozenset[str] | None:
    """Necessary strings inside one node: a group, a repeat of at least one, or every branch."""
    if op == _SUBPATTERN:
        return _required(arguments[3])
    if op == _ATOMIC_GROUP:
        return _required(arguments)
    if op in _REPEATS and arguments[0] >= 1:
        return _required(arguments[2])
    if op == _BRANCH:
        alternatives = [_required(alternative) for alternative in arguments[1]]
        if all(alternatives):
            return frozenset().union(*(a for a in alternatives if a))
    return None


def _literal_prefix(tree: Any) -> str:
    prefix = ""
    for op, arguments in tree:
        if op != _LITERAL or not chr(arguments).isascii():
            break
        prefix += chr(arguments).lower()
    return prefix


def _literal(tree: Any) -> str:
    """The text of a sequence made only of literals, else ""."""
    prefix = _literal_prefix(tree)
    return prefix if len(prefix) == len(tree) else ""
