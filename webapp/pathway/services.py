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

from webapp import audit, local_datetime
from webapp.extensions import db
from webapp.measures import services as measures
from webapp.models import (
    Appointment,
    CareEpisode,
    EpisodeAssessment,
    EpisodeAssessmentVersion,
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
    uk_today,
)

REASON_MAX_LENGTH = 2000


class PathwayError(ValueError):
    """A change the pathway does not allow; the message is written for the therapist. A refusal
    for several reasons at once keeps each in `problems`, so the page can list them; `field`
    names the form field a single reason is about (None: the change as a whole)."""

    def __init__(self, *problems: str, field: str | None = None) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems
        self.field = field


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _check_not_after_today(day: date, what: str, now: datetime) -> None:
    """Clinical dates record what has happened: none is after today in the UK."""
    if day > uk_today(now):
        raise PathwayError(f"The date of {what} must be today or in the past")


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
    set_by_assessment: bool = False,
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
            set_by_assessment=set_by_assessment,
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
    _check_not_after_today(on, "the change", now)
    changes = queries.step_changes_for(episode.id)
    if changes and on < changes[-1].changed_on:
        # The waits between steps are measured across the changes in date order.
        raise PathwayError(
            "The date of the change cannot be before the last change of step, on "
            f"{_day(changes[-1].changed_on)}"
        )
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


def _checked_assessment_step(
    episode: CareEpisode, step: str, on: date
) -> tuple[StepChange | None, bool]:
    """The step change an earlier save of the assessment set (None before the first), and
    whether any step change came after it. A corrected assessment moves that step change to
    its date and step, so the history agrees with the record; it may not move it past the
    step changes around it (the waits between steps are measured across them in date order),
    nor change the step once the episode has stepped on from it."""
    changes = queries.step_changes_for(episode.id)
    own = next((change for change in changes if change.set_by_assessment), None)
    if own is None:
        return None, False
    index = changes.index(own)
    before, after = changes[:index], changes[index + 1 :]
    if step in STEPS and step != own.to_step and (after or step == own.from_step):
        raise PathwayError(
            f"The step of care has changed since the assessment (step {own.to_step}): use "
            "Step up or down on the episode to change it now"
        )
    if after and on > after[0].changed_on:
        raise PathwayError(
            "The date of the assessment cannot be after the step change on "
            f"{_day(after[0].changed_on)}"
        )
    if before and on < before[-1].changed_on:
        raise PathwayError(
            "The date of the assessment cannot be before the step change on "
            f"{_day(before[-1].changed_on)}"
        )
    return own, bool(after)


def _follow_assessment(
    episode: CareEpisode,
    own: StepChange,
    step: str,
    *,
    on: date,
    is_latest: bool,
    actor: User,
    now: datetime,
) -> None:
    """Move the assessment's step change to the corrected assessment's date and step."""
    to_step = step if step in STEPS else own.to_step
    if (own.changed_on, own.to_step) == (on, to_step):
        return
    audit.record(
        "episode.step_corrected",
        actor=actor,
        subject_type="care_episode",
        subject_id=episode.id,
        patient_id=episode.patient_id,
        detail={
            "was": {"to": own.to_step, "on": own.changed_on.isoformat()},
            "now": {"to": to_step, "on": on.isoformat()},
        },
    )
    own.changed_on, own.to_step = on, to_step
    own.changed_by_id, own.recorded_at = actor.id, now
    if is_latest:
        episode.current_step = to_step


