"""Forms built from an instrument's items: one radio group (or text box) per question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from questionnaires import Instrument, ItemKind


def page_form(instrument: Instrument, item_keys: Sequence[str], saved: dict[str, Any]) -> FlaskForm:
    """A form for one page, pre-filled with what was saved before."""
    fields: dict[str, Any] = {}
    for key in item_keys:
        item = instrument.item(key)
        if item.kind is ItemKind.TEXT:
            validators = [
                Length(
                    max=item.max_length or 500,
                    message=f"Answer must be {item.max_length} characters or fewer",
                )
            ]
            validators.insert(
                0, InputRequired("Answer this question") if item.required else Optional()
            )
            fields[key] = TextAreaField(item.text, validators=validators)
            continue
        options = instrument.answer_options(item)
        numeric = all(isinstance(option.value, int) for option in instrument.options_for(item))
        fields[key] = RadioField(
            item.text,
            choices=[SelectChoice(option.value, option.label) for option in options],  # type: ignore[arg-type]
            coerce=_number_or_code if numeric else str,
            validators=[InputRequired("Select an answer to: " + item.text)],
        )
    form_class = type(f"{instrument.code.title()}PageForm", (FlaskForm,), fields)
    return form_class(data={key: saved[key] for key in item_keys if key in saved})  # type: ignore[no-any-return]


def _number_or_code(value: object) -> object:
    """A numeric scale's answer as its number; a code beside it ("not_applicable") as it is."""
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        return value
    return int(value)  # type: ignore[call-overload]


def answers_from(form: FlaskForm, item_keys: Sequence[str]) -> dict[str, Any]:
    answers = {}
    for key in item_keys:
        value = form[key].data
        answers[key] = value.strip() if isinstance(value, str) else value
    return answers


class AcknowledgeForm(FlaskForm):
    note = TextAreaField(
        "What you will do (optional)",
        validators=[Optional(), Length(max=2000, message="Note must be 2,000 characters or fewer")],
    )
