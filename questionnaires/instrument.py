"""Questionnaires as data: Option, Item, Instrument, RiskRule, and scoring one completed form.

Pure: no Flask, no database. Values in, values out; frozen dataclasses; ``ValueError`` for bad
input. Item ranges, totals, caseness and severity bands follow DOMAIN.md section 3; coded answers
(employment status and the like) use the national dataset's own values, DOMAIN.md section 5.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

Answer = int | str
"""A stored answer: an option's value (an ``int`` or a national code ``str``) or free text."""


class ItemKind(enum.Enum):
    """How an item is answered."""

    CHOICE = "choice"  # one of the item's (or the instrument's) options
    TEXT = "text"  # free text up to the item's max_length characters


class Scoring(enum.Enum):
    """How an instrument is scored.

    TOTAL: the answers are summed (PHQ-9, GAD-7, WSAS, SRS).
    PER_ITEM: each item stands alone and there is no total (IAPT Phobia Scales, DOMAIN.md section 3:
    "total: per item"); caseness is judged item by item.
    NONE: recorded, never scored (employment, medication, PEQ).
    """

    TOTAL = "total"
    PER_ITEM = "per_item"
    NONE = "none"


@dataclass(frozen=True)
class Option:
    """One answer a patient may choose: the stored ``value`` and the ``label`` shown."""

    value: Answer
    label: str


@dataclass(frozen=True)
class Condition:
    """An item is asked only when another item's answer is one of ``values``."""

    item: str
    values: frozenset[Answer]


@dataclass(frozen=True)
class Item:
    """One question. ``options`` empty means the instrument's shared options apply."""

    key: str
    text: str
    options: tuple[Option, ...] = ()
    kind: ItemKind = ItemKind.CHOICE
    max_length: int | None = None  # characters, TEXT items only
    required: bool = True  # when asked, must it be answered?
    asked_if: Condition | None = None  # None: always asked
    # The label of a "not applicable" answer the item also takes (stored as NOT_APPLICABLE, and
    # left out of the total), as the WSAS work item has for someone not working by choice.
    not_applicable: str | None = None


NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class RiskRule:
    """A risk signal a clinician must see (DOMAIN.md section 3).

    ``item`` names the answer tested, or None for the total; the flag is raised when that value is
    at least ``at_least`` and/or at most ``at_most``.
    """

    code: str
    description: str
    item: str | None = None
    at_least: int | None = None
    at_most: int | None = None

    def is_raised_by(self, value: int) -> bool:
        """Whether ``value`` (the item's answer or the total) raises this flag."""
        if self.at_least is not None and value < self.at_least:
            return False
        return self.at_most is None or value <= self.at_most

    def is_worse(self, value: int, than: int) -> bool:
        """Whether ``value`` is a stronger signal than ``than``: higher for a rule with a floor
        (``at_least``), lower for one with only a ceiling (a low session rating)."""
        return value > than if self.at_least is not None else value < than


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: its wording, answer options, and how it is scored.

    ``version`` is stored by the web app beside every set of answers, so a later change of items
    or scoring never reinterprets old answers. ``band_starts[i]`` is the lowest total in the band
    named ``band_names[i]``; the last band runs to the maximum total.
    """

    code: str
    title: str
    version: str
    items: tuple[Item, ...]
    options: tuple[Option, ...] = ()
    preamble: str = ""
    scoring: Scoring = Scoring.NONE
    caseness_at: int | None = None  # total at or above which the score is at caseness
    item_caseness_at: int | None = None  # per-item caseness (PER_ITEM scoring)
    reliable_change: int | None = None  # points of change on the total that count as reliable
    band_starts: tuple[int, ...] = ()
    band_names: tuple[str, ...] = ()
    risk_rules: tuple[RiskRule, ...] = ()
    free_to_use: bool = True
    licence_note: str = ""  # what a deployment must hold before using the wording
    source: str = ""  # where the wording and the rules come from

    @property
    def is_scored(self) -> bool:
        """Whether answers are turned into a total or per-item judgements."""
        return self.scoring is not Scoring.NONE

    @property
    def needs_licence(self) -> bool:
        """Whether the deployment needs a licence to show this wording (the SRS does)."""
        return not self.free_to_use

    def item(self, key: str) -> Item:
        """The item called ``key``; ``ValueError`` naming it if there is none."""
        for item in self.items:
            if item.key == key:
                return item
        raise ValueError(f"{self.code}: no item {key!r}")

    def options_for(self, item: Item) -> tuple[Option, ...]:
        """The options an item offers: its own, else the instrument's shared scale."""
        return item.options or self.options

    def answer_options(self, item: Item) -> tuple[Option, ...]:
        """Every answer the item takes, as a form shows them: its options, then any "not
        applicable"."""
        extra = (Option(NOT_APPLICABLE, item.not_applicable),) if item.not_applicable else ()
        return (*self.options_for(item), *extra)

    def item_range(self, item: Item) -> tuple[int, int] | None:
        """Lowest and highest numeric value of a choice item, or None if its values are codes."""
        values = [option.value for option in self.options_for(item)]
        numbers = [value for value in values if isinstance(value, int)]
        if item.kind is not ItemKind.CHOICE or len(numbers) != len(values):
            return None
        return min(numbers), max(numbers)

    @property
    def total_range(self) -> tuple[int, int] | None:
        """Lowest and highest possible total, or None if the instrument has no total."""
        if self.scoring is not Scoring.TOTAL:
            return None
        ranges = [self.item_range(item) for item in self.items]
        lows = [r[0] for r in ranges if r is not None]
        highs = [r[1] for r in ranges if r is not None]
        return sum(lows), sum(highs)

    def band_for(self, total: int) -> str | None:
        """The severity band's name for ``total``, or None if the instrument has no bands."""
        name: str | None = None
        for start, band in zip(self.band_starts, self.band_names, strict=True):
            if total >= start:
                name = band
        return name

    def reworded(self, texts: Mapping[str, str], *, preamble: str | None = None) -> Instrument:
        """A copy with some item texts (and optionally the preamble) replaced.

        This is how a deployment supplies licensed wording (the Session Rating Scale) without any
        change to scoring: keys and options stay as they are. Unknown keys raise ``ValueError``.
        """
        for key in texts:
            self.item(key)
        items = tuple(
            dataclasses.replace(item, text=texts.get(item.key, item.text)) for item in self.items
        )
        return dataclasses.replace(
            self, items=items, preamble=self.preamble if preamble is None else preamble
        )


