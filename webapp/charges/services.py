"""Writes to the session allowance ledger, each session's outcome and charge, and technical
failures. One write = one function = one transaction, with its audit row; time is passed in.

The `_apply_*` helpers do the work inside a transaction the caller already holds (the booking
services call them from their own); the public functions open one.

Rules (issue 6; charging rules in `webapp.charging`, DOMAIN.md section 2):
- each accepted referral is funded for SESSIONS_PER_REFERRAL sessions (a GRANT);
- a booking draws one (DRAW); a moved booking keeps what it drew (MOVE, no second draw);
- a session that is not charged gives its funding back (RETURN); an outcome changed from one
  that is not charged to one that is takes it again (RETURN_REVERSED), and the other way round
  gives it back: the ledger's sum is always the patient's sessions left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import audit, service_contact
from webapp.charges import queries
from webapp.charging import Outcome, attendance_code, decide_charge
from webapp.extensions import db
from webapp.models import (
    AllowanceMovement,
    Appointment,
    AppointmentStatus,
    FailureAffected,
    FailureFault,
    FailureReport,
    FailureStatus,
    MovementKind,
    TechnicalFailure,
    User,
)

NOTE_MAX_LENGTH = 500


def no_sessions_left() -> str:
    return (
        "You have used all the sessions funded for your course of treatment. Contact the "
        f"service {service_contact()} if you think you need more."
    )


class ChargingError(ValueError):
    """A write the person cannot make; the message is written for them."""


# --- the ledger ---------------------------------------------------------------------------


def _move(
    session: Session,
    *,
    patient_id: int,
    kind: MovementKind,
    sessions: int,
    reason_code: str,
    now: datetime,
    appointment_id: int | None = None,
    actor: User | None = None,
    note: str | None = None,
) -> AllowanceMovement:
    movement = AllowanceMovement(
        patient_id=patient_id,
        appointment_id=appointment_id,
        kind=kind,
        sessions=sessions,
        reason_code=reason_code,
        note=note,
        actor_id=actor.id if actor is not None else None,
        occurred_at=now,
    )
    session.add(movement)
    return movement


def apply_initial_grant(
    session: Session, patient: User, *, actor: User | None, now: datetime
) -> None:
    """Fund a newly accepted referral for SESSIONS_PER_REFERRAL sessions (inside the caller's
    transaction: `referral.services.accept`)."""
    _move(
        session,
        patient_id=patient.id,
        kind=MovementKind.GRANT,
        sessions=int(current_app.config["SESSIONS_PER_REFERRAL"]),
        reason_code="referral",
        now=now,
        actor=actor,
    )


def grant_sessions(
    patient: User, sessions: int, *, reason: str, actor: User, now: datetime
) -> AllowanceMovement:
    """The clinical lead funds more sessions for a patient, with a reason (audited)."""
    reason = reason.strip()
    if not 1 <= sessions <= 20:
        raise ChargingError("Enter a number of sessions from 1 to 20")
    if not reason:
        raise ChargingError("Enter why you are granting more sessions")
    with db.transaction() as session:
        movement = _move(
            session,
            patient_id=patient.id,
            kind=MovementKind.GRANT,
            sessions=sessions,
            reason_code="granted",
            note=reason[:NOTE_MAX_LENGTH],
            now=now,
            actor=actor,
        )
        session.flush()
        audit.record(
            "allowance.granted",
            actor=actor,
            subject_type="allowance_movement",
            subject_id=movement.id,
            patient_id=patient.id,
            detail={"sessions": sessions},
        )
    return movement


def has_sessions_left(patient_id: int) -> bool:
    """Whether the patient may book another session; read inside the booking transaction."""
    return queries.sessions_left(patient_id) > 0


def apply_draw(session: Session, appointment: Appointment, *, now: datetime) -> None:
    """A new booking uses one funded session."""
    _move(
        session,
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        kind=MovementKind.DRAW,
        sessions=-1,
        reason_code="booked",
        now=now,
    )


def apply_move(session: Session, old: Appointment, new: Appointment, *, now: datetime) -> None:
    """A booking moved to another time keeps its funding: recorded, but no second draw."""
    _move(
        session,
        patient_id=new.patient_id,
        appointment_id=new.id,
        kind=MovementKind.MOVE,
        sessions=0,
        reason_code="rescheduled",
        note=f"Moved from appointment {old.id}",
        now=now,
    )


# --- outcomes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeResult:
    changed: bool  # False when the same outcome was already recorded (nothing was written)
    charged: bool
    reason_code: str


def apply_outcome(
    session: Session,
    appointment: Appointment,
    outcome: Outcome,
    *,
    actor: User | None,
    now: datetime,
    cancelled_at: datetime | None = None,
    note: str | None = None,
    late: bool = False,
) -> OutcomeResult:
    """Decide the charge, store it with the outcome and attendance code, and move the ledger;
    inside the caller's transaction. Idempotent; a changed outcome corrects the ledger."""
    outcome = Outcome(outcome)
    if outcome is Outcome.PATIENT_CANCELLED and cancelled_at is None:
        cancelled_at = appointment.cancelled_at
    decision = decide_charge(outcome, booked_start=appointment.starts_at, cancelled_at=cancelled_at)
    code = attendance_code(outcome, late=late)
    previous = appointment.charged
    if (
        appointment.outcome == outcome.value
        and previous is decision.charged
        and appointment.charge_reason == decision.reason.code
        and appointment.attendance_code == code
    ):
        return OutcomeResult(False, decision.charged, decision.reason.code)
    earlier = {"outcome": appointment.outcome, "charge_reason": appointment.charge_reason}
    appointment.outcome = outcome.value
    appointment.attendance_code = code
    appointment.charged = decision.charged
    appointment.charge_reason = decision.reason.code
    appointment.outcome_recorded_at = now
    if note is not None:
        appointment.outcome_note = note.strip()[:NOTE_MAX_LENGTH] or None
    if appointment.status is AppointmentStatus.BOOKED:
        appointment.status = AppointmentStatus.CLOSED
    was_returned = previous is False
    if decision.returns_funding and not was_returned:
        reason = decision.reason.code if previous is None else "outcome_changed"
        _move(
            session,
            patient_id=appointment.patient_id,
            appointment_id=appointment.id,
            kind=MovementKind.RETURN,
            sessions=1,
            reason_code=reason,
            note=None if previous is None else f"Now: {decision.reason.text}",
            now=now,
            actor=actor,
        )
    elif was_returned and not decision.returns_funding:
        _move(
            session,
            patient_id=appointment.patient_id,
            appointment_id=appointment.id,
            kind=MovementKind.RETURN_REVERSED,
            sessions=-1,
            reason_code="outcome_changed",
            note=f"Now: {decision.reason.text}",
            now=now,
            actor=actor,
        )
    audit.record(
        "appointment.outcome_recorded",
        actor=actor,
        subject_type="appointment",
        subject_id=appointment.id,
        patient_id=appointment.patient_id,
        detail={
            "outcome": outcome.value,
            "code": code,
            "charged": decision.charged,
            "reason": decision.reason.code,
            "earlier": earlier,
        },
    )
    return OutcomeResult(True, decision.charged, decision.reason.code)


