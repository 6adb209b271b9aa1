"""Therapists' forms: availability, their public profile and photo, cancelling a session."""

from __future__ import annotations

import re
from datetime import date, time

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
APPROACHES = [
    "CBT",
    "Interpersonal psychotherapy",
    "Integrative counselling",
    "Person-centred counselling",
    "Counselling for depression",
    "Guided self-help",
    "EMDR",
    "Couples therapy for depression",
]
STEPS = [
    SelectChoice("step2", "Step 2 (low intensity)"),
    SelectChoice("step3", "Step 3 (high intensity)"),
]


_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")


def parse_time(value: str | None) -> time | None:
    """ "9:00", "09:00" or "9.00" -> 09:00; None for anything else."""
    found = _CLOCK.fullmatch((value or "").strip())
    if found is None:
        return None
    hour, minute = int(found[1]), int(found[2])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _check_time(message: str):  # type: ignore[no-untyped-def]
    def check(_form: FlaskForm, field: StringField) -> None:
        if parse_time(field.data) is None:
            raise ValidationError(message)

    return check


def _check_date(message: str):  # type: ignore[no-untyped-def]
    def check(_form: FlaskForm, field: StringField) -> None:
        if parse_date(field.data) is None:
            raise ValidationError(message)

    return check


class WeeklyHoursForm(FlaskForm):
    weekday = SelectField(
        "Day", choices=[SelectChoice(str(i), name) for i, name in enumerate(WEEKDAYS)], default="0"
    )
    starts_at = StringField(
        "From",
        validators=[
            DataRequired("Enter the time you start, like 09:00"),
            _check_time("Enter the time you start as hours and minutes, like 09:00"),
        ],
    )
    ends_at = StringField(
        "Until",
        validators=[
            DataRequired("Enter the time you finish, like 17:00"),
            _check_time("Enter the time you finish as hours and minutes, like 17:00"),
        ],
    )

    def validate_ends_at(self, field: StringField) -> None:
        start, end = parse_time(self.starts_at.data), parse_time(field.data)
        if start is not None and end is not None and end <= start:
            raise ValidationError("The finish time must be after the start time")


class ExceptionForm(FlaskForm):
    kind = RadioField(
        "What is this?",
        choices=[
            SelectChoice("leave", "Leave: I am not available"),
            SelectChoice("extra", "Extra hours: I am available"),
        ],
        validators=[InputRequired("Select leave or extra hours")],
    )
    start_date = StringField(
        "From date",
        validators=[
            DataRequired("Enter the first date"),
            _check_date("Enter the first date as a real date, like 2026-12-24"),
        ],
    )
    start_time = StringField(
        "From time",
        default="00:00",
        validators=[
            DataRequired("Enter the start time"),
            _check_time("Enter the start time as hours and minutes, like 09:00"),
        ],
    )
    end_date = StringField(
        "Until date",
        validators=[
            DataRequired("Enter the last date"),
            _check_date("Enter the last date as a real date, like 2026-12-31"),
        ],
    )
    end_time = StringField(
        "Until time",
        default="23:59",
        validators=[
            DataRequired("Enter the end time"),
            _check_time("Enter the end time as hours and minutes, like 17:00"),
        ],
    )

    def validate_end_time(self, field: StringField) -> None:
        start_day, end_day = parse_date(self.start_date.data), parse_date(self.end_date.data)
        start, end = parse_time(self.start_time.data), parse_time(field.data)
        if None in (start_day, end_day, start, end):
            return
        if (end_day, end) <= (start_day, start):  # type: ignore[operator]
            raise ValidationError("The end must be after the start")


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Name shown to patients",
        validators=[
            DataRequired("Enter the name patients will see"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
    )
    pronouns = StringField(
        "Pronouns (optional)",
        validators=[Length(max=40, message="Pronouns must be 40 characters or fewer")],
    )
    gender = StringField(
        "Gender (optional)",
        validators=[Length(max=40, message="Gender must be 40 characters or fewer")],
    )
    languages = StringField(
        "Languages you offer sessions in",
        validators=[
            DataRequired("Enter at least one language"),
            Length(max=300, message="Languages must be 300 characters or fewer"),
        ],
    )
    approaches = StringField(
        "Types of therapy you offer",
        validators=[
            DataRequired("Enter at least one type of therapy"),
            Length(max=300, message="Types of therapy must be 300 characters or fewer"),
        ],
    )
    step_of_care = SelectField("Step of care", choices=STEPS)

    def validate_languages(self, field: StringField) -> None:
        if not split_list(field.data):  # (", ," passes DataRequired and lists nothing)
            raise ValidationError("Enter at least one language")

    def validate_approaches(self, field: StringField) -> None:
        if not split_list(field.data):
            raise ValidationError("Enter at least one type of therapy")

    biography = TextAreaField(
        "About you",
        validators=[
            DataRequired("Write a short introduction for patients"),
            Length(max=1200, message="About you must be 1,200 characters or fewer"),
        ],
    )


def split_list(value: str | None) -> list[str]:
    """ "English, Welsh" -> ["English", "Welsh"] (blank and repeated entries dropped)."""
    seen: list[str] = []
    for part in (value or "").split(","):
        item = " ".join(part.split())
        if item and item not in seen:
            seen.append(item)
    return seen


class PhotoForm(FlaskForm):
    photo = FileField("Upload a photo")


class TherapistCancelForm(FlaskForm):
    reason = TextAreaField(
        "Why are you cancelling this session?",
        validators=[
            DataRequired("Enter why you are cancelling; the patient will not see it"),
            Length(max=500, message="Reason must be 500 characters or fewer"),
        ],
    )
