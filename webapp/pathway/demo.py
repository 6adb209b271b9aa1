"""Demo care episodes (`flask seed-demo`): each demo patient has an accepted referral and an
episode in a different state, so a newcomer can click through the whole pathway. Made once per
patient: a patient who already has an episode is left alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    CareEpisode,
    EpisodeAssessment,
    EpisodeChange,
    QuestionnaireResponse,
    Referral,
    ReferralStatus,
    StepChange,
    User,
)
from webapp.pathway.episode import EpisodeState

S = EpisodeState

# patient, therapist, state, step, end code, reason
EPISODES = [
    ("patient", "priya.nair", S.IN_TREATMENT, "2", None, None),
    ("patient2", "tom.evans", S.ASSESSED, "2", None, None),
    ("patient3", "amara.okoye", S.WAITING_FOR_ASSESSMENT, None, None, None),
    ("patient4", "yusuf.ahmed", S.WAITING_FOR_ASSESSMENT, None, None, None),
    ("patient5", "hannah.reid", S.DISCHARGED, "3", "46", "Goals met; relapse plan agreed."),
    ("patient6", "daniel.kowalski", S.DISCHARGED_WITHOUT_TREATMENT, "2", "12", "Advice given."),
]
# Grace Kim's finished course: days ago, appointment type, PHQ-9 and GAD-7 totals.
FINISHED_COURSE = [
    (70, "assessment", 17, 13),
    (63, "treatment", 15, 12),
    (56, "treatment", 12, 9),
    (49, "treatment", 8, 6),
    (42, "treatment", 6, 4),
]
PATH = [S.WAITING_FOR_ASSESSMENT, S.ASSESSED, S.IN_TREATMENT]


def _answers(code: str, total: int) -> dict[str, int]:
    """Item answers (each 0-3) adding up to the total, so the charts and records agree."""
    items = 9 if code == "phq9" else 7
    return {f"q{n}": min(3, max(0, total - 3 * (n - 1))) for n in range(1, items + 1)}


def _scores(session: Session, appointment: Appointment, phq9: int, gad7: int) -> None:
    for code, total in (("phq9", phq9), ("gad7", gad7)):
        session.add(
            QuestionnaireResponse(
                patient_id=appointment.patient_id,
                appointment_id=appointment.id,
                instrument=code,
                instrument_version="1",
                answers=_answers(code, total),
                started_at=appointment.starts_at - timedelta(hours=2),
                completed_at=appointment.starts_at - timedelta(hours=2),
                total=total,
                severity=None,
                caseness=total >= (10 if code == "phq9" else 8),
            )
        )


def seed_episodes(user: Callable[[str], User], email: Callable[[str], str]) -> None:
    now = datetime.now(UTC)
    with db.transaction() as session:
        for number, (patient_part, therapist_part, state, step, end_code, reason) in enumerate(
            EPISODES, start=1
        ):
            patient, therapist = user(patient_part), user(therapist_part)
            if session.scalar(select(CareEpisode.id).where(CareEpisode.patient_id == patient.id)):
                continue
            opened = now - timedelta(days=80 if state.is_ended else 30)
            referral = Referral(
                reference=f"TT-DEMO{number:02d}",
                source_code="B1" if number % 2 else "A1",
                received_at=opened - timedelta(days=5),
                completed_at=opened - timedelta(days=5),
                status=ReferralStatus.ACCEPTED,
                decided_at=opened,
                patient_id=patient.id,
                full_name=patient.full_name,
                date_of_birth=date(1990, 1, number),
                email=email(patient_part),
                postcode="LS6 2AB",
                issue_type="low_mood",
            )
            session.add(referral)
            session.flush()
            episode = CareEpisode(
                referral_id=referral.id,
                patient_id=patient.id,
                therapist_id=therapist.id,
                state=state,
                opened_at=opened,
                current_step=step,
            )
            session.add(episode)
            session.flush()
            ended = now - timedelta(days=35)
            _history(session, episode, therapist, opened, ended)
            _appointments(session, episode, therapist, now)
            if state.is_ended:
                episode.ended_on = ended.date()
                episode.end_code, episode.end_reason = end_code, reason


def _history(
    session: Session, episode: CareEpisode, therapist: User, opened: datetime, ended: datetime
) -> None:
    """The dated changes that bring the episode to its state, and its assessment."""
    path = {
        S.WAITING_FOR_ASSESSMENT: PATH[:1],
        S.ASSESSED: PATH[:2],
        S.IN_TREATMENT: PATH,
        S.DISCHARGED: [*PATH, S.DISCHARGED],
        S.DISCHARGED_WITHOUT_TREATMENT: [*PATH[:2], S.DISCHARGED_WITHOUT_TREATMENT],
    }[episode.state]
    previous = None
    for weeks, state in enumerate(path):
        session.add(
            EpisodeChange(
                episode_id=episode.id,
                from_state=previous,
                to_state=state,
                changed_at=ended if state.is_ended else opened + timedelta(weeks=weeks),
                changed_by_id=None if previous is None else therapist.id,
                note="Referral accepted" if previous is None else "",
            )
        )
        previous = state
    if episode.current_step is None:
        return
    assessed_on = (opened + timedelta(days=7)).date()
    session.add(
        StepChange(
            episode_id=episode.id,
            from_step=None,
            to_step="2",
            changed_on=assessed_on,
            changed_by_id=therapist.id,
            reason="Assessment",
        )
    )
    if episode.current_step == "3":
        session.add(
            StepChange(
                episode_id=episode.id,
                from_step="2",
                to_step="3",
                changed_on=assessed_on + timedelta(days=10),
                changed_by_id=therapist.id,
                reason="Panic symptoms needed high-intensity CBT.",
            )
        )
    session.add(
        EpisodeAssessment(
            episode_id=episode.id,
            assessed_on=assessed_on,
            problem_descriptor="depression",
            icd10_code="F32",
            risk_level="low",
            risk_summary="No current thoughts of self-harm; protective factors: family, work.",
            risk_plan="Crisis numbers given; PHQ-9 item 9 checked before each session.",
            goals="Sleep through most nights; get back to seeing friends at the weekend.",
            options_explained="Guided self-help (step 2) and CBT (step 3) explained.",
            preference="Guided self-help first",
            preference_met=True,
            recorded_by_id=therapist.id,
        )
    )


def _appointments(session: Session, episode: CareEpisode, therapist: User, now: datetime) -> None:
    """Put the patient's demo bookings in the episode and code the attended ones; give the
    discharged patient a finished, scored course."""
    if episode.state is S.DISCHARGED:
        for days, kind, phq9, gad7 in FINISHED_COURSE:
            starts_at = (now - timedelta(days=days)).replace(hour=10, minute=0, second=0)
            appointment = Appointment(
                patient_id=episode.patient_id,
                therapist_id=therapist.id,
                episode_id=episode.id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=50),
                status=AppointmentStatus.CLOSED,
                attendance_code="5",
                outcome="attended",
                charged=True,
                charge_reason="attended",
                appointment_type=kind,
                step_of_care="2" if days > 55 else "3",
                created_at=starts_at - timedelta(days=7),
            )
            session.add(appointment)
            session.flush()
            _scores(session, appointment, phq9, gad7)
        return
    appointments = session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == episode.patient_id)
        .order_by(Appointment.starts_at)
    ).all()
    first = True
    for appointment in appointments:
        appointment.episode_id = episode.id
        if appointment.attendance_code == "5":
            appointment.appointment_type = "assessment" if first else "treatment"
            appointment.step_of_care = episode.current_step or "2"
            first = False