def record_outcome(
    appointment: Appointment,
    outcome: Outcome | str,
    *,
    actor: User | None,
    now: datetime,
    cancelled_at: datetime | None = None,
    note: str | None = None,
    late: bool = False,
) -> OutcomeResult:
    """Record how a booked session resolved, in one transaction (see `apply_outcome`).

    `late=True` records an attended patient who arrived late but was seen (code 6). Recording
    the same outcome twice changes nothing; a different outcome corrects the ledger with a
    reason. The chat session record calls this with the therapist's attendance."""
    try:
        resolved = Outcome(outcome)
    except ValueError as error:
        raise ChargingError("Choose what happened at the session") from error
    if resolved is not Outcome.PATIENT_CANCELLED and appointment.starts_at > now:
        raise ChargingError("You can only record what happened once the session has started")
    with db.transaction() as session:
        session.refresh(appointment)
        result = apply_outcome(
            session,
            appointment,
            resolved,
            actor=actor,
            now=now,
            cancelled_at=cancelled_at,
            note=note,
            late=late,
        )
        _close_failure(session, appointment, resolved, actor=actor, now=now)
        return result


def _close_failure(
    session: Session,
    appointment: Appointment,
    outcome: Outcome,
    *,
    actor: User | None,
    now: datetime,
) -> None:
    """An outcome recorded directly settles any open or disputed problem report for the session,
    so the clinical lead is not asked later to decide what is already decided."""
    failure = session.scalar(
        select(TechnicalFailure).where(
            TechnicalFailure.appointment_id == appointment.id,
            TechnicalFailure.status != FailureStatus.SETTLED,
        )
    )
    if failure is None:
        return
    faults = {fault: kind for kind, fault in _OUTCOME_FOR_FAULT.items()}
    failure.status = FailureStatus.SETTLED
    failure.settled_at = now
    failure.decided_fault = faults.get(outcome)
    failure.decided_by_id = actor.id if actor is not None else None
    failure.decision_reason = f"Outcome recorded directly: {outcome.value}"


# --- technical failures -------------------------------------------------------------------

_OUTCOME_FOR_FAULT = {
    FailureFault.PATIENT: Outcome.TECH_FAILURE_PATIENT,
    FailureFault.PROVIDER: Outcome.TECH_FAILURE_PROVIDER,
}


