"""The care pathway's forms. Each that depends on the episode gets what it needs in its
constructor (STYLE.md section 2), and each clinical date form gets the day it is in the UK
(`webapp.pathway.episode.uk_today`), since no clinical date may be after it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from webapp.pathway.codes import DESCRIPTOR_LABELS, ICD10, RiskLevel, check_diagnosis, end_codes_for
from webapp.pathway.episode import ALLOWED_CHANGES, STEP_LABELS, EpisodeState
from webapp.sessions.forms import APPOINTMENT_TYPES
from webapp.therapy.forms import parse_date

TEXT_MAX = 5000
YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
STEP_CHOICES = [SelectChoice(step, label) for step, label in STEP_LABELS.items()]


def _long_text(label: str, missing: str) -> TextAreaField:
    """Required free text: DataRequired, as the other forms require text, so spaces alone are
    refused with `missing` (InputRequired let them through, to be stripped to nothing)."""
    return TextAreaField(
        label,
        validators=[
            DataRequired(missing),
            Length(max=TEXT_MAX, message=f"This must be {TEXT_MAX:,} characters or fewer"),
        ],
    )


def _check_date(message: str):  # type: ignore[no-untyped-def]
    def check(_form: FlaskForm, field: StringField) -> None:
        if parse_date(field.data) is None:
            raise ValidationError(message)

    return check


def _check_not_after(today: date, field: StringField, what: str) -> None:
    day = parse_date(field.data)
    if day is not None and day > today:
        raise ValidationError(f"The date of {what} must be today or in the past")


def _date(label: str, missing: str) -> StringField:
    return StringField(
        label,
        validators=[
            InputRequired(missing),
            _check_date(f"{missing} as a real date, like 2027-03-31"),
        ],
    )


class StateForm(FlaskForm):
    to_state = RadioField("Move the episode to", validators=[InputRequired("Choose the new state")])
    note = TextAreaField(
        "Note (optional)",
        validators=[
            Length(max=TEXT_MAX, message=f"Notes must be {TEXT_MAX:,} characters or fewer")
        ],
    )

    def __init__(self, state: EpisodeState, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.to_state.choices = [
            SelectChoice(new.value, new.label)
            for new in sorted(ALLOWED_CHANGES[state], key=list(EpisodeState).index)
            if not new.is_ended
        ]


class AssessmentForm(FlaskForm):
    assessed_on = _date("Date of the assessment", "Enter the date of the assessment")
    problem_descriptor = SelectField(
        "Presenting problem",
        choices=[SelectChoice(d.value, label) for d, label in DESCRIPTOR_LABELS.items()],
        validators=[InputRequired("Choose the presenting problem")],
    )
    icd10_code = SelectField(
        "ICD-10 code",
        choices=[SelectChoice("", "None (other or not yet known)")]
        + [SelectChoice(code, d.label) for code, d in ICD10.items()],
    )
    risk_level = RadioField(
        "Risk level",
        choices=[SelectChoice(level.value, level.label) for level in RiskLevel],
        validators=[InputRequired("Choose the risk level")],
    )
    risk_summary = _long_text("Risk assessment summary", "Enter the risk assessment summary")
    risk_plan = _long_text("Risk plan", "Enter the risk plan")
    goals = _long_text("Goals the patient set", "Enter the goals the patient set")
    options_explained = _long_text(
        "Treatment options explained", "Enter the treatment options you explained"
    )
    preference = StringField(
        "The patient’s preference",
        validators=[
            DataRequired("Enter the patient’s preference"),
            Length(max=500, message="This must be 500 characters or fewer"),
        ],
    )
    preference_met = RadioField(
        "Was their preference met?",
        choices=YES_NO,
        validators=[InputRequired("Say whether their preference was met")],
    )
    step_of_care = RadioField(
        "Step of care", choices=STEP_CHOICES, validators=[InputRequired("Choose the step of care")]
    )

    def __init__(self, today: date, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_assessed_on(self, field: StringField) -> None:
        _check_not_after(self.today, field, "the assessment")

    def validate_icd10_code(self, field: SelectField) -> None:
        try:
            check_diagnosis(self.problem_descriptor.data or "none", field.data or None)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def values(self) -> dict[str, object]:
        return {
            "assessed_on": parse_date(self.assessed_on.data),
            "problem_descriptor": self.problem_descriptor.data,
            "icd10_code": self.icd10_code.data or None,
            "risk_level": self.risk_level.data,
            "risk_summary": (self.risk_summary.data or "").strip(),
            "risk_plan": (self.risk_plan.data or "").strip(),
            "goals": (self.goals.data or "").strip(),
            "options_explained": (self.options_explained.data or "").strip(),
            "preference": (self.preference.data or "").strip(),
            "preference_met": self.preference_met.data == "yes",
            "step_of_care": self.step_of_care.data,
        }


class StepForm(FlaskForm):
    to_step = RadioField(
        "Move to", choices=STEP_CHOICES, validators=[InputRequired("Choose the step of care")]
    )
    changed_on = _date("Date of the change", "Enter the date of the change")
    reason = _long_text("Why", "Enter why the step of care is changing")

    def __init__(self, today: date, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_changed_on(self, field: StringField) -> None:
        _check_not_after(self.today, field, "the change")


class DischargeForm(FlaskForm):
    end_code = RadioField("End code", validators=[InputRequired("Choose the end code")])
    ended_on = _date("Date of discharge", "Enter the date of discharge")
    reason = _long_text("Reason", "Enter the reason for discharge")

    def __init__(self, state: EpisodeState, today: date, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.end_code.choices = [
            SelectChoice(end.code, f"{end.code} – {end.label}") for end in end_codes_for(state)
        ]

    def validate_ended_on(self, field: StringField) -> None:
        _check_not_after(self.today, field, "discharge")


class CodingForm(FlaskForm):
    appointment_type = RadioField(
        "Appointment type",
        choices=[SelectChoice(value, label) for value, label in APPOINTMENT_TYPES],
        validators=[InputRequired("Select the appointment type")],
    )
    step_of_care = RadioField(
        "Step of care", choices=STEP_CHOICES, validators=[InputRequired("Select the step of care")]
    )


class EndingForm(FlaskForm):
    """Plan the next session as the last: a button, with its CSRF token."""