def save_assessment(
    episode: CareEpisode, values: Mapping[str, object], *, actor: User, now: datetime
) -> EpisodeAssessment:
    """Save the assessment record; the first save moves a waiting episode to assessed, and a
    step of care given with it sets the episode's step from the assessment date. Saving again
    keeps the version it replaces (`EpisodeAssessmentVersion`), unless nothing changed, and
    moves the step the assessment set to the corrected date and step
    (`_checked_assessment_step`). No assessment is dated after today in the UK."""
    if episode.state.is_ended:
        raise PathwayError("This episode has ended")
    try:
        codes.check_diagnosis(str(values["problem_descriptor"]), values["icd10_code"] or None)  # type: ignore[arg-type]
        codes.RiskLevel(str(values["risk_level"]))
    except ValueError as error:
        raise PathwayError(str(error)) from None
    values = {**values, **_assessment_text(values)}
    new = {name: values[name] for name in ASSESSMENT_FIELDS}
    new["icd10_code"] = new["icd10_code"] or None
    assessed_on: date = new["assessed_on"]  # type: ignore[assignment]
    _check_not_after_today(assessed_on, "the assessment", now)
    step = str(values.get("step_of_care") or "")
    own, stepped_on = _checked_assessment_step(episode, step, assessed_on)
    saved = queries.assessment_for(episode.id)
    changed = saved is None or any(getattr(saved, name) != new[name] for name in new)
    with db.transaction() as session:
        assessment = saved or EpisodeAssessment(episode_id=episode.id)
        if changed:
            if saved is not None:
                session.add(_version_of(saved, actor=actor, now=now))
            for name, value in new.items():
                setattr(assessment, name, value)
            assessment.recorded_by_id = actor.id
            assessment.recorded_at = now
            session.add(assessment)
            audit.record(
                "episode.assessment_saved",
                actor=actor,
                subject_type="care_episode",
                subject_id=episode.id,
                patient_id=episode.patient_id,
                detail={"risk_level": assessment.risk_level, "replaced": saved is not None},
            )
        if episode.state is EpisodeState.WAITING_FOR_ASSESSMENT:
            _change(session, episode, EpisodeState.ASSESSED, actor=actor, note="Assessed", now=now)
        if own is not None:
            _follow_assessment(
                episode,
                own,
                step,
                on=assessed_on,
                is_latest=not stepped_on,
                actor=actor,
                now=now,
            )
        elif step in STEPS and step != episode.current_step:
            _apply_step(
                session,
                episode,
                step,
                on=assessed_on,
                reason="Assessment",
                actor=actor,
                now=now,
                set_by_assessment=True,
            )
    return assessment


def _version_of(
    saved: EpisodeAssessment, *, actor: User, now: datetime
) -> EpisodeAssessmentVersion:
    """The assessment as it stands, kept whole before a save replaces it."""
    return EpisodeAssessmentVersion(
        episode_id=saved.episode_id,
        **{name: getattr(saved, name) for name in ASSESSMENT_FIELDS},
        recorded_by_id=saved.recorded_by_id,
        recorded_at=saved.recorded_at,
        superseded_by_id=actor.id,
        superseded_at=now,
    )


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


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _left_open(episode: CareEpisode, *, now: datetime) -> list[str]:
    """What must be dealt with before the patient is discharged, in words for the therapist:
    risk flags not yet acknowledged (a clinician must see every one: DOMAIN.md section 3) and
    sessions still booked (the patient would otherwise keep appointments with no episode)."""
    problems = []
    flags = queries.unacknowledged_risk_flags_for_patient(episode.patient_id)
    if flags:
        named = "; ".join(
            f"{flag.description} (before the session on "
            f"{local_datetime(flag.appointment.starts_at)} with "
            f"{flag.appointment.therapist.full_name})"
            for flag in flags
        )
        problems.append(
            f"{_plural(len(flags), 'risk flag has', 'risk flags have')} not been acknowledged: "
            f"{named}. The session's therapist or the clinical lead must read and acknowledge "
            f"{'it' if len(flags) == 1 else 'them'} (from their day page or the clinical "
            "lead's page) before discharging."
        )
    booked = queries.booked_ahead_for_patient(episode.patient_id, now=now)
    if booked:
        listed = "; ".join(
            f"{local_datetime(appointment.starts_at)} with {appointment.therapist.full_name}"
            for appointment in booked
        )
        problems.append(
            f"{_plural(len(booked), 'session is', 'sessions are')} still booked: {listed}. "
            f"Cancel {'it' if len(booked) == 1 else 'them'} first (a cancellation by the "
            "service is not charged, and the patient is told), then discharge."
        )
    return problems


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
    yet asked for the PEQ is asked now (their last chance).

    Refused, changing nothing, while anything is left open (`_left_open`): a risk flag nobody
    has acknowledged, or sessions still booked. Booked sessions are not cancelled here: the
    therapist cancels them first (`booking.services.cancel_appointment`, which records the
    provider's cancellation, uncharged under DOMAIN.md section 2, returns the funded session and
    tells the patient), so the patient hears about the end of their sessions from a person."""
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
    _check_not_after_today(ended_on, "discharge", now)
    problems = _left_open(episode, now=now)
    if problems:
        raise PathwayError(*problems)
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
