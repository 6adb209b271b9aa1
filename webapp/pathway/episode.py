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
- The measure pair: PHQ-9 plus the problem descriptor's anxiety measure, falling back to GAD-7
  when that measure lacks paired scores (``questionnaires.measures.ANXIETY_MEASURE_FOR`` is the
  data; ``questionnaires.outcomes.classify_episode`` the recovery and reliable-change rules).
- Step-change waits: from the last attended session at one step of care to the first attended
  session at the next, across each dated step change.

Clinical dates (an assessment, a step change, a discharge) are UK calendar dates, and none may
be after the day it is in the UK (`uk_today`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from questionnaires.measures import PHQ9, ProblemDescriptor, Score
from questionnaires.outcomes import EpisodeOutcome, classify_episode, reliable_fall

UK = ZoneInfo("Europe/London")
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

    @property
    def label(self) -> str:
        """The state in a therapist's words."""
        return self.value.replace("_", " ").capitalize()

    @property
    def patient_words(self) -> str:
        """The state in plain words for the patient."""
        return {
            "waiting_for_assessment": "You are waiting for your first (assessment) appointment.",
            "assessed": "You have had your assessment. Your therapist will talk with you about "
            "what treatment suits you.",
            "in_treatment": "You are having treatment.",
            "discharged": "Your treatment with us has ended.",
            "discharged_without_treatment": "Your time with us has ended.",
        }[self.value]


def uk_today(now: datetime) -> date:
    """The calendar day in the UK at the aware moment `now` (00:30 on 1 July in summer time is
    still 30 June in UTC, and already 1 July here)."""
    return now.astimezone(UK).date()


STEPS = ("2", "3")
STEP_LABELS: Mapping[str, str] = {"2": "Step 2 (low intensity)", "3": "Step 3 (high intensity)"}


def discharge_state(current: EpisodeState) -> EpisodeState:
    """Where discharge leads from here: an episode in treatment is discharged; one that never
    got there is discharged without treatment. ValueError if the episode has already ended."""
    if current.is_ended:
        raise ValueError("This episode has already ended")
    if current is EpisodeState.IN_TREATMENT:
        return EpisodeState.DISCHARGED
    return EpisodeState.DISCHARGED_WITHOUT_TREATMENT


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
    step: str | None = None  # the step of care it was delivered at ("2" or "3"), once coded

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


@dataclass(frozen=True)
class PairedScores:
    """An episode's first and last scores on its measure pair (DOMAIN.md section 4).

    ``anxiety_measure`` is the descriptor's own measure when it has paired scores, else GAD-7.
    A measure's last score is None when it was never scored at a later contact.
    """

    anxiety_measure: str
    first: Mapping[str, float | None]
    last: Mapping[str, float | None]

    @property
    def measures(self) -> tuple[str, str]:
        return (PHQ9.code, self.anxiety_measure)

    @property
    def is_paired(self) -> bool:
        return all(
            self.first.get(code) is not None and self.last.get(code) is not None
            for code in self.measures
        )


def paired_scores(
    contacts: Iterable[Contact], descriptor: ProblemDescriptor | str | None = None
) -> PairedScores:
    """First and last scores on the pair the problem descriptor picks (None: depression/GAD-7)."""
    first, last = first_and_last_scores(contacts)
    anxiety = classify_episode(first, last, False, descriptor=descriptor).anxiety_measure
    codes = (PHQ9.code, anxiety)
    return PairedScores(
        anxiety_measure=anxiety,
        first={code: first.get(code) for code in codes},
        last={code: last.get(code) for code in codes},
    )


def episode_outcome(
    contacts: Sequence[Contact],
    *,
    ended_on: date | None,
    descriptor: ProblemDescriptor | str | None = None,
) -> EpisodeOutcome:
    """Finished or not, caseness at the start, recovery and reliable change for one episode."""
    first, last = first_and_last_scores(contacts)
    scores: dict[str, Score | None] = dict(first)
    return classify_episode(scores, last, is_finished(contacts, ended_on), descriptor=descriptor)


@dataclass(frozen=True)
class StepMove:
    """A dated change of step of care (a StepChange row as the definitions see it)."""

    on: date
    from_step: str | None
    to_step: str


@dataclass(frozen=True)
class StepWait:
    """The wait across one step change: last attended session at the old step (on or before
    the change) to the first attended session at the new step (on or after it, before any
    later change). ``days`` is None until both sessions exist."""

    move: StepMove
    last_before: datetime | None
    first_after: datetime | None

    @property
    def days(self) -> int | None:
        if self.last_before is None or self.first_after is None:
            return None
        return days_between(self.last_before, self.first_after)


def step_waits(contacts: Iterable[Contact], moves: Iterable[StepMove]) -> list[StepWait]:
    """One StepWait per step change from one step to another, in date order."""
    attended = [c for c in _in_order(contacts) if c.is_attended and c.step is not None]
    ordered = sorted(moves, key=lambda move: move.on)
    result = []
    for index, move in enumerate(ordered):
        if move.from_step is None or move.from_step == move.to_step:
            continue  # the first step set at assessment is not a step change
        since = ordered[index - 1].on if index else None
        until = ordered[index + 1].on if index + 1 < len(ordered) else None
        before = [
            c
            for c in attended
            if c.step == move.from_step
            and c.on.date() <= move.on
            and (since is None or c.on.date() >= since)
        ]
        after = [
            c
            for c in attended
            if c.step == move.to_step
            and c.on.date() >= move.on
            and (until is None or c.on.date() < until)
        ]
        result.append(
            StepWait(
                move=move,
                last_before=before[-1].on if before else None,
                first_after=after[0].on if after else None,
            )
        )
    return result
