"""Booking writes: book, cancel and reschedule, and the reminders that go with them.

One write = one function = one transaction; the time is passed in (STYLE.md section 3).

Double booking is refused by the database, not only here: the partial unique indexes on
appointments allow one live booking per therapist and per patient at a start time. Overlapping
but different starts (a 09:30 extra-hours slot against a 09:00 booking) are refused inside the
transaction, after locking the therapist's and the patient's rows, so two concurrent requests
cannot both pass the check: on PostgreSQL with SELECT ... FOR UPDATE, on SQLite by taking the
database's write lock with the transaction's first statement.

Every booking draws one session from the patient's allowance ledger (`webapp.charges`); a moved
booking keeps what it drew; a cancellation records its outcome and charge there. Every booking
joins the patient's open care episode (`webapp.pathway`), and a moved one stays in it; a patient
whose care has ended (discharged, and not yet referred again) cannot book.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp import audit, service_contact
from webapp.booking import queries
from webapp.booking.reminders import (
    REMINDER_KINDS,
    channels,
    patient_zone,
    plan_notifications,
    send_time,
)
from webapp.booking.slots import SESSION_LENGTH, SLOT_LENGTH
from webapp.charges import services as charges
from webapp.charging import Outcome, attendance_code, decide_charge
from webapp.extensions import db
from webapp.measures import services as measures
from webapp.models import (
    Appointment,
    AppointmentStatus,
    NotificationAttempt,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    PatientProfile,
    Role,
    User,
)
from webapp.pathway import queries as pathway_queries
from webapp.pathway import services as pathway


class BookingError(ValueError):
    """A booking the person cannot make; the message is written for them."""


SLOT_GONE = "Sorry, that time has just been booked. Choose another time."
CARE_ENDED = (
    "Your treatment with us has ended, so you cannot book more sessions. If you need help "
    "again, you can refer yourself again, or ask your GP to refer you."
)


class ChargeChanged(BookingError):
    """The 24 hours' notice passed between the page and the press: the cancellation (or move)
    would now use a funded session, which the page said it would not. Nothing is changed; the
    page is shown again with what is true now."""


def _check_charge_as_shown(
    appointment: Appointment, actor: User, now: datetime, expect_charged: bool | None
) -> None:
    if expect_charged is None:
        return
    charged = is_charged_if_cancelled_now(appointment, actor=actor, now=now)
    if charged != expect_charged:
        raise ChargeChanged(
            "Your appointment is now 24 hours away or less, so this would count as one of your "
            "sessions. Nothing has changed yet: read the page again, and confirm if you still "
            "want to go ahead."
        )


def allowance_allows_booking(patient_id: int) -> bool:
    """Whether the patient's session allowance has a session left to book: the sum of their
    allowance ledger (bookings already drew theirs). Called inside the booking transaction,
    after the patient's row is locked, so two bookings cannot both take the last session."""
    return charges.has_sessions_left(patient_id)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _write_lock(session: Session, *, people: list[int], appointment_id: int | None = None) -> None:
    """On SQLite, take the database's write lock with the transaction's first statement (a
    no-op UPDATE, waiting up to busy_timeout): SQLite cannot upgrade a transaction that has
    already read while another writes, so every booking write starts by writing. PostgreSQL
    needs nothing here: `_lock_people` locks rows there."""
    if _is_postgresql(session):
        return
    if appointment_id is not None:
        session.execute(
            update(Appointment).where(Appointment.id == appointment_id).values(id=Appointment.id)
        )
    else:
        session.execute(update(User).where(User.id.in_(people)).values(id=User.id))


def _lock_people(session: Session, user_ids: list[int]) -> None:
    """Serialise bookings per therapist and per patient for the rest of the transaction."""
    if _is_postgresql(session):
        ids = sorted(set(user_ids))  # one order everywhere, so two bookings cannot deadlock
        session.execute(select(User.id).where(User.id.in_(ids)).with_for_update())


def _start_fresh(session: Session) -> None:
    """End the request's read-only transaction (loading the signed-in user began one), so that
    the lock is the first statement of ours: SQLite refuses to upgrade a stale read snapshot."""
    if session.in_transaction():
        session.commit()


