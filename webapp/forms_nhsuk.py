"""Form fields that speak as NHS.UK pages do (STYLE.md section 2): in one place."""

from __future__ import annotations

from typing import Any

from wtforms import IntegerField, StringField, ValidationError


class WholeNumberField(IntegerField):
    """A whole number, with `not_a_number` said when the text is not one: WTForms' own message
    ("Not a valid integer value.") tells a person neither what went wrong nor what to enter."""

    def __init__(self, label: str, validators: Any = None, *, not_a_number: str, **kwargs: Any):
        super().__init__(label, validators, **kwargs)
        self.not_a_number = not_a_number

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(self.not_a_number) from error


def uk_mobile(_form: Any, field: StringField) -> None:
    """An optional UK mobile number: empty, or one `normalise_uk_mobile` reads."""
    from webapp.referral import eligibility  # (here: the referral forms import this module)

    if not (field.data or "").strip():
        return
    try:
        eligibility.normalise_uk_mobile(field.data or "")
    except ValueError:
        raise ValidationError("Enter a UK mobile number, like 07700 900 982") from None