@dataclass(frozen=True)
class ScoreResult:
    """One scored form.

    ``total`` is None where the instrument has no total; ``severity`` is the band's name or None;
    ``caseness`` is None where the instrument has no caseness. For per-item instruments (phobia
    scales) ``caseness`` is True when any item is at caseness and ``item_caseness`` gives each
    item's judgement; it is empty for every other instrument. ``answers`` holds the validated
    answers in item order (items not asked, or optional and left blank, are absent).
    """

    instrument: str
    version: str
    answers: Mapping[str, Answer] = field(hash=False)
    total: int | None
    severity: str | None
    caseness: bool | None
    item_caseness: Mapping[str, bool] = field(hash=False)
    risk_flags: tuple[str, ...]
    # The value that raised each flag (the item's answer, or the total), to tell a worse
    # answer from the one a clinician has already read.
    risk_levels: Mapping[str, int] = field(hash=False, default_factory=lambda: MappingProxyType({}))


def _check_choice(instrument: Instrument, item: Item, value: object) -> Answer:
    options = instrument.answer_options(item)
    for option in options:
        # type() rather than ==: True == 1 and 1.0 == 1, but neither is a valid answer.
        if type(value) is type(option.value) and value == option.value:
            return option.value
    shown = ", ".join(repr(option.value) for option in options)
    raise ValueError(
        f"{instrument.code}: item {item.key!r}: {value!r} is not one of the options ({shown})"
    )


def _check_text(instrument: Instrument, item: Item, value: object) -> str:
    if type(value) is not str:
        raise ValueError(
            f"{instrument.code}: item {item.key!r}: free text must be a str, "
            f"not {type(value).__name__}"
        )
    if item.max_length is not None and len(value) > item.max_length:
        raise ValueError(
            f"{instrument.code}: item {item.key!r}: {len(value)} characters is more than the "
            f"limit of {item.max_length}"
        )
    if item.required and not value.strip():
        raise ValueError(f"{instrument.code}: item {item.key!r}: an answer is required")
    return value


def validate_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, Answer]:
    """Check a form's answers against ``instrument``; return them in item order.

    Raises ``ValueError`` naming the item for an unknown (extra) item, a missing required answer,
    an answer to an item that was not asked, or a value of the wrong type or out of range.
    ``None`` means "not answered".
    """
    known = {item.key for item in instrument.items}
    for key in answers:
        if key not in known:
            raise ValueError(f"{instrument.code}: unexpected item {key!r}")
    checked: dict[str, Answer] = {}
    for item in instrument.items:
        value = answers.get(item.key)
        condition = item.asked_if
        if condition is not None and checked.get(condition.item) not in condition.values:
            if value is not None:
                shown = ", ".join(sorted(repr(v) for v in condition.values))
                raise ValueError(
                    f"{instrument.code}: item {item.key!r} is only asked when "
                    f"{condition.item!r} is one of {shown}"
                )
            continue
        if value is None:
            if item.required:
                raise ValueError(f"{instrument.code}: item {item.key!r} is missing")
            continue
        if item.kind is ItemKind.TEXT:
            checked[item.key] = _check_text(instrument, item, value)
        else:
            checked[item.key] = _check_choice(instrument, item, value)
    return checked


def score_answers(instrument: Instrument, answers: Mapping[str, object]) -> ScoreResult:
    """Validate and score one form (see ``validate_answers`` for what is refused)."""
    checked = validate_answers(instrument, answers)
    numbers = {key: value for key, value in checked.items() if isinstance(value, int)}
    total: int | None = None
    severity: str | None = None
    caseness: bool | None = None
    item_caseness: dict[str, bool] = {}
    if instrument.scoring is Scoring.TOTAL:
        total = sum(numbers.values())
        severity = instrument.band_for(total)
        if instrument.caseness_at is not None:
            caseness = total >= instrument.caseness_at
    elif instrument.scoring is Scoring.PER_ITEM and instrument.item_caseness_at is not None:
        threshold = instrument.item_caseness_at
        item_caseness = {key: value >= threshold for key, value in numbers.items()}
        caseness = any(item_caseness.values())
    flags: list[str] = []
    levels: dict[str, int] = {}
    for rule in instrument.risk_rules:
        value = total if rule.item is None else numbers.get(rule.item)
        if value is not None and rule.is_raised_by(value):
            flags.append(rule.code)
            levels[rule.code] = value
    return ScoreResult(
        instrument=instrument.code,
        version=instrument.version,
        answers=MappingProxyType(checked),
        total=total,
        severity=severity,
        caseness=caseness,
        item_caseness=MappingProxyType(item_caseness),
        risk_flags=tuple(flags),
        risk_levels=MappingProxyType(levels),
    )
