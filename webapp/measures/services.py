"""Writes for questionnaires: save a page of answers, complete and score a form, raise and
acknowledge risk flags. Answers are saved page by page, so nothing is lost if the connection
drops; totals and flags come from `questionnaires.score`, never from the form."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import update
from sqlalchemy.orm import Session

import questionnaires
from questionnaires.outcomes import reliable_rises_since
from webapp import audit, london_datetime
from webapp.extensions import db
from webapp.measures import pages, queries
from webapp.models import (
    Appointment,
    AppointmentStatus,
    ExperienceResponse,
    QuestionnaireResponse,
    RiskFlag,
    User,
)
from webapp.notify import send_email

log = logging.getLogger(__name__)


class NotOpen(Exception):
    """The pre-session questionnaires for this appointment cannot be answered now."""


def opens_at(appointment: Appointment) -> datetime:
    hours: int = current_app.config["PRE_SESSION_OPENS_HOURS"]
    return appointment.starts_at - timedelta(hours=hours)


def check_open(appointment: Appointment, now: datetime) -> None:
    if appointment.status is not AppointmentStatus.BOOKED:
        raise NotOpen("This appointment is no longer booked.")
    if now < opens_at(appointment):
        raise NotOpen("too_early")
    if now >= appointment.ends_at:
        raise NotOpen("This appointment has finished.")


def save_answers(
    patient: User,
    appointment: Appointment,
    code: str,
    submitted: Mapping[str, object],
    *,
    now: datetime,
) -> QuestionnaireResponse:
    """Merge one page of answers into the form; complete and score it once nothing is missing."""
    check_open(appointment, now)
    instrument = questionnaires.get(code)
    with db.transaction():
        response = queries.responses_for_appointment(appointment.id).get(code)
        if response is None:
            response = QuestionnaireResponse(
                patient_id=patient.id,
                appointment_id=appointment.id,
                instrument=code,
                instrument_version=instrument.version,
                answers={},
                started_at=now,
            )
            db.session.add(response)
        answers = {**response.answers, **submitted}
        # A changed answer can stop a follow-up question being asked: drop its old answer.
        answers = {
            key: value
            for key, value in answers.items()
            if pages.is_asked(instrument.item(key), answers)
        }
        response.answers = answers
        response.updated_at = now
        raised = []
        if pages.is_complete(instrument, answers):
            raised = _complete(response, appointment, now)
        else:
            response.completed_at = None
    if raised:
        _tell_clinicians(appointment)
    return response


def _complete(
    response: QuestionnaireResponse, appointment: Appointment, now: datetime
) -> list[RiskFlag]:
    """Score the form and raise its risk flags; returns the flags newly raised."""
    result = questionnaires.score(response.instrument, response.answers)
    response.completed_at = now
    response.total = result.total
    response.severity = result.severity
    response.caseness = result.caseness
    response.risk_flags = list(result.risk_flags)
    flags = list(result.risk_flags)
    levels = dict(result.risk_levels)
    if response.instrument in ("phq9", "gad7") and result.total is not None:
        previous = queries.previous_totals(appointment.patient_id, before=response.started_at)
        rises = reliable_rises_since(previous, {response.instrument: result.total})
        flags += rises
        levels.update({code: result.total for code in rises})
        response.risk_flags = flags
    raised = (_raise_flag(appointment, response, code, levels.get(code), now) for code in flags)
    return [flag for flag in raised if flag is not None]


def _raise_flag(
    appointment: Appointment,
    response: QuestionnaireResponse,
    code: str,
    level: int | None,
    now: datetime,
) -> RiskFlag | None:
    """A flag for this answer, unless one is still waiting to be read (its reader sees the
    answers as they now stand) or a clinician has read one as strong. An answer changed for
    the worse after a clinician acknowledged the flag raises another."""
    existing = [f for f in queries.risk_flags_for_appointment(appointment.id) if f.code == code]
    waiting = [flag for flag in existing if flag.acknowledged_at is None]
    if waiting:
        flag = waiting[-1]
        if level is None or not _is_worse(code, level, waiting):
            return None
        # Not read yet, and worse now: its reader must see this level (an acknowledgement
        # from a page showing the old one is refused), and is told again.
        flag.level = level
        flag.description = (
            f"The answer changed to {level} at {london_datetime(now)}, after this was first "
            f"raised. {questionnaires.describe_risk(code)}"
        )
        audit.record(
            "risk_flag.worse",
            subject_type="risk_flag",
            subject_id=flag.id,
            patient_id=appointment.patient_id,
            detail={"code": code, "level": level},
        )
        return flag
    if existing and (level is None or not _is_worse(code, level, existing)):
        return None
    description = questionnaires.describe_risk(code)
    if existing:
        read = existing[-1]
        by = read.acknowledged_by.full_name if read.acknowledged_by else "a clinician"
        description = (
            f"Raised again: the answer is now {level}, worse than the {read.level} {by} "
            f"read at {london_datetime(read.acknowledged_at)}. {description}"
        )
    db.session.flush()
    flag = RiskFlag(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        response_id=response.id,
        code=code,
        description=description,
        level=level,
        raised_at=now,
    )
    db.session.add(flag)
    audit.record(
        "risk_flag.raised",
        subject_type="appointment",
        subject_id=appointment.id,
        patient_id=appointment.patient_id,
        detail={"code": code, "level": level, "again": bool(existing)},
    )
    return flag


def _is_worse(code: str, level: int, than: list[RiskFlag]) -> bool:
    """Worse than every one of these flags. A flag from before levels were kept is taken at the
    weakest level that raises it, so that a worse answer after it was read is not missed."""
    return all(
        questionnaires.is_worse_risk(
            code, level, questionnaires.weakest_risk_level(code) if f.level is None else f.level
        )
        for f in than
    )


def _tell_clinicians(appointment: Appointment) -> None:
    """Once the answers are stored: email the therapist (no name or answer in it: email is not
    the place), and tell them at once if they are in the session room."""
    from webapp.sessions import sockets

    sockets.announce_risk_flag(appointment.id)
    link = url_for("measures.therapist_view", appointment_id=appointment.id, _external=True)
    when = london_datetime(appointment.starts_at)
    try:
        send_email(
            appointment.therapist.email,
            "Answers to read before a session",
            "A patient gave an answer in their pre-session questionnaires that may be a sign "
            f"of risk, for their session with you on {when}. Read it and acknowledge it:\n\n"
            f"{link}\n\nThe session room stays closed to the patient until you have, and the "
            "clinical lead sees it on their page until it is read.\n",
        )
    except Exception:  # the answers are stored and the flag is on both pages: log, go on
        log.exception(
            "could not email the therapist about a risk flag (appointment %s)", appointment.id
        )


def move_open_risk_flags(old: Appointment, new: Appointment) -> None:
    """In the booking's transaction: a moved session takes the risk flags nobody has
    acknowledged yet, so its therapist must still read them before it starts. (Acknowledged
    ones stay where they were read, with the answers that raised them.)"""
    for flag in queries.unacknowledged_risk_flags(old.id):
        flag.appointment_id = new.id
        audit.record(
            "risk_flag.moved",
            subject_type="risk_flag",
            subject_id=flag.id,
            patient_id=flag.patient_id,
            detail={"code": flag.code, "from": old.id, "to": new.id},
        )


class FlagChanged(Exception):
    """The flag changed (a worse answer) or was acknowledged since the page was shown."""


def acknowledge_flag(
    therapist: User, flag: RiskFlag, note: str, *, now: datetime, level_shown: str
) -> bool:
    """Record that a clinician has read the flag at the level their page showed (`level_shown`,
    "" for a flag without one). FlagChanged if the answer got worse since: they must read it
    again. False if someone else acknowledged it first."""
    with db.transaction() as session:
        claimed = session.execute(
            update(RiskFlag)
            .where(
                RiskFlag.id == flag.id,
                RiskFlag.acknowledged_at.is_(None),
                RiskFlag.level.is_(None)
                if level_shown == ""
                else RiskFlag.level == _as_level(level_shown),
            )
            .values(
                acknowledged_at=now,
                acknowledged_by_id=therapist.id,
                acknowledgement_note=note.strip() or None,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            audit.record(
                "risk_flag.acknowledged",
                actor=therapist,
                subject_type="risk_flag",
                subject_id=flag.id,
                patient_id=flag.patient_id,
                detail={"code": flag.code, "level": flag.level},
            )
    db.session.refresh(flag)
    if claimed.rowcount == 1:
        return True
    if flag.acknowledged_at is not None:
        return False
    raise FlagChanged(
        "The answer changed since you opened this page and is now worse. Nothing was saved: "
        "read it again below, then acknowledge it."
    )


def _as_level(shown: str) -> int | None:
    try:
        return int(shown)
    except ValueError:
        return None


EXPERIENCE_INSTRUMENTS = ("peq_assessment", "peq_treatment")


def offer_experience_questionnaire(
    patient_id: int, code: str, *, now: datetime
) -> ExperienceResponse:
    """Ask a patient for a patient experience questionnaire (PEQ), in its own transaction."""
    with db.transaction() as session:
        return apply_experience_offer(session, patient_id, code, now=now)


def apply_experience_offer(
    session: Session, patient_id: int, code: str, *, now: datetime
) -> ExperienceResponse:
    """Ask a patient for a PEQ inside the caller's transaction. The care pathway calls this when
    the therapist plans the last session (or, failing that, at discharge); an unanswered offer
    is not repeated. The offer and its answers stay in `experience_responses`, linked to no
    appointment, therapist or episode, and are reported only in aggregate."""
    if code not in EXPERIENCE_INSTRUMENTS:
        raise ValueError(f"{code!r} is not a patient experience questionnaire")
    pending = queries.pending_experience(patient_id)
    existing = next((offer for offer in pending if offer.instrument == code), None)
    if existing is not None:
        return existing
    offer = ExperienceResponse(
        patient_id=patient_id,
        instrument=code,
        instrument_version=questionnaires.get(code).version,
        offered_at=now,
        answers={},
    )
    session.add(offer)
    audit.record(
        "experience_questionnaire.offered",
        subject_type="patient",
        subject_id=patient_id,
        detail={"instrument": code},
    )
    return offer


def complete_experience(
    offer: ExperienceResponse, answers: Mapping[str, object], *, now: datetime
) -> None:
    questionnaires.score(offer.instrument, answers)  # validates every answer; PEQs are unscored
    with db.transaction():
        offer.answers = {key: value for key, value in answers.items() if value not in (None, "")}
        offer.completed_at = now
