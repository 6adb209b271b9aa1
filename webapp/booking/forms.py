"""Booking forms. Messages follow the NHS.UK error message pattern."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

SLOT_FORMAT = "%Y%m%dT%H%M%SZ"


def slot_token(value: datetime) -> str:
    """A slot's start as it travels in links and forms, e.g. 20261124T090000Z (UTC)."""
    return value.astimezone(UTC).strftime(SLOT_FORMAT)


def parse_slot(value: str | None) -> datetime | None:
    if not value or len(value) != 16:
        return None
    try:
        return datetime.strptime(value, SLOT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


class FilterForm(FlaskForm):
    """Filters on the therapist list (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    gender = SelectField("Gender", default="")
    language = SelectField("Language", default="")
    approach = SelectField("Type of therapy", default="")
    step_of_care = SelectField("Step of care", default="")

    def __init__(self, choices: dict[str, list[str]], **kwargs: object) -> None:
        super().__init__(**kwargs)
        for name, values in choices.items():
            field = getattr(self, name)
            labels = STEP_LABELS if name == "step_of_care" else {}
            field.choices = [SelectChoice("", "Any")] + [
                SelectChoice(v, labels.get(v, v)) for v in values
            ]


STEP_LABELS = {"step2": "Step 2 (low intensity)", "step3": "Step 3 (high intensity)"}


class SlotForm(FlaskForm):
    start = HiddenField(validators=[DataRequired("Choose a time")])

    def validate_start(self, field: HiddenField) -> None:
        if parse_slot(field.data) is None:
            raise ValidationError("Choose a time from the list")

    @property
    def starts_at(self) -> datetime:
        parsed = parse_slot(self.start.data)
        assert parsed is not None  # validated
        return parsed


class ChargeShownField(HiddenField):
    """What the page said about the session being used ("yes" or "no"), so a press after the
    24 hours' notice has passed is not taken as agreeing to what the page did not say."""

    @property
    def expected(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.data or "")


class RescheduleForm(SlotForm):
    charged_shown = ChargeShownField()
    reason = TextAreaField(
        "Why are you changing this appointment? (optional)",
        validators=[Length(max=500, message="Reason must be 500 characters or fewer")],
    )


class CancelForm(FlaskForm):
    charged_shown = ChargeShownField()
    reason = TextAreaField(
        "Why are you cancelling? (optional)",
        validators=[Length(max=500, message="Reason must be 500 characters or fewer")],
    )
