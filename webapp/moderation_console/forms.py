"""Forms for the moderation console: decisions, watchwords, the rota."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from moderation import Action, Kind, Tier
from webapp.forms_nhsuk import WholeNumberField, uk_mobile

DECISIONS = [
    ("approve", "Approve: the post can be seen"),
    ("edit", "Edit the post and publish it with a note"),
    ("remove", "Remove the post (kept for the record, hidden from everyone)"),
    ("message", "Message the author privately"),
    ("warn", "Warn the author (sent as a private message)"),
    ("suspend", "Pause the author's posting"),
    ("escalate", "Escalate to the clinical lead"),
]


class DecisionForm(FlaskForm):
    decision = RadioField(
        "What do you want to do?",
        choices=[SelectChoice(v, label) for v, label in DECISIONS],
        validators=[InputRequired("Select what to do")],
    )
    reason = TextAreaField(
        "Reason (kept in the audit log)",
        validators=[InputRequired("Give a reason: it is kept in the audit log"), Length(max=2000)],
    )
    edited_body = TextAreaField("Edited text (for an edit)", validators=[Length(max=5000)])
    note = StringField("Note shown with the edited post", validators=[Length(max=200)])
    message = TextAreaField(
        "Message to the author (for a message or warning)", validators=[Length(max=2000)]
    )
    days = WholeNumberField(
        "Days to pause posting (for a pause)",
        not_a_number="Enter the days as a whole number from 1 to 90",
        validators=[Optional(), NumberRange(1, 90, "Enter from 1 to 90 days")],
    )
    # What the page said had been decided ("" for nothing yet): a decision made on a page that
    # has since gone stale is refused rather than silently reversing another moderator's.
    decided_shown = HiddenField()


GROUP_ALERT_DECISIONS = [
    ("upheld", "Close: a real risk, and the facilitator is looking after the member"),
    ("dismissed", "Close: a false alarm, the words were not about risk"),
    ("escalate", "Escalate to the clinical lead"),
]


class GroupAlertForm(FlaskForm):
    """A group meeting's alert: the facilitator runs the room, so a moderator checks in with
    them and then closes the alert, or escalates it."""

    decision = RadioField(
        "What do you want to do?",
        choices=[SelectChoice(v, label) for v, label in GROUP_ALERT_DECISIONS],
        validators=[InputRequired("Select what to do")],
    )
    reason = TextAreaField(
        "Reason (kept in the audit log)",
        validators=[InputRequired("Give a reason: it is kept in the audit log"), Length(max=2000)],
    )


class FollowUpForm(FlaskForm):
    note = TextAreaField(
        "What was done",
        validators=[
            InputRequired("Say what was done: it is kept with the escalation"),
            Length(max=2000, message="The follow-up note must be 2,000 characters or fewer"),
        ],
    )


class AcknowledgeForm(FlaskForm):
    """Only the CSRF token."""


class WatchwordForm(FlaskForm):
    rule_id = StringField(
        "Rule id",
        validators=[
            InputRequired("Enter a rule id, for example house.contact.snapchat"),
            Regexp(
                r"^[a-z0-9][a-z0-9._-]*$",
                message="Use lower-case letters, numbers, dots, hyphens or underscores",
            ),
            Length(max=80),
        ],
    )
    tier = RadioField(
        "Tier",
        choices=[SelectChoice(t.value, t.value.replace("_", " ").capitalize()) for t in Tier],
        validators=[InputRequired("Select the tier")],
    )
    action = RadioField(
        "Action",
        choices=[SelectChoice(a.value, a.value.capitalize()) for a in Action],
        validators=[InputRequired("Select the action")],
    )
    kind = RadioField(
        "Kind",
        choices=[
            SelectChoice(Kind.PHRASE.value, "Phrase (whole words)"),
            SelectChoice(Kind.REGEX.value, "Regular expression"),
        ],
        validators=[InputRequired("Select the kind of pattern")],
    )
    pattern = StringField(
        "Pattern", validators=[InputRequired("Enter the pattern"), Length(max=500)]
    )
    description = StringField(
        "Description", validators=[InputRequired("Enter a description"), Length(max=300)]
    )


class SwitchForm(FlaskForm):
    """Only the CSRF token."""


class ShiftForm(FlaskForm):
    user_id = SelectField("Who", coerce=int, validators=[InputRequired("Select who is on shift")])
    kind = RadioField(
        "Shift",
        choices=[
            SelectChoice("moderator", "Moderator"),
            SelectChoice("clinical_on_call", "Clinical lead on call"),
        ],
        validators=[InputRequired("Select the kind of shift")],
    )
    starts_at = DateTimeLocalField(
        "Starts (UK time)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Enter when the shift starts")],
    )
    ends_at = DateTimeLocalField(
        "Ends (UK time)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Enter when the shift ends")],
    )

    def __init__(self, people: list[tuple[int, str]], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user_id.choices = [SelectChoice(person_id, name) for person_id, name in people]


class MobileForm(FlaskForm):
    mobile = StringField(
        "Your work mobile for on-call texts",
        validators=[InputRequired("Enter your mobile number, like 07700 900 982"), uk_mobile],
    )


class RemoveShiftForm(FlaskForm):
    """Only the CSRF token: the shift is in the address."""


class QueueForReviewForm(FlaskForm):
    reason = StringField(
        "Why it needs a decision (kept in the audit log)",
        validators=[
            InputRequired("Give a reason: it is kept in the audit log"),
            Length(max=500, message="Keep the reason to 500 characters"),
        ],
    )
