"""The supervision meeting form. Its choices (supervisors, the therapist's own episodes) come in
through the constructor; the rules are `webapp.supervision.figures.meeting_problems`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.models import CareEpisode, User


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeetingForm(FlaskForm):
    met_on = StringField("Date of the meeting")
    supervisor_id = SelectField("Supervisor", validate_choice=False)
    cases = MultiCheckboxField("Cases discussed", validate_choice=False)
    agreed_actions = TextAreaField("Actions agreed")

    def __init__(
        self,
        supervisors: Iterable[User],
        episodes: Iterable[CareEpisode],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.supervisor_id.choices = [SelectChoice("", "Select the supervisor")] + [
            SelectChoice(str(user.id), f"{user.full_name} ({user.role.label})")
            for user in supervisors
        ]
        self.cases.choices = [
            SelectChoice(
                str(episode.id),
                f"{episode.patient.full_name}: {episode.state.label.lower()}, opened "
                f"{episode.opened_at:%-d %B %Y}",
            )
            for episode in episodes
        ]


def as_id(value: object) -> int | None:
    """A posted id as a number; None for anything else."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None
