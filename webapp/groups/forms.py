"""Forms for group sessions: running a group, inviting, and the one-button actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from webapp.forms_nhsuk import WholeNumberField
from webapp.groups import rules
from webapp.therapy.forms import _check_date, _check_time

DURATIONS = [SelectChoice(str(m), f"{m} minutes") for m in (45, 60, 75, 90, 120)]


class GroupDetailsForm(FlaskForm):
    """What can change once a group runs (the schedule cannot: its members plan around it)."""

    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title, like Six-week stress course"),
            Length(max=120, message="The title must be 120 characters or fewer"),
        ],
    )
    description = TextAreaField(
        "What the group is about",
        validators=[Length(max=2000, message="The description must be 2,000 characters or fewer")],
    )
    access = RadioField(
        "Who may join",
        choices=[
            SelectChoice("open", "Every patient in their access period"),
            SelectChoice("invitation", "Only patients I invite"),
        ],
        validators=[InputRequired("Select who may join")],
    )
    capacity = WholeNumberField(
        "How many members",
        not_a_number="Enter how many members as a whole number, like 8",
        validators=[
            InputRequired("Enter how many members the group has room for, like 8"),
            NumberRange(1, rules.MAX_CAPACITY, f"Enter a number from 1 to {rules.MAX_CAPACITY}"),
        ],
    )


class GroupForm(GroupDetailsForm):
    first_date = StringField(
        "Date of the first meeting",
        validators=[
            DataRequired("Enter the date of the first meeting"),
            _check_date("Enter the date of the first meeting as a real date, like 2027-01-12"),
        ],
    )
    local_time = StringField(
        "Time (UK time)",
        validators=[
            DataRequired("Enter the time the group meets, like 18:30"),
            _check_time("Enter the time as hours and minutes, like 18:30"),
        ],
    )
    weeks = WholeNumberField(
        "How many weeks",
        not_a_number="Enter how many weeks as a whole number, like 6",
        validators=[
            InputRequired("Enter how many weeks the group meets for, like 6"),
            NumberRange(1, rules.MAX_WEEKS, f"Enter a number of weeks from 1 to {rules.MAX_WEEKS}"),
        ],
    )
    duration = SelectField("How long each meeting lasts", choices=DURATIONS, default="60")
    co_facilitator = SelectField("Co-facilitator (optional)", validators=[Optional()])


class InviteForm(FlaskForm):
    email = StringField(
        "The patient's email address",
        validators=[
            DataRequired("Enter the patient's email address"),
            Length(max=254, message="Enter an email address of 254 characters or fewer"),
        ],
    )


class ActionForm(FlaskForm):
    """A button: enrol, take a place, leave, mute, remove."""


class CancelMeetingForm(FlaskForm):
    reason = TextAreaField(
        "Why is it cancelled? (kept in the audit log, not sent to members)",
        validators=[
            InputRequired("Give a reason: it is kept in the audit log"),
            Length(max=500, message="The reason must be 500 characters or fewer"),
        ],
    )


class MoveMeetingForm(FlaskForm):
    new_date = StringField(
        "New date",
        validators=[
            DataRequired("Enter the new date"),
            _check_date("Enter the new date as a real date, like 2027-01-12"),
        ],
    )
    new_time = StringField(
        "New time (UK time)",
        validators=[
            DataRequired("Enter the new time, like 18:30"),
            _check_time("Enter the time as hours and minutes, like 18:30"),
        ],
    )
    reason = TextAreaField(
        "Why is it moving? (kept in the audit log, not sent to members)",
        validators=[
            InputRequired("Give a reason: it is kept in the audit log"),
            Length(max=500, message="The reason must be 500 characters or fewer"),
        ],
    )
