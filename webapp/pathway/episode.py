"""Derived facts about one care episode, computed exactly as the national definitions say
(DOMAIN.md section 4). Pure: plain values in, plain values out; nothing here is typed in by a
person. The reports and the care pathway both call these functions.

- Attended appointment: attendance code 5 or 6.
- Treatment session: an attended appointment of type "assessment and treatment" or "treatment".
- Entered treatment: the date of the first treatment session.
- Finished a course of treatment: the referral has ended, with at least 2 treatment sessions on
  or before its end date.
- First and last scores, per measure: the first recorded at an attended contact, and the last
  recorded at a LATER contact ("the last available score").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from questionnaires.outcomes import reliable_fall

ATTENDED_CODES = frozenset({"5", "6"})
FINISHED_MINIMUM = 2
WITHIN_6_WEEKS_DAYS = 42
WITHIN_18_WEEKS_DAYS = 126


class AppointmentType(enum.StrEnum):
    ASSESSMENT = "assessment"
    ASSESSMENT_AND_TREATMENT = "assessment_and_treatment"
    TREATMENT = "treatment"
    REVIEW = "review"

    @property
    def is_treatment(self) -> bool:
        return self in (AppointmentType.ASSESSMENT_AND_TREATMENT, AppointmentType.TREATMENT)


class EpisodeState(enum.StrEnum):
    WAITING_FOR_ASSESSMENT = "waiting_for_assessment"
    ASSESSED = "assessed"
    IN_TREATMENT = "in_treatment"
    DISCHARGED = "discharged"
    DISCHARGED_WITHOUT_TREATMENT = "discharged_without_treatment"

    @property
    def is_ended(self) -> bool:
        return self in (EpisodeState.DISCHARGED, EpisodeState.DISCHARGED_WITHOUT_TREATMENT)


ALLOWED_CHANGES: Mapping[EpisodeState, frozenset[EpisodeState]] = {
    EpisodeState.WAITING_FOR_ASSESSMENT: frozenset(
        {EpisodeState.ASSESSED, EpisodeState.DISCHARGED_WITHOUT_TREATMENT}
    ),
    EpisodeState.ASSESSED: frozenset(
        {EpisodeState.IN_TREATMENT, EpisodeState.DISCHARGED_WITHOUT_TREATMENT}
    ),
    EpisodeState.IN_TREATMENT: frozenset({EpisodeState.DISCHARGED}),
    EpisodeState.DISCHARGED: frozenset(),
    EpisodeState.DISCHARGED_WITHOUT_TREATMENT: frozenset(),
}


def check_change(current: EpisodeState, new: EpisodeState) -> None:
    """ValueError, in words for the therapist, unless the pathway allows this change."""
    if new not in ALLOWED_CHANGES[current]:
        raise ValueError(
            f"An episode cannot go from {current.value.replace('_', ' ')} "
            f"to {new.value.replace('_', ' ')}"
        )


@dataclass(frozen=True)
class Contact:
    """One appointment as the definitions see it."""

    on: datetime
    attendance_code: str
    appointment_type: AppointmentType | None = None  # None until the therapist codes it
    scores: Mapping[str, float] = field(default_factory=dict)  # measure code -> total

    @property
    def is_attended(self) -> bool:
        return self.attendance_code in ATTENDED_CODES

    @property
    def is_treatment_session(self) -> bool:
        return (
            self.is_attended
            and self.appointment_type is not None
            and self.appointment_type.is_treatment
        )


def _in_order(contacts: Iterable[Contact]) -> list[Contact]:
    return sorted(contacts, key=lambda contact: contact.on)


def treatment_sessions(contacts: Iterable[Contact]) -> list[Contact]:
    return [contact for contact in _in_order(contacts) if contact.is_treatment_session]


def entered_treatment_on(contacts: Iterable[Contact]) -> datetime | None:
    sessions = treatment_sessions(contacts)
    return sessions[0].on if sessions else None


def is_finished(contacts: Iterable[Contact], ended_on: date | None) -> bool:
    """Ended, with at least 2 treatment sessions on or before the end date."""
    if ended_on is None:
        return False
    return (
        sum(1 for c in treatment_sessions(contacts) if c.on.date() <= ended_on) >= FINISHED_MINIMUM
    )


def first_and_last_scores(contacts: Iterable[Contact]) -> tuple[dict[str, float], dict[str, float]]:
    """Per measure: the first score at an attended contact, and the last at a later contact.

    A measure scored at only one contact has a first score and no last one, so it is not paired.
    """
    first: dict[str, float] = {}
    first_at: dict[str, datetime] = {}
    last: dict[str, float] = {}
    for contact in _in_order(contacts):
        if not contact.is_attended:
            continue
        for measure, value in contact.scores.items():
            if measure not in first:
                first[measure], first_at[measure] = value, contact.on
            elif contact.on > first_at[measure]:
                last[measure] = value
    return first, last


def days_between(start: datetime | date, end: datetime | date) -> int:
    start_day = start.date() if isinstance(start, datetime) else start
    end_day = end.date() if isinstance(end, datetime) else end
    return (end_day - start_day).days


@dataclass(frozen=True)
class Waits:
    referral_to_first_treatment: int | None  # days (the headline wait)
    referral_to_first_attended: int | None  # days, any appointment type
    first_to_second_treatment: int | None  # days (the "hidden wait")

    def within(self, days: int) -> bool | None:
        if self.referral_to_first_treatment is None:
            return None
        return self.referral_to_first_treatment <= days


def waits(referral_received: datetime, contacts: Sequence[Contact]) -> Waits:
    sessions = treatment_sessions(contacts)
    attended = [c for c in _in_order(contacts) if c.is_attended]
    return Waits(
        referral_to_first_treatment=days_between(referral_received, sessions[0].on)
        if sessions
        else None,
        referral_to_first_attended=days_between(referral_received, attended[0].on)
        if attended
        else None,
        first_to_second_treatment=(
            days_between(sessions[0].on, sessions[1].on) if len(sessions) > 1 else None
        ),
    )


def needs_review(contacts: Iterable[Contact], *, after_sessions: int) -> bool:
    """No reliable improvement on PHQ-9 or GAD-7 after this many treatment sessions."""
    sessions = treatment_sessions(contacts)
    if len(sessions) < after_sessions:
        return False
    first, last = first_and_last_scores(contacts)
    return not any(
        reliable_fall(first[code], last[code], code)
        for code in ("phq9", "gad7")
        if code in first and code in last
    )
