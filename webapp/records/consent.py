"""What a patient can choose about their data, as data.

Pure: no Flask, no database. Providing care is not based on consent (UK GDPR articles 6(1)(e)
and 9(2)(h): a public task and health care), so only these are choices, each free to change at
any time; optional uses are off until the patient turns them on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    hint: str
    is_optional_use: bool  # an optional use of data, not a way of contacting the patient


CHOICES: tuple[Choice, ...] = (
    Choice(
        "sms_reminders",
        "Text message reminders",
        "Confirmations and reminders of your appointments by text message.",
        is_optional_use=False,
    ),
    Choice(
        "email_reminders",
        "Email reminders",
        "Confirmations and reminders of your appointments by email, with a calendar invite.",
        is_optional_use=False,
    ),
    Choice(
        "research_contact",
        "Being told about research",
        "We may contact you about research studies you could take part in. Saying yes does "
        "not sign you up for anything, and saying no does not change your care.",
        is_optional_use=True,
    ),
    Choice(
        "service_feedback",
        "Feedback surveys",
        "We may ask you, after your treatment, for feedback to improve the service, beyond the "
        "questionnaires that are part of your care.",
        is_optional_use=True,
    ),
)
KEYS = tuple(choice.key for choice in CHOICES)
COMMUNICATION_KEYS = tuple(c.key for c in CHOICES if not c.is_optional_use)
OPTIONAL_USE_KEYS = tuple(c.key for c in CHOICES if c.is_optional_use)


def changes(current: dict[str, bool], wanted: dict[str, bool]) -> dict[str, bool]:
    """The choices that differ: only these are recorded, each with its date."""
    unknown = set(wanted) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown consent choices: {sorted(unknown)}")
    return {key: value for key, value in wanted.items() if current.get(key) is not value}
