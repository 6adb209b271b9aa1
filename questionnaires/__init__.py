"""Questionnaires: the registry of instruments and ``score(code, answers)``.

Pure: no Flask, no database (an import-linter contract in pyproject.toml enforces it). Values in,
values out. The instruments and their scoring rules are DOMAIN.md section 3; the pre-session set is
DOMAIN.md section 2; outcome measures and national outcome definitions (DOMAIN.md section 4) are in
``questionnaires.measures`` and ``questionnaires.outcomes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from questionnaires.instrument import (
    Answer,
    Instrument,
    Item,
    ItemKind,
    Option,
    ScoreResult,
    Scoring,
    score_answers,
)
from questionnaires.instruments.employment import EMPLOYMENT
from questionnaires.instruments.gad7 import GAD7
from questionnaires.instruments.medication import MEDICATION
from questionnaires.instruments.peq import PEQ_ASSESSMENT, PEQ_TREATMENT
from questionnaires.instruments.phobia import PHOBIA
from questionnaires.instruments.phq9 import PHQ9
from questionnaires.instruments.srs import SRS
from questionnaires.instruments.wsas import WSAS
from questionnaires.outcomes import RISE_FLAG_DESCRIPTIONS

__all__ = [
    "AFTER_SESSION",
    "END_OF_TREATMENT",
    "INSTRUMENTS",
    "PRE_SESSION_SET",
    "RISK_FLAGS",
    "Answer",
    "Instrument",
    "Item",
    "ItemKind",
    "Option",
    "ScoreResult",
    "Scoring",
    "UnknownInstrumentError",
    "describe_risk",
    "get",
    "is_worse_risk",
    "score",
    "weakest_risk_level",
]

INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {
        instrument.code: instrument
        for instrument in (
            PHQ9,
            GAD7,
            PHOBIA,
            EMPLOYMENT,
            WSAS,
            MEDICATION,
            SRS,
            PEQ_ASSESSMENT,
            PEQ_TREATMENT,
        )
    }
)
"""Every instrument, by code."""

PRE_SESSION_SET = ("phq9", "gad7", "phobia", "employment", "wsas", "medication")
"""Completed before every session, in this order (DOMAIN.md section 2)."""

AFTER_SESSION = ("srs",)
"""Completed by the patient after every session (DOMAIN.md section 2)."""

END_OF_TREATMENT = ("peq_treatment",)
"""Completed before treatment ends (DOMAIN.md section 2); ``peq_assessment`` follows assessment."""

RISK_FLAGS: Mapping[str, str] = MappingProxyType(
    {
        **{
            rule.code: rule.description
            for instrument in INSTRUMENTS.values()
            for rule in instrument.risk_rules
        },
        **RISE_FLAG_DESCRIPTIONS,
    }
)
"""Every risk flag code this package raises, with a plain-English description for staff."""


class UnknownInstrumentError(KeyError, ValueError):
    """No instrument has this code. A ``KeyError`` for lookups, a ``ValueError`` for bad input."""

    def __str__(self) -> str:
        return f"unknown instrument {self.args[0]!r}"


def get(code: str) -> Instrument:
    """The instrument called ``code``; ``UnknownInstrumentError`` if there is none."""
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise UnknownInstrumentError(code) from None


def score(instrument_id: str, answers: Mapping[str, object]) -> ScoreResult:
    """Validate and score one completed form of instrument ``instrument_id``.

    ``answers`` maps item keys to option values (``int`` or code ``str``) or free text; ``None``
    means not answered. Raises ``ValueError`` naming the item for a missing, extra, not-asked,
    wrong-type (``bool``, ``float``, ``str`` for a number, ...) or out-of-range answer.
    """
    return score_answers(get(instrument_id), answers)


def describe_risk(code: str) -> str:
    """The plain-English description of risk flag ``code``; ``ValueError`` if unknown."""
    try:
        return RISK_FLAGS[code]
    except KeyError:
        raise ValueError(f"unknown risk flag {code!r}") from None


def is_worse_risk(code: str, value: int, than: int) -> bool:
    """Whether ``value`` is a stronger signal for risk flag ``code`` than ``than`` (each the
    value that raised it: an item's answer or a total). A reliable rise is worse the higher
    the total; ``ValueError`` if the code is unknown."""
    describe_risk(code)  # (refuses an unknown code)
    for instrument in INSTRUMENTS.values():
        for rule in instrument.risk_rules:
            if rule.code == code:
                return rule.is_worse(value, than)
    return value > than  # a reliable rise (RISE_FLAG_DESCRIPTIONS)


def weakest_risk_level(code: str) -> int:
    """The least value that raises risk flag ``code`` (its rule's floor, or its ceiling for a
    rule with only one); 0 for a reliable rise, which any rise beats. ``ValueError`` if the
    code is unknown."""
    describe_risk(code)  # (refuses an unknown code)
    for instrument in INSTRUMENTS.values():
        for rule in instrument.risk_rules:
            if rule.code == code:
                weakest = rule.at_least if rule.at_least is not None else rule.at_most
                assert weakest is not None  # (a rule has a floor or a ceiling)
                return weakest
    return 0
