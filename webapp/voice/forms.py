"""Forms for the community's voice. The consultation form checks its values with the pure rules
(`webapp.voice.rules`) and hands the service a `Draft`; times are entered in UK time."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from webapp.forms_nhsuk import WholeNumberField
from webapp.models import Consultation, ConsultationKind, SuggestionStatus
from webapp.voice import rules
from webapp.voice.services import REPLY_STATUSES, Draft

TITLE_MAX = 150
SUGGESTION_MAX = 5000
ANSWER_TOO_LONG = f"Your answer must be {rules.ANSWER_MAX_CHARS:,} characters or fewer"


def _lines(text: str | None) -> list[str]:
    return (text or "").splitlines()


class ConsultationForm(FlaskForm):
    kind = RadioField(
        "What kind of consultation is it?",
        choices=[
            SelectChoice(ConsultationKind.POLL.value, "A poll: members choose from options"),
            SelectChoice(
                ConsultationKind.SURVEY.value, "A short survey: members answer in their own words"
            ),
        ],
        validators=[InputRequired("Select a poll or a survey")],
    )
    title = StringField(
        "Title",
        validators=[
            InputRequired("Enter a title"),
            Length(max=TITLE_MAX, message=f"The title must be {TITLE_MAX} characters or fewer"),
        ],
    )
    description = TextAreaField(
        "What you are asking and why (optional)",
        validators=[Length(max=2000, message="The description must be 2,000 characters or fewer")],
    )
    options = TextAreaField("Poll options, one a line")
    multiple = RadioField(
        "Can members choose more than one option?",
        choices=[SelectChoice("no", "No, one option only"), SelectChoice("yes", "Yes")],
        default="no",
        validators=[InputRequired("Say whether members can choose more than one option")],
    )
    max_choices = WholeNumberField(
        "The most options a member may choose (optional)",
        not_a_number="Enter the most options a member may choose as a whole number, like 2",
        validators=[Optional()],
    )
    questions = TextAreaField("Survey questions, one a line")
    opens_at = DateTimeLocalField(
        "Opens (UK time)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Enter when it opens, for example 2026-12-07 09:00")],
    )
    closes_at = DateTimeLocalField(
        "Closes (UK time)",
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired("Enter when it closes, for example 2026-12-21 17:00")],
    )

    @property
    def is_poll(self) -> bool:
        return self.kind.data == ConsultationKind.POLL.value

    def validate_options(self, field: Field) -> None:
        if self.is_poll:
            _check(rules.poll_options, _lines(field.data))

    def validate_questions(self, field: Field) -> None:
        if not self.is_poll and self.kind.data:
            _check(rules.survey_questions, _lines(field.data))

    def validate_max_choices(self, field: Field) -> None:
        if self.is_poll and self.multiple.data == "yes":
            count = len(_lines_or_empty(self.options.data))
            _check(lambda: rules.max_choices(True, field.data, max(count, 2)))

    def validate_opens_at(self, field: Field) -> None:
        if field.data is not None:
            _check(rules.uk_to_utc, field.data)

    def validate_closes_at(self, field: Field) -> None:
        if field.data is None:
            return
        closes = _check(rules.uk_to_utc, field.data)
        if self.opens_at.data is not None:
            try:
                opens = rules.uk_to_utc(self.opens_at.data)
            except ValueError:
                return  # reported against the opening time
            _check(rules.open_period, opens, closes)

    def draft(self) -> Draft:
        """The validated values (call after `validate_on_submit`)."""
        options = rules.poll_options(_lines(self.options.data)) if self.is_poll else ()
        is_multiple = self.is_poll and self.multiple.data == "yes"
        assert self.opens_at.data is not None and self.closes_at.data is not None
        return Draft(
            kind=ConsultationKind(self.kind.data),
            title=(self.title.data or "").strip(),
            description=(self.description.data or "").strip(),
            options=options,
            questions=() if self.is_poll else rules.survey_questions(_lines(self.questions.data)),
            is_multiple_choice=is_multiple,
            max_choices=rules.max_choices(is_multiple, self.max_choices.data, len(options)),
            opens_at=rules.uk_to_utc(self.opens_at.data),
            closes_at=rules.uk_to_utc(self.closes_at.data),
        )

    def fill_from(self, consultation: Consultation) -> None:
        """Show a saved consultation for changing (times back in UK time)."""
        self.kind.data = consultation.kind.value
        self.title.data = consultation.title
        self.description.data = consultation.description
        self.options.data = "\n".join(option.label for option in consultation.options)
        self.questions.data = "\n".join(question.prompt for question in consultation.questions)
        self.multiple.data = "yes" if consultation.is_multiple_choice else "no"
        many = consultation.is_multiple_choice and consultation.max_choices < len(
            consultation.options
        )
        self.max_choices.data = consultation.max_choices if many else None
        self.opens_at.data = _uk(consultation.opens_at)
        self.closes_at.data = _uk(consultation.closes_at)


def _uk(moment: Any) -> Any:
    return moment.astimezone(rules.LONDON).replace(tzinfo=None)


def _lines_or_empty(text: str | None) -> list[str]:
    return [line for line in _lines(text) if line.strip()]


def _check(check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class CloseForm(FlaskForm):
    """Only the CSRF token: closing early is one button."""


class PollResponseForm(FlaskForm):
    single = RadioField("Your answer", coerce=int, validate_choice=False)
    several = SelectMultipleField("Your answers", coerce=int, validate_choice=False)

    def __init__(self, consultation: Consultation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        choices = [SelectChoice(option.id, option.label) for option in consultation.options]
        self.single.choices = self.several.choices = choices
        if consultation.is_multiple_choice:
            del self.single
        else:
            del self.several

    @property
    def field(self) -> Field:
        return self.several if self.consultation.is_multiple_choice else self.single

    def chosen(self) -> list[int]:
        data = self.field.data
        if data is None:
            return []
        return list(data) if isinstance(data, list) else [data]


def survey_form(consultation: Consultation, *args: Any, **kwargs: Any) -> FlaskForm:
    """A form with one optional text box per question, named `answer_<question id>`."""

    class SurveyResponseForm(FlaskForm):
        pass

    for question in consultation.questions:
        setattr(
            SurveyResponseForm,
            f"answer_{question.id}",
            TextAreaField(
                question.prompt,
                validators=[Length(max=rules.ANSWER_MAX_CHARS, message=ANSWER_TOO_LONG)],
            ),
        )
    return SurveyResponseForm(*args, **kwargs)


def survey_answers(form: FlaskForm, consultation: Consultation) -> dict[int, str]:
    return {q.id: form[f"answer_{q.id}"].data or "" for q in consultation.questions}


class SuggestionForm(FlaskForm):
    title = StringField(
        "What is your suggestion about?",
        validators=[
            InputRequired("Enter what your suggestion is about"),
            Length(max=TITLE_MAX, message=f"This must be {TITLE_MAX} characters or fewer"),
        ],
    )
    body = TextAreaField(
        "Your suggestion",
        validators=[
            InputRequired("Enter your suggestion"),
            Length(
                max=SUGGESTION_MAX,
                message=f"Your suggestion must be {SUGGESTION_MAX:,} characters or fewer",
            ),
        ],
    )


class ReplyForm(FlaskForm):
    status = RadioField(
        "Status",
        choices=[SelectChoice(status.value, status.label) for status in REPLY_STATUSES],
        validators=[InputRequired("Select a status")],
    )
    reply = TextAreaField(
        "Your public reply (“you said, we did”)",
        validators=[
            InputRequired("Enter your reply: for “not doing”, say why"),
            Length(max=2000, message="Your reply must be 2,000 characters or fewer"),
        ],
    )

    def chosen_status(self) -> SuggestionStatus:
        return SuggestionStatus(self.status.data)
