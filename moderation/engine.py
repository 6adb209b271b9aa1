"""The watchword engine: which rules a post matches, where in what the user typed, and what to do.

Pure: built once from values and never touches the database; the web layer caches an `Engine` and
rebuilds it when the list changes. DOMAIN.md section 7 ("Safety"): matches route posts to people
(alert > hold > flag), matching survives obfuscation, and harmless words that merely contain a
watchword ("skill", "killer whale") do not match.

How (DESIGN.md, the "watchwords" row): normalise the post once (`moderation.normalise`), run ONE
Aho–Corasick automaton (pyahocorasick) over every phrase rule's key, and keep only hits on word
boundaries of the normalised text. Tokens there are separated by single spaces, so the keys are
stored padded with a space and the post is padded likewise: a hit is then a whole-word hit, and
"skill" never even surfaces. Inside a run of letters the user typed apart ("k i l l m y s e l f")
the user's word breaks are unknowable, so for such posts (rare) an unpadded automaton runs too and
every position inside the run counts as a boundary. Each phrase is also keyed without its spaces,
which catches both that run and run-together forms ("selfharm", "#killmyself"). Regex rules run
apart, on the folded text, and only when the post contains a literal every match must contain
(`required_literals`: "@" for an e-mail address). Every match reports its span in the original
text through the normaliser's offset map.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, TypeAlias, cast

import ahocorasick  # type: ignore[import-not-found]  # pyahocorasick 2.x is C with no type stubs

from moderation.normalise import Normalised, normalise, normalise_phrase
from moderation.watchwords import Action, Kind, Tier, Watchword, required_literals

__all__ = ["Decision", "Engine", "Match", "phrase_keys"]

# What the automaton stores under each key: the key's length and the rules (by index) it belongs to.
_Payload: TypeAlias = tuple[int, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class Match:
    """One rule matching one stretch of a post; `span` and `text` are in the original post."""

    rule_id: str
    tier: Tier
    action: Action
    span: tuple[int, int]  # [start, end) offsets into the text the user typed
    text: str  # original[start:end]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a post: the strongest action of its matches, or None when nothing matched."""

    action: Action | None
    is_clinical_risk: bool  # show the author crisis routes (DOMAIN.md section 7)
    matches: tuple[Match, ...]

    @property
    def is_held(self) -> bool:
        """Whether the post waits for a moderator before it appears (hold or alert)."""
        return self.action is not None and self.action.severity >= Action.HOLD.severity


class _Automaton:
    """A typed face on pyahocorasick's Automaton, built once from key → payload."""

    __slots__ = ("_automaton",)

    def __init__(self, rules_by_key: dict[str, list[int]], padding: str = "") -> None:
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for key, rules in rules_by_key.items():
            automaton.add_word(f"{padding}{key}{padding}", (len(key), tuple(rules)))
        automaton.make_automaton()
        self._automaton = automaton

    def hits(self, text: str) -> Iterator[tuple[int, _Payload]]:
        """(index of the last character, payload) for every occurrence of every key, overlapping."""
        return cast(Iterator[tuple[int, _Payload]], self._automaton.iter(text))


def phrase_keys(phrase: str) -> frozenset[str]:
    """The automaton keys of a phrase: its normalised text, and the same without spaces."""
    key = normalise_phrase(phrase)
    return frozenset({key, normalise_phrase(key.replace(" ", ""))})


class Engine:
    """Built once from values; never touches the database."""

    __slots__ = ("_gate", "_phrases", "_regexes", "_ungated", "_watchwords")

    def __init__(self, watchwords: Iterable[Watchword]) -> None:
        """Validate the rules (ValueError names a duplicate id) and build the matchers once."""
        self._watchwords: Final = tuple(watchwords)
        seen: set[str] = set()
        for watchword in self._watchwords:
            if not isinstance(watchword, Watchword):
                raise ValueError(f"{watchword!r} is not a Watchword")
            if watchword.id in seen:
                raise ValueError(f"watchword id {watchword.id!r} appears more than once")
            seen.add(watchword.id)
        rules_by_key: dict[str, list[int]] = {}
        rules_by_literal: dict[str, list[int]] = {}
        regexes: dict[int, re.Pattern[str]] = {}
        for index, watchword in enumerate(self._watchwords):
            if watchword.kind is Kind.PHRASE:
                for key in phrase_keys(watchword.pattern):
                    rules_by_key.setdefault(key, []).append(index)
            else:
                regexes[index] = re.compile(watchword.pattern, re.IGNORECASE)
                for literal in required_literals(watchword.pattern):
                    rules_by_literal.setdefault(literal, []).append(index)
        # Keys padded with a space match whole tokens only, so "skill" never reaches Python; the
        # bare keys are for the rare post with letters typed apart, checked hit by hit.
        self._phrases: Final = (
            (_Automaton(rules_by_key, padding=" "), _Automaton(rules_by_key))
            if rules_by_key
            else None
        )
        self._regexes: Final = regexes
        # A regex runs only on a post holding a literal all its matches hold (one more automaton
        # pass finds them all at once); a regex without such a literal runs on every post.
        self._gate: Final = _Automaton(rules_by_literal) if rules_by_literal else None
        gated = {index for indexes in rules_by_literal.values() for index in indexes}
        self._ungated: Final = frozenset(regexes) - gated

    @property
    def watchwords(self) -> tuple[Watchword, ...]:
        return self._watchwords

    def check(self, text: str) -> list[Match]:
        """Every rule matching `text`, ordered by position (then rule id); [] when none do."""
        normalised = normalise(text)
        words = normalised.text
        found: set[tuple[tuple[int, int], int]] = set()
        if self._phrases is not None and words:
            padded, bare = self._phrases
            for last, (length, rules) in padded.hits(f" {words} "):
                span = normalised.span_in_original(last - length - 1, last - 1)
                found.update((span, rule) for rule in rules)
            if normalised.has_split_letters:
                for last, (length, rules) in bare.hits(words):
                    start, end = last + 1 - length, last + 1
                    if _is_boundary(normalised, start) and _is_boundary(normalised, end):
                        span = normalised.span_in_original(start, end)
                        found.update((span, rule) for rule in rules)
        folded = normalised.folded
        to_run = set(self._ungated)
        if self._gate is not None:
            for _, (_, rules) in self._gate.hits(folded):
                to_run.update(rules)
        for rule in to_run:
            for match in self._regexes[rule].finditer(folded):
                found.add((normalised.folded_span_in_original(*match.span()), rule))
        matches = []
        for span, rule in found:
            watchword = self._watchwords[rule]
            matches.append(
                Match(watchword.id, watchword.tier, watchword.action, span, text[span[0] : span[1]])
            )
        matches.sort(key=lambda match: (match.span, match.rule_id))
        return matches

    def decide(self, text: str) -> Decision:
        """The strongest action among the matches (alert > hold > flag), and whether any is risk."""
        matches = tuple(self.check(text))
        action = max((m.action for m in matches), key=lambda a: a.severity, default=None)
        is_risk = any(m.tier is Tier.CLINICAL_RISK for m in matches)
        return Decision(action, is_risk, matches)


def _is_boundary(normalised: Normalised, position: int) -> bool:
    """A word boundary of the normalised text (tokens are separated by single spaces)."""
    words = normalised.text
    if position in (0, len(words)) or words[position - 1] == " " or words[position] == " ":
        return True
    return normalised.is_split_letters_at(position)
