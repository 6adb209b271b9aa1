"""Forms for outcomes, technical-failure reports, extra sessions and disputes. Messages follow
the NHS.UK error message pattern."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from webapp.charges.services import NOTE_MAX_LENGTH
from webapp.forms_nhsuk import WholeNumberField

ATTENDED_LATE = "attended_late"
TOO_LATE_TO_BE_SEEN = "too_late_to_be_seen"
# A late arrival is recorded as its outcome with `late=True` (codes 6 and 7).
LATE_CHOICES = {ATTENDED_LATE: "attended", TOO_LATE_TO_BE_SEEN: "patient_dna"}
THERAPIST_OUTCOMES = [
    SelectChoice("attended", "The patient attended"),
    SelectChoice(ATTENDED_LATE, "The patient arrived late but was seen"),
    SelectChoice(TOO_LATE_TO_BE_SEEN, "The patient arrived too late to be seen"),
    SelectChoice("patient_dna", "The patient did not attend"),
    SelectChoice("therapist_dna", "The therapist did not attend"),
]
LEAD_OUTCOMES = [
    *THERAPIST_OUTCOMES,
    SelectChoice("tech_failure_provider", "Technical failure on the therapist’s or service’s side"),
    SelectChoice("tech_failure_patient", "Technical failure on the patient’s side"),
]
_LENGTH = Length(max=NOTE_MAX_LENGTH, message=f"This must be {NOTE_MAX_LENGTH} characters or fewer")


class OutcomeForm(FlaskForm):
    outcome = RadioField(
        "What happened at the session?",
        validators=[InputRequired("Select what happened at the session")],
    )
    note = TextAreaField("Note (optional)", validators=[_LENGTH])

    def __init__(self, choices: list[SelectChoice], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.outcome.choices = choices


AFFECTED = [
    SelectChoice("patient", "The patient"),
    SelectChoice("therapist", "The therapist"),
    SelectChoice("both", "Both"),
]
PATIENT_FAULTS = [
    SelectChoice("patient", "My device or internet connection"),
    SelectChoice("provider", "The therapist’s side or the service"),
    SelectChoice("unknown", "I do not know"),
]
THERAPIST_FAULTS = [
    SelectChoice("patient", "The patient’s device or connection"),
    SelectChoice("provider", "My side or the service"),
    SelectChoice("unknown", "I do not know"),
]


class FailureReportForm(FlaskForm):
    what_happened = TextAreaField(
        "What happened?",
        validators=[DataRequired("Enter what happened"), _LENGTH],
    )
    affected = RadioField(
        "Who did it affect?", choices=AFFECTED, validators=[InputRequired("Select who it affected")]
    )
    fault = RadioField(
        "Where do you think the problem was?",
        validators=[InputRequired("Select where you think the problem was")],
    )

    def __init__(self, faults: list[SelectChoice], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.fault.choices = faults


class GrantForm(FlaskForm):
    sessions = WholeNumberField(
        "How many more sessions?",
        not_a_number="Enter how many more sessions as a whole number, like 4",
        validators=[
            InputRequired("Enter how many more sessions, as a number"),
            NumberRange(min=1, max=20, message="Enter a number of sessions from 1 to 20"),
        ],
    )
    reason = TextAreaField(
        "Why are you granting more sessions?",
        validators=[DataRequired("Enter why you are granting more sessions"), _LENGTH],
    )


class DisputeForm(FlaskForm):
    fault = RadioField(
        "Who was at fault?",
        choices=[
            SelectChoice("patient", "The patient’s side: the session is charged"),
            SelectChoice("provider", "The therapist’s or service’s side: not charged"),
        ],
        validators=[InputRequired("Select who was at fault")],
    )
    reason = TextAreaField(
        "Reason for your decision",
        validators=[DataRequired("Enter the reason for your decision"), _LENGTH],
    )
