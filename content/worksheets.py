"""Worksheets a patient can fill in and save privately, as data: each is a list of fields.

The web layer builds its forms from these definitions and stores the answers encrypted; the
answers are checked here (`clean_answers`), so the rules are the same wherever they are saved.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

MAX_ANSWER_LENGTH = 2000  # characters in one box: room for a week's notes, not a novel


class FieldKind(enum.Enum):
    TEXT = "text"  # one line
    TEXTAREA = "textarea"  # a few lines
    CHOICE = "choice"  # one of a few options


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    hint: str = ""
    kind: FieldKind = FieldKind.TEXTAREA
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    max_length: int = MAX_ANSWER_LENGTH


@dataclass(frozen=True)
class Worksheet:
    code: str
    title: str
    intro: str
    fields: tuple[Field, ...]

    def field(self, key: str) -> Field:
        for field in self.fields:
            if field.key == key:
                return field
        raise KeyError(key)


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

ACTIVITY_PLAN = Worksheet(
    code="activity-plan",
    title="Weekly activity plan",
    intro=(
        "Plan a few small things for each day. Mix things you need to do, things you enjoy and "
        "things that give you a sense of achievement. Keep them small and doable."
    ),
    fields=(
        Field("routine", "Things I need to do", "For example, wash up, pay a bill, shop."),
        Field(
            "pleasure", "Things I enjoy, or used to enjoy", "For example, music, a walk, a call."
        ),
        Field(
            "achievement",
            "Things that give me a sense of achievement",
            "For example, tidy a drawer.",
        ),
        *(
            Field(day, f"My plan for {day.capitalize()}", "What, when and who with.")
            for day in DAYS
        ),
        Field(
            "review", "How did the week go?", "What helped your mood? What will you try next week?"
        ),
    ),
)

WORRY_LOG = Worksheet(
    code="worry-log",
    title="Worry log",
    intro=(
        "Write your worry down when it comes, then put it aside for your worry time. "
        "In your worry time, decide what kind of worry it is and what, if anything, you can do."
    ),
    fields=(
        Field("worry", "What is the worry?", "Write it in a few words."),
        Field(
            "when",
            "When did it come up?",
            "The day, the time and what you were doing.",
            FieldKind.TEXT,
            max_length=200,
        ),
        Field(
            "kind",
            "What kind of worry is it?",
            "",
            FieldKind.CHOICE,
            (
                ("practical", "A practical worry: a problem I can do something about now"),
                ("hypothetical", "A ‘what if’ worry: something I cannot act on now"),
                ("not_sure", "I am not sure yet"),
            ),
        ),
        Field(
            "action",
            "What will I do?",
            "For a practical worry, one small step and when. "
            "For a ‘what if’ worry, how you will let it go.",
        ),
        Field(
            "worry_time",
            "When is my worry time?",
            "For example, 6pm for 15 minutes, in the kitchen.",
            FieldKind.TEXT,
            max_length=200,
        ),
    ),
)

PROBLEM_SOLVING = Worksheet(
    code="problem-solving-plan",
    title="Problem-solving plan",
    intro="Take one problem at a time. Work through the steps and keep it simple.",
    fields=(
        Field("problem", "What is the problem?", "Say it clearly and in one or two lines."),
        Field(
            "ideas",
            "What could I do about it?",
            "List every idea, even the silly ones. Do not judge them yet.",
        ),
        Field("pros_cons", "What is good and bad about each idea?"),
        Field("choice", "Which idea will I try?"),
        Field("steps", "What are the steps, and when will I do each one?"),
        Field("review", "How did it go?", "What worked? What would you change next time?"),
    ),
)

WORKSHEETS: dict[str, Worksheet] = {
    sheet.code: sheet for sheet in (ACTIVITY_PLAN, WORRY_LOG, PROBLEM_SOLVING)
}


def get(code: str) -> Worksheet:
    """The worksheet with this code; KeyError if none."""
    return WORKSHEETS[code]


def clean_answers(worksheet: Worksheet, answers: Mapping[str, object]) -> dict[str, str]:
    """Answers trimmed, empty ones dropped; ValueError for an unknown field, a bad choice, an
    answer that is too long, or nothing filled in at all."""
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        field = worksheet.field(key) if key in {f.key for f in worksheet.fields} else None
        if field is None:
            raise ValueError(f"{worksheet.code} has no field {key!r}")
        text = "" if value is None else str(value).strip()
        if not text:
            continue
        if field.kind is FieldKind.CHOICE and text not in {value for value, _ in field.choices}:
            raise ValueError(f"{text!r} is not an option for {key!r}")
        if len(text) > field.max_length:
            raise ValueError(f"{key!r} is longer than {field.max_length} characters")
        cleaned[key] = text
    if not cleaned:
        raise ValueError("nothing is filled in")
    return cleaned
