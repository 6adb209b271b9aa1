"""How a questionnaire is split into phone-sized pages, and which of its items are asked.

Pure: no Flask, no database. Items are grouped a few to a page; a follow-up question asked only
after a particular answer (employment hours, medication details) goes on the page after the
question it depends on, so the answer is known when the page is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import ceil

from questionnaires import Instrument, Item, ItemKind

MAX_ITEMS_PER_PAGE = 3


@dataclass(frozen=True)
class Step:
    """One page of the pre-session set: an instrument's page number and the items on it."""

    instrument: str
    page: int  # 1-based within the instrument
    items: tuple[str, ...]


def _balanced(run: list[Item]) -> list[list[Item]]:
    """Split a run into as few pages as fit, as evenly as possible (7 items: 3, 2, 2)."""
    pages = ceil(len(run) / MAX_ITEMS_PER_PAGE)
    size, extra = divmod(len(run), pages)
    chunks, start = [], 0
    for index in range(pages):
        end = start + size + (1 if index < extra else 0)
        chunks.append(run[start:end])
        start = end
    return chunks


def instrument_pages(instrument: Instrument) -> tuple[tuple[Item, ...], ...]:
    runs: list[list[Item]] = [[]]
    for item in instrument.items:
        current = runs[-1]
        depends_on_current = item.asked_if is not None and any(
            other.key == item.asked_if.item for other in current
        )
        if current and (
            depends_on_current or item.kind is ItemKind.TEXT or current[-1].kind is ItemKind.TEXT
        ):
            runs.append([])
        runs[-1].append(item)
    return tuple(tuple(chunk) for run in runs for chunk in _balanced(run))


def is_asked(item: Item, answers: Mapping[str, object]) -> bool:
    if item.asked_if is None:
        return True
    return answers.get(item.asked_if.item) in item.asked_if.values


def steps(
    instruments: Sequence[Instrument], answers: Mapping[str, Mapping[str, object]]
) -> list[Step]:
    """Every page with at least one question to ask, given the answers so far."""
    found = []
    for instrument in instruments:
        given = answers.get(instrument.code, {})
        for number, page in enumerate(instrument_pages(instrument), start=1):
            asked = tuple(item.key for item in page if is_asked(item, given))
            if asked:
                found.append(Step(instrument.code, number, asked))
    return found


def is_complete(instrument: Instrument, answers: Mapping[str, object]) -> bool:
    """Every required question that is asked has an answer."""
    return all(
        answers.get(item.key) not in (None, "")
        for item in instrument.items
        if item.required and is_asked(item, answers)
    )
