"""Worksheet definitions and the checks on what a patient saves."""

from __future__ import annotations

import pytest

from content import safety_plan, worksheets
from content.worksheets import WORKSHEETS, FieldKind, clean_answers


@pytest.mark.parametrize("sheet", WORKSHEETS.values(), ids=list(WORKSHEETS))
def test_each_worksheet_has_unique_field_keys_and_valid_choices(sheet):
    keys = [field.key for field in sheet.fields]
    assert len(keys) == len(set(keys))
    assert sheet.title and sheet.intro
    for field in sheet.fields:
        assert field.label
        assert (field.kind is FieldKind.CHOICE) == bool(field.choices)


def test_the_activity_plan_has_a_box_for_every_day():
    keys = {field.key for field in worksheets.ACTIVITY_PLAN.fields}
    assert set(worksheets.DAYS) <= keys


def test_answers_are_trimmed_and_empty_ones_dropped():
    cleaned = clean_answers(
        worksheets.WORRY_LOG, {"worry": "  money  ", "action": "", "when": None}
    )
    assert cleaned == {"worry": "money"}


def test_a_choice_must_be_one_of_the_options():
    assert clean_answers(worksheets.WORRY_LOG, {"kind": "practical"}) == {"kind": "practical"}
    with pytest.raises(ValueError, match="not an option"):
        clean_answers(worksheets.WORRY_LOG, {"kind": "maybe"})


def test_unknown_fields_too_long_answers_and_empty_sheets_are_refused():
    with pytest.raises(ValueError, match="no field"):
        clean_answers(worksheets.WORRY_LOG, {"colour": "blue"})
    with pytest.raises(ValueError, match="longer than"):
        clean_answers(worksheets.WORRY_LOG, {"when": "x" * 201})
    with pytest.raises(ValueError, match="nothing is filled in"):
        clean_answers(worksheets.WORRY_LOG, {"worry": "   "})


def test_field_lookup_by_key():
    assert worksheets.WORRY_LOG.field("worry").label == "What is the worry?"
    with pytest.raises(KeyError):
        worksheets.WORRY_LOG.field("nope")
    with pytest.raises(KeyError):
        worksheets.get("nope")


# The safety plan ------------------------------------------------------------------------


def test_the_safety_plan_has_the_six_sections_in_crisis_order():
    assert safety_plan.KEYS == (
        "warning_signs",
        "coping_steps",
        "people_and_places",
        "professional_contacts",
        "safe_environment",
        "reasons_for_living",
    )


def test_a_safety_plan_keeps_every_section_trimmed():
    cleaned = safety_plan.clean_plan({"reasons_for_living": "  my dog  "})
    assert cleaned["reasons_for_living"] == "my dog"
    assert cleaned["warning_signs"] == ""
    assert set(cleaned) == set(safety_plan.KEYS)


def test_a_safety_plan_refuses_unknown_sections_long_text_and_nothing_at_all():
    with pytest.raises(ValueError, match="unknown"):
        safety_plan.clean_plan({"hobbies": "x"})
    with pytest.raises(ValueError, match="longer than"):
        safety_plan.clean_plan({"coping_steps": "x" * 3001})
    with pytest.raises(ValueError, match="nothing"):
        safety_plan.clean_plan({"coping_steps": " "})