def _settle(
    session: Session,
    failure: TechnicalFailure,
    fault: FailureFault,
    *,
    actor: User | None,
    now: datetime,
) -> None:
    failure.decided_fault = fault
    failure.status = FailureStatus.SETTLED
    failure.settled_at = now
    apply_outcome(session, failure.appointment, _OUTCOME_FOR_FAULT[fault], actor=actor, now=now)


def _resolve(session: Session, failure: TechnicalFailure, *, now: datetime) -> None:
    """Settle a failure when the records agree; mark it disputed when the parties disagree.

    The server's own evidence (the therapist never joined, the service was down) makes it the
    provider's by default; otherwise the therapist's record decides unless the patient says
    otherwise, which is a dispute for the clinical lead."""
    if failure.status is FailureStatus.SETTLED:
        return
    patient, therapist = failure.patient_says, failure.therapist_says
    known = {FailureFault.PATIENT, FailureFault.PROVIDER}
    if failure.server_evidence:
        _settle(session, failure, FailureFault.PROVIDER, actor=None, now=now)
    elif therapist in known and patient in known and patient is not therapist:
        failure.status = FailureStatus.DISPUTED
    elif therapist in known:
        assert therapist is not None
        _settle(session, failure, therapist, actor=None, now=now)


def report_technical_failure(
    appointment: Appointment,
    *,
    actor: User,
    what_happened: str,
    affected: FailureAffected | str,
    fault: FailureFault | str = FailureFault.UNKNOWN,
    now: datetime,
    server_evidence: bool = False,
) -> TechnicalFailure:
    """Either party reports a technical failure at a started session (what happened, who it
    affected, and who they think was at fault: the therapist's answer is their record of it).

    `server_evidence=True` says the server's own records show the therapist never joined or
    the service was down: the chat session feature passes it, and the failure is then the
    provider's by default. Audited; settling it records the outcome."""
    what_happened = what_happened.strip()
    if not what_happened:
        raise ChargingError("Enter what happened")
    if len(what_happened) > NOTE_MAX_LENGTH:
        raise ChargingError(f"What happened must be {NOTE_MAX_LENGTH} characters or fewer")
    if appointment.starts_at > now:
        raise ChargingError("You can report a problem once the session has started")
    role = actor.role.value
    if actor.id not in (appointment.patient_id, appointment.therapist_id):
        raise ChargingError("Only the patient or the therapist can report a problem")
    with db.transaction() as session:
        failure = session.query(TechnicalFailure).filter_by(appointment_id=appointment.id).first()
        if failure is None:
            failure = TechnicalFailure(
                appointment_id=appointment.id, status=FailureStatus.OPEN, created_at=now
            )
            session.add(failure)
        if failure.status is FailureStatus.SETTLED:
            raise ChargingError("This problem has already been settled")
        fault = FailureFault(fault)
        if actor.id == appointment.therapist_id:
            failure.therapist_says = fault
        else:
            failure.patient_says = fault
        failure.server_evidence = failure.server_evidence or server_evidence
        session.flush()
        report = FailureReport(
            failure_id=failure.id,
            reported_by_id=actor.id,
            reported_by_role=role,
            what_happened=what_happened,
            affected=FailureAffected(affected),
            fault=fault,
            created_at=now,
        )
        session.add(report)
        session.flush()
        audit.record(
            "technical_failure.reported",
            actor=actor,
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=appointment.patient_id,
            detail={
                "fault": fault.value,
                "affected": report.affected.value,
                "server_evidence": server_evidence,
            },
        )
        _resolve(session, failure, now=now)
    return failure


def decide_dispute(
    failure: TechnicalFailure, fault: FailureFault | str, *, reason: str, actor: User, now: datetime
) -> None:
    """The clinical lead decides who was at fault in a disputed failure, or one that waited too
    long for the other side's account, with a reason (audited); the outcome and its charge
    follow."""
    reason = reason.strip()
    if not reason:
        raise ChargingError("Enter the reason for your decision")
    resolved = FailureFault(fault)
    if resolved not in _OUTCOME_FOR_FAULT:
        raise ChargingError("Choose who was at fault")
    with db.transaction() as session:
        session.refresh(failure)
        if failure.status is FailureStatus.SETTLED:
            raise ChargingError("This dispute has already been decided")
        failure.decided_by_id = actor.id
        failure.decision_reason = reason[:NOTE_MAX_LENGTH]
        audit.record(
            "technical_failure.decided",
            actor=actor,
            subject_type="technical_failure",
            subject_id=failure.id,
            patient_id=failure.appointment.patient_id,
            detail={"fault": resolved.value},
        )
        _settle(session, failure, resolved, actor=actor, now=now)
