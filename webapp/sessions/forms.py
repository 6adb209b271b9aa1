"""Forms for after a session: the therapist's record, the patient's notes and rating."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

import questionnaires
from webapp.forms_nhsuk import WholeNumberField

THERAPY_TYPES = [
    ("cbt", "Cognitive behavioural therapy (CBT)"),
    ("guided_self_help", "Guided self-help"),
    ("behavioural_activation", "Behavioural activation"),
    ("counselling_for_depression", "Counselling for depression"),
    ("ipt", "Interpersonal psychotherapy (IPT)"),
    ("other", "Other"),
]
# National codes, as the episode's coding (webapp.pathway.episode.STEPS) and the extracts use.
STEPS_OF_CARE = [("2", "Step 2 (low intensity)"), ("3", "Step 3 (high intensity)")]
# The appointment's national type (webapp.pathway.episode.AppointmentType): only sessions where a
# significant part delivers a NICE-recommended intervention are treatment.
APPOINTMENT_TYPES = [
    ("assessment", "Assessment"),
    ("assessment_and_treatment", "Assessment and treatment"),
    ("treatment", "Treatment"),
    ("review", "Review"),
]
# National attendance codes (DOMAIN.md section 5) a finished session can have.
ATTENDANCE_CODES = [
    ("5", "5 – Attended on time"),
    ("6", "6 – Arrived late but was seen"),
    ("7", "7 – Arrived late and could not be seen"),
    ("3", "3 – Did not attend, no warning"),
    ("4", "4 – Cancelled or postponed by the provider (for example a technical failure)"),
]
NOTES_MAX = 5000
# What each stored code reads as, for showing a record (and its earlier versions) in words.
RECORD_LABELS = {
    "therapy_type": dict(THERAPY_TYPES),
    "appointment_type": dict(APPOINTMENT_TYPES),
    "step_of_care": dict(STEPS_OF_CARE),
    "attendance_code": dict(ATTENDANCE_CODES),
}


def _choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class RecordForm(FlaskForm):
    """The session record. Its text is required as other forms require text (DataRequired:
    spaces alone are not an answer); `version_shown` is the version of the record the page
    showed ("" for none), so a save from an out-of-date page can be refused."""

    version_shown = HiddenField()
    clinical_notes = TextAreaField(
        "Brief clinical notes",
        validators=[
            DataRequired("Enter brief clinical notes"),
            Length(max=NOTES_MAX, message=f"Notes must be {NOTES_MAX:,} characters or fewer"),
        ],
    )
    therapy_type = SelectField(
        "Therapy type",
        choices=_choices(THERAPY_TYPES),
        validators=[InputRequired("Select the therapy type")],
    )
    appointment_type = RadioField(
        "Appointment type",
        choices=_choices(APPOINTMENT_TYPES),
        validators=[InputRequired("Select the appointment type")],
    )
    step_of_care = RadioField(
        "Step of care",
        choices=_choices(STEPS_OF_CARE),
        validators=[InputRequired("Select the step of care")],
    )
    contact_minutes = WholeNumberField(
        "Contact duration in minutes",
        not_a_number="Enter the contact duration as a whole number of minutes, like 50",
        validators=[
            InputRequired("Enter the contact duration in minutes, for example 50"),
            NumberRange(0, 60, "Contact duration must be between 0 and 60 minutes"),
        ],
    )
    attendance_code = RadioField(
        "Attendance",
        choices=_choices(ATTENDANCE_CODES),
        validators=[InputRequired("Select the attendance")],
    )
    next_steps = TextAreaField(
        "Next steps",
        validators=[
            DataRequired("Enter the next steps, for example the next session's plan"),
            Length(max=NOTES_MAX, message=f"Next steps must be {NOTES_MAX:,} characters or fewer"),
        ],
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Your notes about this session",
        # (blank deletes the notes saved before: the view decides, knowing whether there are any)
        validators=[
            Length(max=NOTES_MAX, message=f"Notes must be {NOTES_MAX:,} characters or fewer")
        ],
    )


def rating_form(**kwargs: Any) -> FlaskForm:
    """The Session Rating Scale: one 0-10 radio group per item, from the instrument."""
    instrument = questionnaires.get("srs")
    fields: dict[str, Any] = {
        item.key: RadioField(
            item.text,
            choices=[
                SelectChoice(option.value, option.label)  # type: ignore[arg-type]
                for option in instrument.options_for(item)
            ],
            coerce=int,
            validators=[InputRequired("Select a rating for: " + item.text)],
        )
        for item in instrument.items
    }
    return type("RatingForm", (FlaskForm,), fields)(**kwargs)  # type: ignore[no-any-return]