def _overlaps(
    session: Session, column: object, person_id: int, starts_at: datetime, ignore_id: int | None
) -> bool:
    query = select(Appointment.id).where(
        column == person_id,  # type: ignore[operator]
        Appointment.status == AppointmentStatus.BOOKED,
        Appointment.starts_at > starts_at - SLOT_LENGTH,
        Appointment.starts_at < starts_at + SLOT_LENGTH,
    )
    if ignore_id is not None:
        query = query.where(Appointment.id != ignore_id)
    return session.scalar(query.limit(1)) is not None


def _check_bookable(
    session: Session,
    *,
    patient_id: int,
    therapist_id: int,
    starts_at: datetime,
    now: datetime,
    replacing: Appointment | None,
) -> None:
    """Every rule a new booking must meet, checked inside the locked transaction."""
    profile = session.get(PatientProfile, patient_id)
    if profile is None or not profile.has_access(now) or starts_at >= profile.access_ends_at:
        raise BookingError(
            "You can only book sessions during your access period. Contact the service "
            f"{service_contact()} if you need more time."
        )
    if replacing is None:
        if pathway_queries.has_ended_care(patient_id):
            # A booking joins the open episode; after discharge there is none, and the way
            # back is a new referral, which opens a new episode (README, "The care pathway").
            raise BookingError(CARE_ENDED)
        if not allowance_allows_booking(patient_id):
            raise BookingError(charges.no_sessions_left())
        limit = int(current_app.config["MAX_FUTURE_BOOKINGS"])
        if queries.count_future_for_patient(patient_id, now=now) >= limit:
            raise BookingError(
                f"You can have up to {limit} sessions booked at a time. You can book another "
                "after your next session."
            )
    ignore_id = replacing.id if replacing is not None else None
    if replacing is not None and replacing.therapist_id != therapist_id:
        ignore_id = None  # a different therapist's diary does not hold the old booking
    _check_when(starts_at, now)
    if not queries.is_free_slot(therapist_id, starts_at, now=now, ignore_appointment_id=ignore_id):
        raise BookingError(SLOT_GONE)
    own = replacing.id if replacing is not None else None
    if _overlaps(session, Appointment.therapist_id, therapist_id, starts_at, ignore_id):
        raise BookingError(SLOT_GONE)
    if _overlaps(session, Appointment.patient_id, patient_id, starts_at, own):
        raise BookingError("You already have a session booked at that time.")


