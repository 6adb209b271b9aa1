"""The personal safety plan's sections, in the order a person works through them in a crisis.

Based on the Stanley–Brown safety planning intervention, as used across NHS mental health
services: notice the warning signs, try your own coping steps, go to people and places that
help, then professionals; make your surroundings safer; remember your reasons for living.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAX_SECTION_LENGTH = 3000


@dataclass(frozen=True)
class SafetyPlanSection:
    key: str
    heading: str
    hint: str


SECTIONS: tuple[SafetyPlanSection, ...] = (
    SafetyPlanSection(
        "warning_signs",
        "My warning signs",
        "Thoughts, feelings, places or events that tell me a crisis may be building.",
    ),
    SafetyPlanSection(
        "coping_steps",
        "Things I can do on my own to cope",
        "Things that calm or distract me, like a walk, music, a shower or a grounding exercise.",
    ),
    SafetyPlanSection(
        "people_and_places",
        "People and places that help",
        "Who I can be with or talk to, and places I can go, to take my mind off things. "
        "Add phone numbers.",
    ),
    SafetyPlanSection(
        "professional_contacts",
        "Professionals I can contact",
        "My GP, my therapist, my local crisis team. NHS 111 (option 2), Samaritans on 116 123 "
        "and 999 are always there.",
    ),
    SafetyPlanSection(
        "safe_environment",
        "Making where I am safer",
        "What I can do to keep myself safe, such as asking someone to look after medicines.",
    ),
    SafetyPlanSection(
        "reasons_for_living",
        "My reasons for living",
        "The people, pets, hopes and things that matter to me.",
    ),
)
KEYS = tuple(section.key for section in SECTIONS)


def clean_plan(answers: Mapping[str, object]) -> dict[str, str]:
    """Every section's text, trimmed ("" where empty); ValueError for an unknown section, text
    that is too long, or a plan with nothing in it."""
    unknown = set(answers) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown safety plan sections: {', '.join(sorted(unknown))}")
    cleaned = {key: str(answers.get(key) or "").strip() for key in KEYS}
    for key, text in cleaned.items():
        if len(text) > MAX_SECTION_LENGTH:
            raise ValueError(f"{key!r} is longer than {MAX_SECTION_LENGTH} characters")
    if not any(cleaned.values()):
        raise ValueError("nothing is filled in")
    return cleaned
