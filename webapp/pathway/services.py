"""Writes to the care pathway: opening an episode when a referral is accepted, dated and
attributed state changes, the assessment record, steps of care, the coding of appointments,
planning the ending (which asks the patient for the PEQ) and discharge.

One write = one function = one transaction, each with its audit row and, for a state change, its
EpisodeChange row; time is passed in. The `apply_*` helpers work inside a transaction the caller
already holds (referral acceptance, booking, the session record). The rules are pure, in
`webapp.pathway.episode` and `webapp.pathway.codes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy.orm import Session

from webapp import audit
from webapp.extensions import db
from webapp.measures import services as measures
from webapp.models import (
    Appointment,
    CareEpisode,
    EpisodeAssessment,
    EpisodeChange,
    Referral,
    StepChange,
    User,
)
from webapp.pathway import codes, queries
from webapp.pathway.episode import (
    STEPS,
    AppointmentType,
    EpisodeState,
    check_change,
    discharge_state,
    entered_treatment_on,
)

REASON_MAX_LENGTH = 2000


class PathwayError(ValueError):
    """A change the pathway does not allow; the message is written for the therapist, and
    `field` names the form field it is about (None: the change as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _change(
    session: Session,
    episode: CareEpisode,
    to_state: EpisodeState,
    *,
    actor: User | None,
    note: str,
    now: datetime,
) -> None:
    session.add(
        EpisodeChange(
            episode_id=episode.id,
            from_state=None if episode.id is None else episode.state,
            to_state=to_state,
            changed_at=now,
            changed_by_id=actor.id if actor is not None else None,
            note=note,
        )
    )
    audit.record(
        "episode.state_changed",
        actor=actor,
        subject_type="care_episode",
        subject_id=episode.id,
        patient_id=episode.patient_id,
        detail={"from": episode.state.value, "to": to_state.value},
    )
    episode.state = to_state


def _checked_change(episode: CareEpisode, to_state: EpisodeState) -> None:
    try:
        check_change(episode.state, to_state)
    except ValueError as error:
        raise PathwayError(str(error)) from None


# --- opening an episode, and appointments joining it --------------------------------------


def apply_open(
    session: Session, referral: Referral, patient: User, *, actor: User | None, now: datetime
) -> CareEpisode:
    """Open the accepted referral's episode, waiting for assessment (inside the caller's
    transaction: `referral.services.accept`)."""
    episode = CareEpisode(
        referral_id=referral.id,
        patient_id=patient.id,
        state=EpisodeState.WAITING_FOR_ASSESSMENT,
        opened_at=now,
    )
    session.add(episode)
    session.flush()
    session.add(
        EpisodeChange(
            episode_id=episode.id,
            from_state=None,
            to_state=EpisodeState.WAITING_FOR_ASSESSMENT,
            changed_at=now,
            changed_by_id=actor.id if actor is not None else None,
            note="Referral accepted",
        )
    )
    audit.record(
        "episode.opened",
        actor=actor,
        subject_type="care_episode",
        subject_id=episode.id,
        patient_id=patient.id,
        detail={"referral": referral.id},
    )
    return episode


def apply_booking(appointment: Appointment) -> None:
    """Put a new booking in the patient's open episode (inside the booking transaction); the
    first therapist booked becomes responsible for an episode that has none yet."""
    episode = queries.open_episode_for_patient(appointment.patient_id)
    if episode is None:
        return
    appointment.episode_id = episode.id
    if episode.therapist_id is None:
        episode.therapist_id = appointment.therapist_id


# --- coding appointments ------------------------------------------------------------------


def _checked_coding(appointment_type: str, step: str) -> tuple[AppointmentType, str]:
    try:
        kind = AppointmentType(appointment_type)
    except ValueError:
        raise PathwayError("Choose the appointment type") from None
    if step not in STEPS:
        raise PathwayError("Choose the step of care")
    return kind, step


def apply_coding(appointment: Appointment, appointment_type: str, step: str) -> None:
    """Code an appointment's type and step of care (inside the caller's transaction: the
    session record saves its coding with the record)."""
    kind, step = _checked_coding(appointment_type, step)
    appointment.appointment_type = kind.value
    appointment.step_of_care = step


def code_appointment(
    appointment: Appointment, appointment_type: str, step: str, *, actor: User, now: datetime
) -> None:
    """Code (or correct) an appointment that has no chat record, such as one recorded on the
    outcome pages."""
    with db.transaction():
        apply_coding(appointment, appointment_type, step)
        audit.record(
            "appointment.coded",
            actor=actor,
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=appointment.patient_id,
            detail={"type": appointment.appointment_type, "step": appointment.step_of_care},
        )


# --- the therapist's changes --------------------------------------------------------------


def change_state(
    episode: CareEpisode, to_state: EpisodeState, *, actor: User, note: str, now: datetime
) -> None:
    """Move an episode along the pathway (not to discharge: `discharge` records its end code)."""
    if to_state.is_ended:
        raise PathwayError("Use discharge to end an episode, with its end code")
    _checked_change(episode, to_state)
    with db.transaction() as session:
        _change(session, episode, to_state, actor=actor, note=note.strip(), now=now)


def _apply_step(
    session: Session,
    episode: CareEpisode,
    to_step: str,
    *,
    on: date,
    reason: str,
    actor: User,
    now: datetime,
) -> None:
    session.add(
        StepChange(
            episode_id=episode.id,
            from_step=episode.current_step,
            to_step=to_step,
            changed_on=on,
            changed_by_id=actor.id,
            reason=reason,
            recorded_at=now,
        )
    )
    audit.record(
        "episode.step_changed",
        actor=actor,
        subject_type="care_episode",
        subject_id=episode.id,
        patient_id=episode.patient_id,
        detail={"from": episode.current_step, "to": to_step, "on": on.isoformat()},
    )
    episode.current_step = to_step


def change_step(
    episode: CareEpisode, to_step: str, *, on: date, reason: str, actor: User, now: datetime
) -> None:
    """Step up or down, dated, so the wait between steps can be measured."""
    if episode.state.is_ended:
        raise PathwayError("This episode has ended")
    if to_step not in STEPS:
        raise PathwayError("Choose the step of care")
    if to_step == episode.current_step:
        raise PathwayError(f"The episode is already at step {to_step}")
    if not reason.strip():
        raise PathwayError("Enter why the step of care is changing")
    with db.transaction() as session:
        _apply_step(session, episode, to_step, on=on, reason=reason.strip(), actor=actor, now=now)


ASSESSMENT_FIELDS = (
    "assessed_on",
    "problem_descriptor",
    "icd10_code",
    "risk_level",
    "risk_summary",
    "risk_plan",
    "goals",
    "options_explained",
    "preference",
    "preference_met",
)
# The assessment's required free text, and what is said when it is missing (as the form says).
ASSESSMENT_TEXT = {
    "risk_summary": "Enter the risk assessment summary",
    "risk_plan": "Enter the risk plan",
    "goals": "Enter the goals the patient set",
    "options_explained": "Enter the treatment options you explained",
    "preference": "Enter the patient’s preference",
}


def save_assessment(
    episode: CareEpisode, values: Mapping[str, object], *, actor: User, now: datetime
) -> EpisodeAssessment:
    """Save the assessment record; the first save moves a waiting episode to assessed, and a
    step of care given with it sets (or changes) the episode's step from the assessment date."""
    if episode.state.is_ended:
        raise PathwayError("This episode has ended")
    try:
        codes.check_diagnosis(str(values["problem_descriptor"]), values["icd10_code"] or None)  # type: ignore[arg-type]
        codes.RiskLevel(str(values["risk_level"]))
    except ValueError as error:
        raise PathwayError(str(error)) from None
    values = {**values, **_assessment_text(values)}
    step = str(values.get("step_of_care") or "")
    with db.transaction() as session:
        assessment = queries.assessment_for(episode.id) or EpisodeAssessment(episode_id=episode.id)
        for name in ASSESSMENT_FIELDS:
            setattr(assessment, name, values[name])
        assessment.icd10_code = assessment.icd10_code or None
        assessment.recorded_by_id = actor.id
        assessment.recorded_at = now
        session.add(assessment)
        audit.record(
            "episode.assessment_saved",
            actor=actor,
            subject_type="care_episode",
            subject_id=episode.id,
            patient_id=episode.patient_id,
            detail={"risk_level": assessment.risk_level},
        )
        if episode.state is EpisodeState.WAITING_FOR_ASSESSMENT:
            _change(session, episode, EpisodeState.ASSESSED, actor=actor, note="Assessed", now=now)
        if step in STEPS and step != episode.current_step:
            _apply_step(
                session,
                episode,
                step,
                on=assessment.assessed_on,
                reason="Assessment",
                actor=actor,
                now=now,
            )
    return assessment


def _assessment_text(values: Mapping[str, object]) -> dict[str, str]:
    """The assessment's free text, trimmed; PathwayError if any is blank (spaces are not a
    risk summary, whatever the form let through)."""
    text = {name: str(values.get(name) or "").strip() for name in ASSESSMENT_TEXT}
    for name, missing in ASSESSMENT_TEXT.items():
        if not text[name]:
            raise PathwayError(missing, field=name)
    return text


# --- the ending ---------------------------------------------------------------------------


def plan_ending(episode: CareEpisode, *, actor: User, now: datetime) -> None:
    """The next session is planned as the last: ask the patient for the end-of-treatment PEQ
    now, so they can answer it at the penultimate or last session (DOMAIN.md section 2)."""
    if episode.state is not EpisodeState.IN_TREATMENT:
        raise PathwayError("Only an episode in treatment has an ending to plan")
    with db.transaction() as session:
        measures.apply_experience_offer(session, episode.patient_id, "peq_treatment", now=now)
        audit.record(
            "episode.ending_planned",
            actor=actor,
            subject_type="care_episode",
            subject_id=episode.id,
            patient_id=episode.patient_id,
        )


def discharge(
    episode: CareEpisode,
    end_code: str,
    *,
    reason: str,
    ended_on: date,
    actor: User,
    now: datetime,
) -> None:
    """End the episode with its national end code and reason. An episode in treatment is
    discharged, any other discharged without treatment. A patient who had treatment and was not
    yet asked for the PEQ is asked now (their last chance)."""
    try:
        to_state = discharge_state(episode.state)
        end = codes.check_end_code(episode.state, end_code)
    except ValueError as error:
        raise PathwayError(str(error)) from None
    _checked_change(episode, to_state)
    reason = reason.strip()
    if not reason:
        raise PathwayError("Enter the reason for discharge")
    if ended_on < episode.opened_at.date():
        raise PathwayError("The discharge date cannot be before the referral was accepted")
    treated = entered_treatment_on(queries.contacts_for(episode.id)) is not None
    offered = queries.experience_offered_at(episode) is not None
    with db.transaction() as session:
        episode.ended_on, episode.end_code, episode.end_reason = ended_on, end.code, reason
        _change(session, episode, to_state, actor=actor, note=f"End code {end.code}", now=now)
        audit.record(
            "episode.discharged",
            actor=actor,
            subject_type="care_episode",
            subject_id=episode.id,
            patient_id=episode.patient_id,
            detail={"end_code": end.code, "ended_on": ended_on.isoformat()},
        )
        if treated and not offered:
            measures.apply_experience_offer(session, episode.patient_id, "peq_treatment", now=now)