def _check_when(starts_at: datetime, now: datetime) -> None:
    """A time no list offered (a page left open, an edited address) says what is wrong with it,
    rather than that someone else took it."""
    notice: timedelta = current_app.config["BOOKING_MIN_NOTICE"]
    _start, end = queries.booking_window(now)
    if starts_at < now + notice:
        hours = int(notice.total_seconds() // 3600)
        raise BookingError(
            f"That time has passed, or is less than {hours} hours away. Choose a later time."
        )
    if starts_at >= end:
        days = int(current_app.config["BOOKING_WINDOW_DAYS"])
        raise BookingError(f"You can book up to {days} days ahead. Choose an earlier time.")


def _insert(session: Session, appointment: Appointment) -> None:
    """Insert now, so the unique indexes judge it inside this transaction."""
    try:
        with session.begin_nested():
            session.add(appointment)
            session.flush()
    except IntegrityError as error:
        raise BookingError(SLOT_GONE) from error


@dataclass
class _AfterCommit:
    """Jobs to enqueue and revoke once the transaction has committed (never before)."""

    schedule: list[int]
    revoke: list[str]
    now: datetime

    def run(self) -> None:
        from webapp.booking import jobs

        jobs.revoke(self.revoke)
        jobs.schedule_notifications(self.schedule, now=self.now)


def _plan(session: Session, appointment: Appointment, now: datetime) -> list[int]:
    attempts = plan_notifications(appointment, now=now)
    session.add_all(attempts)
    session.flush()
    return [attempt.id for attempt in attempts]


def _cancel_pending(session: Session, appointment_id: int) -> list[str]:
    """Cancel the appointment's scheduled messages; return their Huey task ids to revoke."""
    pending = queries.pending_notifications(appointment_id)
    for attempt in pending:
        attempt.status = NotificationStatus.CANCELLED
    return [a.task_id for a in pending if a.task_id]


def book_appointment(
    patient_id: int, therapist_id: int, starts_at: datetime, *, now: datetime
) -> Appointment:
    """Book a free slot for the patient. Raises BookingError with a message for the patient.
    Booking a slot the patient already holds with this therapist returns that booking."""
    session = db.session()
    _start_fresh(session)
    with db.transaction():
        _write_lock(session, people=[patient_id, therapist_id])
        _lock_people(session, [patient_id, therapist_id])
        own = queries.live_booking_of(patient_id, therapist_id, starts_at)
        if own is not None:
            # The same form sent twice (a double tap, a resent page): this patient's own booking
            # of this very slot, made by the first press. It is theirs, so it is no refusal
            # ("someone else has just booked it" would be untrue); nothing more is booked,
            # drawn or sent. Checked first, as the first press may have used the last session.
            return own
        _check_bookable(
            session,
            patient_id=patient_id,
            therapist_id=therapist_id,
            starts_at=starts_at,
            now=now,
            replacing=None,
        )
        appointment = Appointment(
            patient_id=patient_id,
            therapist_id=therapist_id,
            starts_at=starts_at,
            ends_at=starts_at + SESSION_LENGTH,
            status=AppointmentStatus.BOOKED,
            created_at=now,
        )
        pathway.apply_booking(appointment)
        _insert(session, appointment)
        charges.apply_draw(session, appointment, now=now)
        after = _AfterCommit(schedule=_plan(session, appointment, now), revoke=[], now=now)
        audit.record(
            "appointment.booked",
            actor=session.get(User, patient_id),
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=patient_id,
            detail={"therapist_id": therapist_id, "starts_at": starts_at.isoformat()},
        )
    after.run()
    return appointment


def replan_reminders(patient_id: int, *, now: datetime) -> int:
    """After the patient changed how or where they are reminded (texts or emails on or off,
    their mobile number, their time zone): the reminders of their sessions still to come follow
    the change. A scheduled reminder on a channel no longer chosen is cancelled; one on a
    channel chosen again, or newly, is planned if its time is still to come; one not yet due
    and never tried moves to the new clock (sent at once if its new time has passed). A
    reminder already due, being retried, or sent is left alone. Each (reminder, channel) has
    one row for good (it is what makes a reminder go once), so rows are changed, never added
    twice. Returns how many are scheduled."""
    session = db.session()
    _start_fresh(session)
    revoke: list[str] = []
    schedule: list[int] = []
    with db.transaction():
        _write_lock(session, people=[patient_id])
        _lock_people(session, [patient_id])  # a booking at the same moment plans its own
        profile = session.scalar(  # what is committed now, not this request's earlier copy
            select(PatientProfile)
            .where(PatientProfile.user_id == patient_id)
            .execution_options(populate_existing=True)
        )
        zone = patient_zone(profile)
        for appointment in queries.upcoming_for_patient(patient_id, now=now):
            if appointment.starts_at <= now:
                continue
            rows = {
                (row.kind, row.channel): row
                for row in queries.notifications_for(appointment.id, REMINDER_KINDS, lock=True)
            }
            for kind in REMINDER_KINDS:
                due = send_time(kind, appointment.starts_at, zone, now)
                chosen = channels(kind, profile)
                for channel in NotificationChannel:
                    row = rows.get((kind, channel))
                    if channel not in chosen:
                        if row is not None and row.status is NotificationStatus.SCHEDULED:
                            row.status = NotificationStatus.CANCELLED
                            revoke += [row.task_id] if row.task_id else []
                    elif row is None:
                        if due > now:
                            row = NotificationAttempt(
                                appointment_id=appointment.id,
                                kind=kind,
                                channel=channel,
                                send_at=due,
                            )
                            session.add(row)
                            session.flush()
                            schedule.append(row.id)
                    elif row.status is NotificationStatus.CANCELLED and due > now:
                        revoke += [row.task_id] if row.task_id else []
                        row.status, row.send_at = NotificationStatus.SCHEDULED, due
                        row.task_id, row.tries, row.error = None, 0, None
                        schedule.append(row.id)
                    elif (
                        row.status is NotificationStatus.SCHEDULED
                        and row.tries == 0
                        and row.send_at > now
                        and row.send_at != due
                    ):
                        revoke += [row.task_id] if row.task_id else []
                        row.send_at, row.task_id = max(due, now), None
                        schedule.append(row.id)
        after = _AfterCommit(schedule=schedule, revoke=revoke, now=now)
    after.run()
    return len(schedule)


def _who_cancels(actor: User) -> Outcome:
    return Outcome.PATIENT_CANCELLED if actor.role is Role.PATIENT else Outcome.PROVIDER_CANCELLED


def is_charged_if_cancelled_now(appointment: Appointment, *, actor: User, now: datetime) -> bool:
    """Whether cancelling (or moving) this booking now would use a funded session."""
    return decide_charge(
        _who_cancels(actor), booked_start=appointment.starts_at, cancelled_at=now
    ).charged


def _release(
    appointment: Appointment, *, actor: User, reason: str, now: datetime, status: AppointmentStatus
) -> Outcome:
    outcome = _who_cancels(actor)
    appointment.status = status
    appointment.outcome = outcome.value
    appointment.attendance_code = attendance_code(outcome)
    appointment.cancelled_at = now
    appointment.cancelled_by_id = actor.id
    appointment.cancelled_by_role = actor.role.value
    appointment.cancel_reason = reason
    return outcome


def _locked_live(session: Session, appointment_id: int) -> Appointment:
    _write_lock(session, people=[], appointment_id=appointment_id)
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise BookingError("That appointment does not exist.")
    _lock_people(session, [appointment.patient_id, appointment.therapist_id])
    session.refresh(appointment)
    if appointment.status is not AppointmentStatus.BOOKED:
        raise BookingError("This appointment has already been cancelled or moved.")
    return appointment


def cancel_appointment(
    appointment_id: int,
    *,
    actor: User,
    reason: str,
    now: datetime,
    expect_charged: bool | None = None,
) -> Appointment:
    """Cancel a live booking, recording who cancelled, when, why and the attendance code
    (2 by the patient, 4 by the provider); its pending reminders are cancelled. When the
    provider cancels, the patient is told by email and text. `expect_charged` is what the
    person was told (ChargeChanged if that is no longer true)."""
    session = db.session()
    _start_fresh(session)
    with db.transaction():
        appointment = _locked_live(session, appointment_id)
        if appointment.starts_at <= now:
            raise BookingError("This appointment has already started, so it cannot be cancelled.")
        _check_charge_as_shown(appointment, actor, now, expect_charged)
        outcome = _release(
            appointment, actor=actor, reason=reason, now=now, status=AppointmentStatus.CANCELLED
        )
        charges.apply_outcome(session, appointment, outcome, actor=actor, now=now, cancelled_at=now)
        revoke = _cancel_pending(session, appointment.id)
        schedule: list[int] = []
        if actor.role is not Role.PATIENT:
            schedule = _plan_cancellation(session, appointment, now)
        audit.record(
            "appointment.cancelled",
            actor=actor,
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=appointment.patient_id,
            detail={"code": appointment.attendance_code, "outcome": appointment.outcome},
        )
    _AfterCommit(schedule=schedule, revoke=revoke, now=now).run()
    return appointment


def _plan_cancellation(session: Session, appointment: Appointment, now: datetime) -> list[int]:
    attempts = plan_notifications(appointment, now=now, kinds=[NotificationKind.CANCELLATION])
    session.add_all(attempts)
    session.flush()
    return [a.id for a in attempts]


def reschedule_appointment(
    appointment_id: int,
    new_start: datetime,
    *,
    actor: User,
    reason: str,
    now: datetime,
    expect_charged: bool | None = None,
) -> Appointment:
    """Move a booking to another free slot with the same therapist: the new slot is booked
    first (so the patient never ends up with neither), then the old one is released with the
    attendance code of whoever moved it. A patient may move a booking MAX_RESCHEDULES times.
    `expect_charged` as for `cancel_appointment`."""
    session = db.session()
    _start_fresh(session)
    with db.transaction():
        old = _locked_live(session, appointment_id)
        if old.starts_at <= now:
            raise BookingError("This appointment has already started, so it cannot be moved.")
        _check_charge_as_shown(old, actor, now, expect_charged)
        if new_start == old.starts_at:
            raise BookingError("Choose a different time from your current appointment.")
        moves = old.reschedule_count + (1 if actor.role is Role.PATIENT else 0)
        if actor.role is Role.PATIENT and moves > int(current_app.config["MAX_RESCHEDULES"]):
            raise BookingError(
                "You have already moved this appointment as many times as you can. You can "
                "cancel it and book a new one."
            )
        _check_bookable(
            session,
            patient_id=old.patient_id,
            therapist_id=old.therapist_id,
            starts_at=new_start,
            now=now,
            replacing=old,
        )
        new = Appointment(
            patient_id=old.patient_id,
            therapist_id=old.therapist_id,
            starts_at=new_start,
            ends_at=new_start + SESSION_LENGTH,
            status=AppointmentStatus.BOOKED,
            reschedule_count=moves,
            created_at=now,
            episode_id=old.episode_id,  # a moved booking stays in its care episode
        )
        _insert(session, new)  # book the new slot first...
        outcome = _release(
            old, actor=actor, reason=reason, now=now, status=AppointmentStatus.RESCHEDULED
        )
        old.rescheduled_to_id = new.id  # ...then release the old one
        _move_funding(session, old, new, outcome, actor=actor, now=now)
        measures.move_open_risk_flags(old, new)
        session.flush()
        revoke = _cancel_pending(session, old.id)
        schedule = _plan(session, new, now)
        audit.record(
            "appointment.rescheduled",
            actor=actor,
            subject_type="appointment",
            subject_id=old.id,
            patient_id=old.patient_id,
            detail={"to": new.id, "code": old.attendance_code, "starts_at": new_start.isoformat()},
        )
    _AfterCommit(schedule=schedule, revoke=revoke, now=now).run()
    return new


def _move_funding(
    session: Session,
    old: Appointment,
    new: Appointment,
    outcome: Outcome,
    *,
    actor: User,
    now: datetime,
) -> None:
    """A move the charging rules do not charge keeps the funding the booking drew (no second
    draw). A patient's move with 24 hours' notice or less is charged like a late cancellation,
    as the confirm page warns: the old booking's session is used and the new one draws its own."""
    if not is_charged_if_cancelled_now(old, actor=actor, now=now):
        charges.apply_move(session, old, new, now=now)
        return
    charges.apply_outcome(session, old, outcome, actor=actor, now=now, cancelled_at=now)
    if not allowance_allows_booking(old.patient_id):
        raise BookingError(charges.no_sessions_left())
    charges.apply_draw(session, new, now=now)


EARLY_TASK_GRACE = timedelta(minutes=1)
"""A job may run this much before its message's time (clocks differ); one earlier (a task
left from before the message was moved later, whose revoke did not reach the queue) sends
nothing and enqueues it again for its time (`_schedule_again_if_early`)."""


def _claim(attempt_id: int, now: datetime, *, not_before_due: bool) -> bool:
    """Move one scheduled message to sending; only one caller can ever win. With
    `not_before_due` (the job), only once its time has come."""
    due = [NotificationAttempt.send_at <= now + EARLY_TASK_GRACE] if not_before_due else []
    with db.transaction() as session:
        claimed = session.execute(
            update(NotificationAttempt)
            .where(
                NotificationAttempt.id == attempt_id,
                NotificationAttempt.status == NotificationStatus.SCHEDULED,
                *due,
            )
            .values(
                status=NotificationStatus.SENDING,
                attempted_at=now,
                tries=NotificationAttempt.tries + 1,
            )
        )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _schedule_again_if_early(attempt_id: int, now: datetime) -> None:
    """A job that ran before its message's time (a task left from before the message moved
    later, or a worker whose clock is behind the web server's) enqueues it again for its time,
    rather than leaving it with a task that will never run again."""
    from webapp.booking import jobs

    send_at = db.session.scalar(
        select(NotificationAttempt.send_at).where(
            NotificationAttempt.id == attempt_id,
            NotificationAttempt.status == NotificationStatus.SCHEDULED,
        )
    )
    if send_at is not None and send_at > now + EARLY_TASK_GRACE:
        jobs.schedule_notifications([attempt_id], now=now)


def _retry_at(attempt: NotificationAttempt, now: datetime) -> datetime | None:
    """When to try a refused message again, or None when it has had its tries or would arrive
    too late to be of use (a reminder after the session has started)."""
    delays = current_app.config["NOTIFICATION_RETRY_MINUTES"]
    if attempt.tries > len(delays):
        return None
    retry_at = now + timedelta(minutes=delays[attempt.tries - 1])
    if attempt.kind in REMINDER_KINDS and retry_at >= attempt.appointment.starts_at:
        return None
    return retry_at


def deliver_notification(
    attempt_id: int, *, now: datetime, not_before_due: bool = False
) -> NotificationStatus | None:
    """Send one planned message, at most once: the job claims the row first, so a retried or
    duplicated job finds it already claimed and sends nothing. A refused message goes back to
    scheduled for a later try (with the refusal kept for staff) until its tries are used up. A
    message about a booking that is no longer live (and is not the cancellation notice), or a
    reminder on a channel the patient has switched off since, is cancelled instead. The job
    passes `not_before_due` (see EARLY_TASK_GRACE). Returns the resulting status, or None when
    another job had it (or, for the job, its time has not come)."""
    from webapp.booking import jobs
    from webapp.booking.reminders import Sent, send

    session = db.session()
    _start_fresh(session)
    if not _claim(attempt_id, now, not_before_due=not_before_due):
        if not_before_due:
            _schedule_again_if_early(attempt_id, now)
        return None
    attempt = session.get(NotificationAttempt, attempt_id)
    assert attempt is not None  # we have just claimed it
    session.refresh(attempt)
    appointment = attempt.appointment
    retry_at = None
    wanted = attempt.kind not in REMINDER_KINDS or attempt.channel in channels(
        attempt.kind, appointment.patient.patient_profile
    )  # a reminder on a channel switched off since it was planned is not sent
    if (appointment.is_live or attempt.kind is NotificationKind.CANCELLATION) and wanted:
        result = send(attempt, now=now)
        status = NotificationStatus.SENT
        if result.error and not result.is_permanent:
            retry_at = _retry_at(attempt, now)
        if result.error:
            status = NotificationStatus.FAILED if retry_at is None else NotificationStatus.SCHEDULED
    else:
        result, status = Sent(), NotificationStatus.CANCELLED
    _start_fresh(session)  # end the read, so the write below is the transaction's first statement
    with db.transaction():
        session.execute(
            update(NotificationAttempt)
            .where(NotificationAttempt.id == attempt_id)
            .values(
                status=status,
                error=result.error,
                provider_id=result.provider_id,
                send_at=retry_at or attempt.send_at,
            )
        )
    session.expire(attempt)
    if retry_at is not None:
        jobs.schedule_notifications([attempt_id], now=now)
    return status


def fail_interrupted_notifications(*, now: datetime) -> int:
    """Mark messages left "sending" by a job that died as failed, so staff see them. They are
    not resent: the provider may have accepted one before the job died."""
    cutoff = now - timedelta(minutes=current_app.config["NOTIFICATION_STUCK_MINUTES"])
    session = db.session()
    _start_fresh(session)
    with db.transaction():
        result = session.execute(
            update(NotificationAttempt)
            .where(
                NotificationAttempt.status == NotificationStatus.SENDING,
                NotificationAttempt.attempted_at < cutoff,
            )
            .values(
                status=NotificationStatus.FAILED,
                error="Interrupted while sending; not resent in case it was delivered",
            )
        )
    return int(result.rowcount)  # type: ignore[attr-defined]
