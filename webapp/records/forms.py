"""Forms for the patient's data rights and for staff recording subject access requests."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, ValidationError

from webapp.forms_nhsuk import uk_mobile
from webapp.records import consent
from webapp.records.services import ANONYMISED, CHANNELS, DELETED, NO_MOBILE_FOR_TEXTS


def _limit(characters: int, what: str) -> Length:
    return Length(max=characters, message=f"{what} must be {characters} characters or fewer")


class ConsentForm(FlaskForm):
    """One yes/no box per choice in `webapp.records.consent.CHOICES`. `has_mobile`: whether
    the patient has a mobile number for text reminders to go to."""

    def __init__(self, *, has_mobile: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.has_mobile = has_mobile

    def validate_sms_reminders(self, field: BooleanField) -> None:
        if field.data and not self.has_mobile:
            raise ValidationError(NO_MOBILE_FOR_TEXTS)

    def choices(self) -> dict[str, bool]:
        return {key: bool(self[key].data) for key in consent.KEYS}


for _choice in consent.CHOICES:
    setattr(ConsentForm, _choice.key, BooleanField(_choice.label))


class ExportForm(FlaskForm):
    """A button: asking for a copy is a request that is recorded, so it is a POST."""


class CloseAccountForm(FlaskForm):
    community = RadioField(
        "What should happen to what you wrote in the community?",
        choices=[
            SelectChoice(
                ANONYMISED,
                "Keep my posts, but not under my name: show them as written by a former member",
            ),
            SelectChoice(DELETED, "Delete my posts and the threads I started"),
        ],
        default=ANONYMISED,
        validators=[InputRequired("Choose what happens to what you wrote in the community")],
    )
    password = PasswordField(
        "Your password", validators=[DataRequired("Enter your password to confirm")]
    )
    confirm = BooleanField(
        "I understand that I will not be able to sign in again",
        validators=[DataRequired("Confirm that you understand you will not be able to sign in")],
    )


class FindPatientForm(FlaskForm):
    email = EmailField(
        "The patient's email address",
        validators=[DataRequired("Enter the patient's email address"), _limit(254, "Email")],
    )


class RequestForm(FlaskForm):
    """A request received by other means than the patient's own account."""

    channel = RadioField(
        "How was the request made?",
        choices=[SelectChoice(k, v) for k, v in CHANNELS.items() if k != "account"],
        validators=[InputRequired("Select how the request was made")],
    )
    requester = StringField(
        "Who made the request (leave blank if it was the patient)",
        validators=[_limit(200, "Who made the request")],
    )
    day = StringField("Day", validators=[_limit(2, "Day")])
    month = StringField("Month", validators=[_limit(2, "Month")])
    year = StringField("Year", validators=[_limit(4, "Year")])
    verification = TextAreaField(
        "How did you check the requester's identity and their right to the record?",
        validators=[
            DataRequired("Enter how you checked the requester's identity"),
            _limit(1000, "How you checked"),
        ],
    )
    note = TextAreaField("Notes (optional)", validators=[_limit(1000, "Notes")])
    date_error: str | None = None
    received_on: date | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        parts = [(self[name].data or "").strip() for name in ("day", "month", "year")]
        try:
            if not all(part.isdigit() for part in parts):
                raise ValueError
            day, month, year = (int(part) for part in parts)
            self.received_on = date(year, month, day)
        except ValueError:
            self.date_error = "Enter the date the request was received, like 3 12 2026"
            return False
        return ok


class ConfirmForm(FlaskForm):
    """A button that changes something (produce the export, mark complete)."""


# Where a patient may be while using the service: the UK first, then places people often are.
TIME_ZONES = [
    SelectChoice("Europe/London", "UK time"),
    *(
        SelectChoice(zone, f"{zone.split('/')[-1].replace('_', ' ')} ({zone.split('/')[0]})")
        for zone in (
            "Europe/Dublin",
            "Europe/Lisbon",
            "Europe/Madrid",
            "Europe/Paris",
            "Europe/Berlin",
            "Europe/Rome",
            "Europe/Warsaw",
            "Europe/Athens",
            "Europe/Istanbul",
            "Asia/Dubai",
            "Asia/Karachi",
            "Asia/Kolkata",
            "Asia/Dhaka",
            "Asia/Hong_Kong",
            "Australia/Sydney",
            "America/New_York",
            "America/Toronto",
            "America/Chicago",
            "America/Los_Angeles",
            "Africa/Lagos",
            "Africa/Nairobi",
        )
    ),
]


class ContactDetailsForm(FlaskForm):
    mobile = StringField(
        "UK mobile number (optional)",
        validators=[
            Length(max=20, message="Enter a UK mobile number, like 07700 900 982"),
            uk_mobile,
        ],
    )
    timezone = SelectField(
        "The time zone you are in",
        choices=TIME_ZONES,
        validate_choice=False,  # (its own message, "Not a valid choice", says too little)
        validators=[AnyOf([c.value for c in TIME_ZONES], "Choose a time zone from the list")],
    )
