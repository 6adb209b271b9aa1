"""Read-only questions about care episodes. The actor's id comes first: a therapist sees only the
episodes they are responsible for (another's id is a 404); the clinical lead sees every episode;
a patient sees only their own. Patient experience (PEQ) answers are never read here: the pathway
only knows whether one was offered (DOMAIN.md section 2; they are reported in aggregate).

Also the functions the reports use: each episode's contacts as the national definitions see
them (`contacts_for`), from which `webapp.pathway.episode` derives first and last scores,
entered treatment, finished, waits and step waits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select

from questionnaires.measures import MEASURES
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    CareEpisode,
    EpisodeAssessment,
    EpisodeAssessmentVersion,
    EpisodeChange,
    ExperienceResponse,
    QuestionnaireResponse,
    RiskFlag,
    Role,
    StepChange,
    User,
)
from webapp.pathway.episode import (
    AppointmentType,
    Contact,
    StepMove,
    entered_treatment_on,
    is_finished,
    needs_review,
    treatment_sessions,
)


def _for_actor(actor: User) -> object:
    """The where-clause limiting episodes to those the actor may see."""
    if actor.role is Role.CLINICAL_LEAD:
        return True
    if actor.role is Role.THERAPIST:
        return CareEpisode.therapist_id == actor.id
    return CareEpisode.patient_id == actor.id


def episode_for(actor: User, episode_id: int) -> CareEpisode:
    """One episode the actor may see (their own patient's, or any for the clinical lead); 404
    otherwise."""
    episode = db.session.scalar(
        select(CareEpisode).where(CareEpisode.id == episode_id, _for_actor(actor))  # type: ignore[arg-type]
    )
    if episode is None:
        abort(404)
    return episode


def appointment_in_episode(actor: User, episode: CareEpisode, appointment_id: int) -> Appointment:
    """One appointment of an episode the actor may already see; 404 if it is not in it."""
    appointment = db.session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id, Appointment.episode_id == episode.id
        )
    )
    if appointment is None:
        abort(404)
    return appointment


def open_episode_for_patient(patient_id: int) -> CareEpisode | None:
    """The patient's episode that has not ended (at most one: one accepted referral at a time)."""
    return db.session.scalar(
        select(CareEpisode)
        .where(CareEpisode.patient_id == patient_id, CareEpisode.ended_on.is_(None))
        .order_by(CareEpisode.opened_at.desc())
        .limit(1)
    )


def has_ended_care(patient_id: int) -> bool:
    """Whether the patient's care with us has ended: they have had an episode and none is open
    (a patient with no episode at all predates the care pathway and books as before)."""
    latest = latest_episode_for_patient(patient_id)
    return latest is not None and latest.ended_on is not None


def booked_ahead_for_patient(patient_id: int, *, now: datetime) -> list[Appointment]:
    """The patient's live bookings that have not started yet, with any therapist and in any
    episode, soonest first (discharge is refused while there are any)."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def unacknowledged_risk_flags_for_patient(patient_id: int) -> list[RiskFlag]:
    """The patient's risk flags no clinician has acknowledged yet, whichever appointment raised
    them, oldest first (discharge is refused while there are any)."""
    return list(
        db.session.scalars(
            select(RiskFlag)
            .where(RiskFlag.patient_id == patient_id, RiskFlag.acknowledged_at.is_(None))
            .order_by(RiskFlag.raised_at, RiskFlag.id)
        )
    )


def latest_episode_for_patient(patient_id: int) -> CareEpisode | None:
    """The patient's own latest episode, open or ended (for their own page)."""
    return db.session.scalar(
        select(CareEpisode)
        .where(CareEpisode.patient_id == patient_id)
        .order_by(CareEpisode.opened_at.desc(), CareEpisode.id.desc())
        .limit(1)
    )


def appointments_for(episode_id: int) -> list[Appointment]:
    """Every appointment booked within the episode, oldest first (moved bookings left out)."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.episode_id == episode_id,
                Appointment.status != AppointmentStatus.RESCHEDULED,
            )
            .order_by(Appointment.starts_at)
        )
    )


def _scores(appointment_ids: Iterable[int]) -> dict[int, dict[str, float]]:
    ids = list(appointment_ids)
    scores: dict[int, dict[str, float]] = defaultdict(dict)
    if not ids:
        return scores
    for response in db.session.scalars(
        select(QuestionnaireResponse).where(
            QuestionnaireResponse.appointment_id.in_(ids),
            QuestionnaireResponse.instrument.in_(list(MEASURES)),
            QuestionnaireResponse.completed_at.is_not(None),
            QuestionnaireResponse.total.is_not(None),
        )
    ):
        scores[response.appointment_id][response.instrument] = response.total  # type: ignore[index,assignment]
    return scores


def as_contact(appointment: Appointment, scores: dict[str, float]) -> Contact:
    kind = AppointmentType(appointment.appointment_type) if appointment.appointment_type else None
    return Contact(
        on=appointment.starts_at,
        attendance_code=appointment.attendance_code,
        appointment_type=kind,
        scores=scores,
        step=appointment.step_of_care,
    )


def contacts_for(episode_id: int) -> list[Contact]:
    """The episode's appointments as the national definitions see them, with the outcome
    measures' totals from each appointment's pre-session questionnaires."""
    appointments = appointments_for(episode_id)
    scores = _scores(a.id for a in appointments)
    return [as_contact(a, scores.get(a.id, {})) for a in appointments]


def step_moves_for(episode_id: int) -> list[StepMove]:
    return [
        StepMove(on=change.changed_on, from_step=change.from_step, to_step=change.to_step)
        for change in step_changes_for(episode_id)
    ]


def changes_for(episode_id: int) -> list[EpisodeChange]:
    """The episode's state changes, oldest first."""
    return list(
        db.session.scalars(
            select(EpisodeChange)
            .where(EpisodeChange.episode_id == episode_id)
            .order_by(EpisodeChange.changed_at, EpisodeChange.id)
        )
    )


def step_changes_for(episode_id: int) -> list[StepChange]:
    """The episode's step changes, oldest first."""
    return list(
        db.session.scalars(
            select(StepChange)
            .where(StepChange.episode_id == episode_id)
            .order_by(StepChange.changed_on, StepChange.id)
        )
    )


def assessment_for(episode_id: int) -> EpisodeAssessment | None:
    return db.session.scalar(
        select(EpisodeAssessment).where(EpisodeAssessment.episode_id == episode_id)
    )


def assessment_versions_for(episode_id: int) -> list[EpisodeAssessmentVersion]:
    """The versions of the episode's assessment that later saves replaced, newest first."""
    return list(
        db.session.scalars(
            select(EpisodeAssessmentVersion)
            .where(EpisodeAssessmentVersion.episode_id == episode_id)
            .order_by(
                EpisodeAssessmentVersion.superseded_at.desc(), EpisodeAssessmentVersion.id.desc()
            )
        )
    )


def assessment_step_for(episode_id: int) -> str | None:
    """The step of care the episode's assessment set, if it set one."""
    return db.session.scalar(
        select(StepChange.to_step)
        .where(StepChange.episode_id == episode_id, StepChange.set_by_assessment.is_(True))
        .order_by(StepChange.changed_on, StepChange.id)
        .limit(1)
    )


def experience_offered_at(episode: CareEpisode) -> datetime | None:
    """When the end-of-treatment PEQ was offered in this episode, if it was. Only the offer's
    date: the answers are never read for the clinical record."""
    return db.session.scalar(
        select(ExperienceResponse.offered_at)
        .where(
            ExperienceResponse.patient_id == episode.patient_id,
            ExperienceResponse.instrument == "peq_treatment",
            ExperienceResponse.offered_at >= episode.opened_at,
        )
        .order_by(ExperienceResponse.offered_at)
        .limit(1)
    )


@dataclass(frozen=True)
class CaseloadRow:
    episode: CareEpisode
    treatment_sessions: int
    entered_treatment_on: datetime | None
    is_finished: bool
    needs_review: bool


def caseload_for(
    actor: User, *, review_after: int, include_ended: bool = False
) -> list[CaseloadRow]:
    """The actor's episodes (their own for a therapist, all for the clinical lead), open first
    by the date they opened, with the derived facts the caseload shows."""
    query = select(CareEpisode).where(_for_actor(actor))  # type: ignore[arg-type]
    if not include_ended:
        query = query.where(CareEpisode.ended_on.is_(None))
    episodes = list(db.session.scalars(query.order_by(CareEpisode.opened_at, CareEpisode.id)))
    rows = []
    for episode in episodes:
        contacts = contacts_for(episode.id)
        rows.append(
            CaseloadRow(
                episode=episode,
                treatment_sessions=len(treatment_sessions(contacts)),
                entered_treatment_on=entered_treatment_on(contacts),
                is_finished=is_finished(contacts, episode.ended_on),
                needs_review=not episode.state.is_ended
                and needs_review(contacts, after_sessions=review_after),
            )
        )
    return rows
