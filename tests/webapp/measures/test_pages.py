"""Paging of the pre-session questionnaires (pure)."""

from __future__ import annotations

import pytest

import questionnaires
from webapp.measures import pages

pytestmark = pytest.mark.pure
PRE_SESSION = [questionnaires.get(code) for code in questionnaires.PRE_SESSION_SET]


def page_sizes(code: str) -> list[int]:
    return [len(page) for page in pages.instrument_pages(questionnaires.get(code))]


def test_each_instrument_is_split_evenly_into_pages_of_at_most_three():
    assert page_sizes("phq9") == [3, 3, 3]
    assert page_sizes("gad7") == [3, 2, 2]
    assert page_sizes("wsas") == [3, 2]
    assert page_sizes("phobia") == [3]


def test_every_item_appears_on_exactly_one_page():
    for instrument in questionnaires.INSTRUMENTS.values():
        keys = [item.key for page in pages.instrument_pages(instrument) for item in page]
        assert keys == [item.key for item in instrument.items]
        assert all(
            0 < len(page) <= pages.MAX_ITEMS_PER_PAGE for page in pages.instrument_pages(instrument)
        )


def test_a_follow_up_question_is_never_on_the_same_page_as_the_question_it_depends_on():
    for instrument in questionnaires.INSTRUMENTS.values():
        for page in pages.instrument_pages(instrument):
            keys = {item.key for item in page}
            assert not any(item.asked_if and item.asked_if.item in keys for item in page)


def test_employment_follow_ups_are_asked_only_of_people_in_work():
    unemployed = pages.steps(PRE_SESSION, {"employment": {"status": "02"}})
    employed = pages.steps(PRE_SESSION, {"employment": {"status": "01"}})
    asked = lambda steps: {k for s in steps if s.instrument == "employment" for k in s.items}  # noqa: E731
    assert "hours_worked" not in asked(unemployed)
    assert {"hours_worked", "statutory_sick_pay"} <= asked(employed)


def test_a_form_is_complete_only_when_every_asked_required_question_has_an_answer():
    phq9 = questionnaires.get("phq9")
    answers = {f"q{n}": 0 for n in range(1, 10)}
    assert pages.is_complete(phq9, answers)
    del answers["q9"]
    assert not pages.is_complete(phq9, answers)
    employment = questionnaires.get("employment")
    answers = {item.key: "ZZ" for item in employment.items if item.asked_if is None}
    answers["status"] = "02"
    assert pages.is_complete(employment, answers)
    answers["status"] = "01"
    assert not pages.is_complete(employment, answers)
