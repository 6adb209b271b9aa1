"""Worksheet forms, built from the worksheet's definition in `content.worksheets`."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from content.worksheets import FieldKind, Worksheet


class OptionalRadioField(RadioField):
    """Radios that may be left unanswered; an answer must be one of the options."""

    def pre_validate(self, form: Any) -> None:
        if self.data in (None, ""):
            return
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(f"Select one of the options for: {self.label.text}") from None


class WorksheetForm(FlaskForm):
    """A worksheet with at least one part filled in."""

    answer_keys: tuple[str, ...] = ()

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not any(str(self[key].data or "").strip() for key in self.answer_keys):
            self.form_errors.append("Fill in at least one part of the worksheet before you save it")
            return False
        return True

    def answers(self) -> dict[str, str]:
        return {key: str(self[key].data or "").strip() for key in self.answer_keys}


def worksheet_form(sheet: Worksheet, saved: dict[str, str] | None = None) -> WorksheetForm:
    """A form for this worksheet, pre-filled with what the patient saved before."""
    fields: dict[str, Any] = {"answer_keys": tuple(field.key for field in sheet.fields)}
    for field in sheet.fields:
        too_long = Length(
            max=field.max_length,
            message=f"{field.label} must be {field.max_length:,} characters or fewer",
        )
        if field.kind is FieldKind.CHOICE:
            fields[field.key] = OptionalRadioField(
                field.label,
                choices=[SelectChoice(value, label) for value, label in field.choices],
                validators=[Optional()],
            )
        elif field.kind is FieldKind.TEXT:
            fields[field.key] = StringField(field.label, validators=[Optional(), too_long])
        else:
            fields[field.key] = TextAreaField(field.label, validators=[Optional(), too_long])
    form_class = type("WorksheetPageForm", (WorksheetForm,), fields)
    return form_class(data=saved or {})  # type: ignore[no-any-return]


class DeleteForm(FlaskForm):
    """Only a CSRF token: the button is the answer."""
