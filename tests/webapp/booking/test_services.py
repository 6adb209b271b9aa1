"""Booking rules through the services: who may book what, cancellation codes, reschedule order,
and the reminders each change plans, cancels and sends once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.factories import make_bookable_therapist, make_patient, make_user
from tests.webapp.booking.conftest import NOW
from webapp.booking import jobs, services
from webapp.booking.services import BookingError
from webapp.extensions import db
from webapp.jobs import huey
from webapp.measures import queries as measures_queries
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    AvailabilityException,
    ExceptionKind,
    NotificationAttempt,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    QuestionnaireResponse,
    RiskFlag,
    Role,
)

pytestmark = pytest.mark.usefixtures("clock", "app_context")

TOMORROW_9 = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # 09:00 GMT
NEXT_WEEK_9 = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 09:00 BST, after the clocks go forward


def attempts(appointment: Appointment) -> dict[tuple[str, str], NotificationStatus]:
    rows = db.session.query(NotificationAttempt).filter_by(appointment_id=appointment.id)
    return {(r.kind.value, r.channel.value): r.status for r in rows}


def test_booking_a_free_slot_holds_it_and_sends_the_confirmation(app, outbox, sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert appointment.status is AppointmentStatus.BOOKED
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=50)
    assert appointment.attendance_code == "0"
    assert [m.subject for m in outbox] == ["Your appointment is booked"]
    assert outbox[0].attachments[0][:2] == ("appointment.ics", "text/calendar")
    assert len(sms_outbox) == 1 and sms_outbox[0].to == "+447700900123"
    assert "9:00am" in sms_outbox[0].body
    statuses = attempts(appointment)
    assert statuses[("confirmation", "email")] is NotificationStatus.SENT
    assert statuses[("reminder_24h", "sms")] is NotificationStatus.SCHEDULED
    assert statuses[("reminder_1h", "email")] is NotificationStatus.SCHEDULED
    assert len(huey.scheduled()) == 4  # two reminders on two channels


def test_a_slot_outside_the_therapists_hours_is_refused():
    therapist, patient = make_bookable_therapist(), make_patient()
    with pytest.raises(BookingError, match="just been booked"):
        services.book_appointment(
            patient.id, therapist.id, datetime(2026, 3, 24, 20, tzinfo=UTC), now=NOW
        )
    assert db.session.query(Appointment).count() == 0


def test_a_booked_slot_cannot_be_booked_by_another_patient():
    therapist = make_bookable_therapist()
    first, second = make_patient(), make_patient()
    services.book_appointment(first.id, therapist.id, TOMORROW_9, now=NOW)
    with pytest.raises(BookingError, match="just been booked"):
        services.book_appointment(second.id, therapist.id, TOMORROW_9, now=NOW)


def test_an_overlapping_start_is_refused_not_only_an_identical_one():
    therapist = make_bookable_therapist()
    first, second = make_patient(), make_patient()
    db.session.add(
        AvailabilityException(
            therapist_id=therapist.id,
            kind=ExceptionKind.EXTRA,
            starts_at=datetime(2026, 3, 24, 17, 30, tzinfo=UTC),
            ends_at=datetime(2026, 3, 24, 19, 30, tzinfo=UTC),
        )
    )
    db.session.commit()
    services.book_appointment(
        first.id, therapist.id, datetime(2026, 3, 24, 16, tzinfo=UTC), now=NOW
    )
    # 17:30 is free (16:00 ends at 17:00) but the patient also cannot hold two at once:
    services.book_appointment(
        first.id, therapist.id, datetime(2026, 3, 24, 17, 30, tzinfo=UTC), now=NOW
    )
    with pytest.raises(BookingError):
        services.book_appointment(
            second.id, therapist.id, datetime(2026, 3, 24, 18, 0, tzinfo=UTC), now=NOW
        )


def test_a_patient_cannot_hold_two_sessions_at_the_same_time_with_different_therapists():
    patient = make_patient()
    one, two = make_bookable_therapist(), make_bookable_therapist()
    services.book_appointment(patient.id, one.id, TOMORROW_9, now=NOW)
    with pytest.raises(BookingError, match="already have a session"):
        services.book_appointment(patient.id, two.id, TOMORROW_9, now=NOW)


def test_a_patient_may_hold_at_most_max_future_bookings(app):
    therapist, patient = make_bookable_therapist(), make_patient()
    limit = app.config["MAX_FUTURE_BOOKINGS"]
    for day in range(limit):
        services.book_appointment(
            patient.id, therapist.id, TOMORROW_9 + timedelta(days=day), now=NOW
        )
    with pytest.raises(BookingError, match=f"up to {limit} sessions"):
        services.book_appointment(
            patient.id, therapist.id, TOMORROW_9 + timedelta(days=limit), now=NOW
        )


def test_booking_after_the_access_period_ends_is_refused():
    therapist = make_bookable_therapist()
    patient = make_patient(access_ends_at=datetime(2026, 3, 24, 12, tzinfo=UTC))
    services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    with pytest.raises(BookingError, match="access period"):
        services.book_appointment(patient.id, therapist.id, TOMORROW_9 + timedelta(days=1), now=NOW)


def test_a_patient_without_a_profile_cannot_book():
    therapist, patient = make_bookable_therapist(), make_user(Role.PATIENT)
    with pytest.raises(BookingError, match="access period"):
        services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)


def test_the_allowance_hook_can_refuse_a_booking(monkeypatch):
    therapist, patient = make_bookable_therapist(), make_patient()
    monkeypatch.setattr(services, "allowance_allows_booking", lambda patient_id: False)
    with pytest.raises(BookingError, match="all the sessions"):
        services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)


def test_a_patient_with_no_funded_sessions_left_cannot_book():
    therapist, patient = make_bookable_therapist(), make_patient(sessions=1)
    services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert services.allowance_allows_booking(patient.id) is False
    with pytest.raises(BookingError, match="used all the sessions funded"):
        services.book_appointment(patient.id, therapist.id, TOMORROW_9 + timedelta(days=1), now=NOW)


def test_a_patient_never_funded_cannot_book():
    therapist, patient = make_bookable_therapist(), make_patient(sessions=0)
    with pytest.raises(BookingError, match="used all the sessions funded"):
        services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)


def test_a_therapist_whose_credential_expires_before_the_slot_cannot_be_booked_for_it():
    therapist = make_bookable_therapist(expires_on=NOW.date() + timedelta(days=1))
    patient = make_patient()
    services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    with pytest.raises(BookingError):
        services.book_appointment(patient.id, therapist.id, TOMORROW_9 + timedelta(days=1), now=NOW)


def test_a_patient_cancelling_early_records_code_2_and_cancels_reminders(app):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(
        patient.id, therapist.id, TOMORROW_9 + timedelta(days=2), now=NOW
    )
    services.cancel_appointment(appointment.id, actor=patient, reason="Work", now=NOW)
    db.session.refresh(appointment)
    assert appointment.status is AppointmentStatus.CANCELLED
    assert appointment.attendance_code == "2"
    assert appointment.outcome == "patient_cancelled"
    assert (appointment.cancelled_by_id, appointment.cancelled_by_role) == (patient.id, "patient")
    assert appointment.cancelled_at == NOW and appointment.cancel_reason == "Work"
    statuses = attempts(appointment)
    assert statuses[("reminder_24h", "email")] is NotificationStatus.CANCELLED
    assert statuses[("reminder_1h", "sms")] is NotificationStatus.CANCELLED


def test_a_therapist_cancelling_records_code_4_and_tells_the_patient(outbox, sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    outbox.clear()
    sms_outbox.clear()
    services.cancel_appointment(appointment.id, actor=therapist, reason="Unwell", now=NOW)
    db.session.refresh(appointment)
    assert appointment.attendance_code == "4"
    assert appointment.outcome == "provider_cancelled"
    assert appointment.cancelled_by_role == "therapist"
    assert [m.subject for m in outbox] == ["Your appointment has been cancelled"]
    assert b"METHOD:CANCEL" in outbox[0].attachments[0][2]
    assert "Unwell" not in outbox[0].body and "cancelled" in sms_outbox[0].body


def test_the_cancel_warning_follows_the_24_hour_notice_rule():
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    exactly_24h = appointment.starts_at - timedelta(hours=24)
    assert services.is_charged_if_cancelled_now(appointment, actor=patient, now=exactly_24h)
    assert not services.is_charged_if_cancelled_now(
        appointment, actor=patient, now=exactly_24h - timedelta(seconds=1)
    )
    assert not services.is_charged_if_cancelled_now(appointment, actor=therapist, now=exactly_24h)


def test_a_cancelled_appointment_cannot_be_cancelled_again():
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    services.cancel_appointment(appointment.id, actor=patient, reason="", now=NOW)
    with pytest.raises(BookingError, match="already been cancelled"):
        services.cancel_appointment(appointment.id, actor=patient, reason="", now=NOW)


def test_rescheduling_books_the_new_slot_before_releasing_the_old(monkeypatch):
    therapist, patient = make_bookable_therapist(), make_patient()
    old = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    order: list[str] = []
    real_insert, real_release = services._insert, services._release

    def insert(session, appointment):
        order.append(f"book {appointment.starts_at:%H:%M}")
        real_insert(session, appointment)

    def release(appointment, **kwargs):
        order.append(f"release {appointment.starts_at:%H:%M}")
        real_release(appointment, **kwargs)

    monkeypatch.setattr(services, "_insert", insert)
    monkeypatch.setattr(services, "_release", release)
    new_start = TOMORROW_9 + timedelta(hours=2)
    new = services.reschedule_appointment(old.id, new_start, actor=patient, reason="", now=NOW)
    assert order == ["book 11:00", "release 09:00"]
    db.session.refresh(old)
    assert old.status is AppointmentStatus.RESCHEDULED and old.rescheduled_to_id == new.id
    assert old.attendance_code == "2" and new.reschedule_count == 1
    assert attempts(old)[("reminder_1h", "email")] is NotificationStatus.CANCELLED
    assert attempts(new)[("confirmation", "email")] is NotificationStatus.SENT


def test_a_failed_reschedule_keeps_the_old_booking():
    therapist, patient, other = make_bookable_therapist(), make_patient(), make_patient()
    old = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    taken = TOMORROW_9 + timedelta(hours=1)
    services.book_appointment(other.id, therapist.id, taken, now=NOW)
    with pytest.raises(BookingError):
        services.reschedule_appointment(old.id, taken, actor=patient, reason="", now=NOW)
    db.session.refresh(old)
    assert old.status is AppointmentStatus.BOOKED


def test_a_patient_may_reschedule_only_max_reschedules_times(app):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    for move in range(app.config["MAX_RESCHEDULES"]):
        appointment = services.reschedule_appointment(
            appointment.id,
            TOMORROW_9 + timedelta(hours=move + 1),
            actor=patient,
            reason="",
            now=NOW,
        )
    with pytest.raises(BookingError, match="as many times"):
        services.reschedule_appointment(
            appointment.id, TOMORROW_9 + timedelta(hours=6), actor=patient, reason="", now=NOW
        )
    # The provider may still move it, and that does not count against the patient.
    moved = services.reschedule_appointment(
        appointment.id, TOMORROW_9 + timedelta(hours=6), actor=therapist, reason="", now=NOW
    )
    assert moved.reschedule_count == app.config["MAX_RESCHEDULES"]


def test_a_patient_can_move_to_a_one_off_extra_hours_slot():
    therapist, patient = make_bookable_therapist(), make_patient()
    db.session.add(
        AvailabilityException(
            therapist_id=therapist.id,
            kind=ExceptionKind.EXTRA,
            starts_at=datetime(2026, 3, 24, 17, 30, tzinfo=UTC),
            ends_at=datetime(2026, 3, 24, 18, 30, tzinfo=UTC),
        )
    )
    db.session.commit()
    old = services.book_appointment(
        patient.id,
        therapist.id,
        datetime(2026, 3, 24, 17, 0, tzinfo=UTC) - timedelta(hours=1),
        now=NOW,
    )
    new = services.reschedule_appointment(
        old.id, datetime(2026, 3, 24, 17, 30, tzinfo=UTC), actor=patient, reason="", now=NOW
    )
    assert new.starts_at == datetime(2026, 3, 24, 17, 30, tzinfo=UTC)


def test_a_reminder_is_sent_once_even_when_its_job_runs_twice(sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    sms_outbox.clear()
    reminder = (
        db.session.query(NotificationAttempt)
        .filter_by(
            appointment_id=appointment.id,
            kind=NotificationKind.REMINDER_1H,
            channel=NotificationChannel.SMS,
        )
        .one()
    )
    assert services.deliver_notification(reminder.id, now=NOW) is NotificationStatus.SENT
    assert services.deliver_notification(reminder.id, now=NOW) is None
    jobs.send_notification.call_local(reminder.id)
    assert len(sms_outbox) == 1
    assert "starts at 9:00am" in sms_outbox[0].body


def test_the_database_refuses_a_second_row_for_the_same_reminder():
    from sqlalchemy.exc import IntegrityError

    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    db.session.add(
        NotificationAttempt(
            appointment_id=appointment.id,
            kind=NotificationKind.REMINDER_1H,
            channel=NotificationChannel.SMS,
            send_at=NOW,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_reminder_for_a_cancelled_booking_is_not_sent(sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    reminder_ids = [t.args[0] for t in huey.scheduled()]
    services.cancel_appointment(appointment.id, actor=patient, reason="", now=NOW)
    sms_outbox.clear()
    for attempt_id in reminder_ids:
        jobs.send_notification.call_local(attempt_id)
    assert sms_outbox == []


def test_cancelling_revokes_the_scheduled_reminder_tasks():
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    task_ids = [
        r.task_id
        for r in db.session.query(NotificationAttempt).filter_by(
            appointment_id=appointment.id, status=NotificationStatus.SCHEDULED
        )
    ]
    assert len(task_ids) == 4 and all(task_ids)
    services.cancel_appointment(appointment.id, actor=patient, reason="", now=NOW)
    assert all(huey.is_revoked(task_id) for task_id in task_ids)


def _sms_confirmation(appointment):
    return (
        db.session.query(NotificationAttempt)
        .filter_by(
            appointment_id=appointment.id,
            channel=NotificationChannel.SMS,
            kind=NotificationKind.CONFIRMATION,
        )
        .one()
    )


def test_a_refused_text_is_kept_for_staff_and_tried_again_later(app, sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    app.extensions["sms_backend"].fail_next = True
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    refused = _sms_confirmation(appointment)
    assert refused.status is NotificationStatus.SCHEDULED
    assert refused.error == "recording backend told to fail"
    assert refused.tries == 1
    assert refused.send_at == NOW + timedelta(minutes=5)
    assert refused.id in [task.args[0] for task in huey.scheduled()]

    later = NOW + timedelta(minutes=5)
    assert services.deliver_notification(refused.id, now=later) is NotificationStatus.SENT
    db.session.refresh(refused)
    assert (refused.tries, refused.error) == (2, None)
    assert [message.to for message in sms_outbox] == [patient.patient_profile.mobile_e164]


def test_a_text_refused_on_every_try_is_left_failed_for_staff(app, sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    backend = app.extensions["sms_backend"]
    backend.fail_next = True
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    attempt = _sms_confirmation(appointment)
    for minutes in (5, 35):
        backend.fail_next = True
        services.deliver_notification(attempt.id, now=NOW + timedelta(minutes=minutes))
    db.session.refresh(attempt)
    assert (attempt.status, attempt.tries) == (NotificationStatus.FAILED, 3)
    assert attempt.error == "recording backend told to fail"
    assert sms_outbox == []


def test_a_reminder_is_not_retried_into_the_session(app, sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    reminder = (
        db.session.query(NotificationAttempt)
        .filter_by(
            appointment_id=appointment.id,
            kind=NotificationKind.REMINDER_1H,
            channel=NotificationChannel.SMS,
        )
        .one()
    )
    app.extensions["sms_backend"].fail_next = True
    at = TOMORROW_9 - timedelta(minutes=3)  # a retry in 5 minutes would land after the start
    assert services.deliver_notification(reminder.id, now=at) is NotificationStatus.FAILED


def test_a_message_left_sending_by_a_dead_job_is_failed_not_resent(app, sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    reminder = (
        db.session.query(NotificationAttempt)
        .filter_by(appointment_id=appointment.id, kind=NotificationKind.REMINDER_24H)
        .first()
    )
    reminder.status, reminder.attempted_at = NotificationStatus.SENDING, NOW
    db.session.commit()
    assert services.fail_interrupted_notifications(now=NOW + timedelta(minutes=14)) == 0
    assert services.fail_interrupted_notifications(now=NOW + timedelta(minutes=16)) == 1
    db.session.refresh(reminder)
    assert reminder.status is NotificationStatus.FAILED
    assert "Interrupted" in reminder.error
    sms_outbox.clear()
    assert services.deliver_notification(reminder.id, now=NOW + timedelta(minutes=20)) is None
    assert sms_outbox == []


def test_reminders_follow_the_patients_choices_and_skip_times_already_past():
    therapist = make_bookable_therapist()
    patient = make_patient(sms=False, email=False)
    soon = datetime(2026, 3, 23, 11, tzinfo=UTC)  # in 3 hours: no "tomorrow" reminder
    appointment = services.book_appointment(patient.id, therapist.id, soon, now=NOW)
    assert set(attempts(appointment)) == {("confirmation", "email")}


def test_the_day_before_reminder_is_at_the_same_time_on_the_patients_clock():
    therapist, patient = make_bookable_therapist(), make_patient()
    # Monday 30 March 09:00 BST; the day before is Sunday 29 March, the day the clocks change.
    appointment = services.book_appointment(patient.id, therapist.id, NEXT_WEEK_9, now=NOW)
    reminder = (
        db.session.query(NotificationAttempt)
        .filter_by(
            appointment_id=appointment.id,
            kind=NotificationKind.REMINDER_24H,
            channel=NotificationChannel.EMAIL,
        )
        .one()
    )
    assert reminder.send_at == datetime(2026, 3, 29, 8, tzinfo=UTC)  # 09:00 BST on Sunday
    one_hour = (
        db.session.query(NotificationAttempt)
        .filter_by(
            appointment_id=appointment.id,
            kind=NotificationKind.REMINDER_1H,
            channel=NotificationChannel.EMAIL,
        )
        .one()
    )
    assert one_hour.send_at == NEXT_WEEK_9 - timedelta(hours=1)


def test_messages_show_the_time_in_the_patients_own_zone(sms_outbox):
    therapist = make_bookable_therapist()
    patient = make_patient(timezone="America/New_York")
    services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert "5:00am (America/New York time)" in sms_outbox[0].body


def test_the_database_itself_refuses_two_live_bookings_of_one_therapist_slot():
    from sqlalchemy.exc import IntegrityError

    therapist, first, second = make_bookable_therapist(), make_patient(), make_patient()
    for patient in (first, second):
        db.session.add(
            Appointment(
                patient_id=patient.id,
                therapist_id=therapist.id,
                starts_at=TOMORROW_9,
                ends_at=TOMORROW_9 + timedelta(minutes=50),
            )
        )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- reminders follow the patient's later choices ---------------------------------------------

SUNDAY_9 = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST, the day the clocks go forward


def reminder_rows(appointment):
    rows = db.session.query(NotificationAttempt).filter(
        NotificationAttempt.appointment_id == appointment.id,
        NotificationAttempt.kind != NotificationKind.CONFIRMATION,
    )
    return {(r.kind.value, r.channel.value): r for r in rows}


def test_texts_switched_off_after_booking_are_not_sent_and_switched_on_again_are(sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    before = {key: (row.status, row.task_id) for key, row in reminder_rows(appointment).items()}
    patient.patient_profile.sms_reminders = False
    db.session.commit()
    assert services.replan_reminders(patient.id, now=NOW) == 0
    rows = reminder_rows(appointment)
    assert rows[("reminder_1h", "sms")].status is NotificationStatus.CANCELLED
    assert rows[("reminder_24h", "sms")].status is NotificationStatus.CANCELLED
    assert huey.is_revoked(before[("reminder_1h", "sms")][1])
    # the emails are untouched: same row, same task
    assert (rows[("reminder_1h", "email")].status, rows[("reminder_1h", "email")].task_id) == (
        before[("reminder_1h", "email")]
    )
    patient.patient_profile.sms_reminders = True
    db.session.commit()
    assert services.replan_reminders(patient.id, now=NOW) == 2
    rows = reminder_rows(appointment)
    texts = [rows[("reminder_24h", "sms")], rows[("reminder_1h", "sms")]]
    assert all(r.status is NotificationStatus.SCHEDULED and r.task_id for r in texts)
    sms_outbox.clear()
    at = TOMORROW_9 - timedelta(hours=1)
    assert services.deliver_notification(texts[1].id, now=at) is NotificationStatus.SENT
    assert services.deliver_notification(texts[1].id, now=at) is None
    assert len(sms_outbox) == 1


def test_a_text_planned_before_texts_were_switched_off_is_not_sent_at_its_time(sms_outbox):
    """Should the re-planning not have run (or raced the job), the job itself checks."""
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    patient.patient_profile.sms_reminders = False
    db.session.commit()
    sms_outbox.clear()
    text = reminder_rows(appointment)[("reminder_1h", "sms")]
    at = TOMORROW_9 - timedelta(hours=1)
    assert services.deliver_notification(text.id, now=at) is NotificationStatus.CANCELLED
    assert sms_outbox == []


def test_a_new_time_zone_moves_the_day_before_reminder_to_the_new_clock():
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, SUNDAY_9, now=NOW)
    day_before = reminder_rows(appointment)[("reminder_24h", "email")]
    old_task = day_before.task_id
    # 09:00 on Saturday on the UK clock (GMT): 25 hours before, across the clock change
    assert day_before.send_at == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    patient.patient_profile.timezone = "America/New_York"
    db.session.commit()
    assert services.replan_reminders(patient.id, now=NOW) == 2  # the 24-hour email and text
    rows = reminder_rows(appointment)
    assert rows[("reminder_24h", "email")].send_at == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert rows[("reminder_24h", "email")].task_id != old_task and huey.is_revoked(old_task)
    assert rows[("reminder_1h", "email")].send_at == SUNDAY_9 - timedelta(hours=1)  # unmoved


def test_a_task_left_from_before_a_reminder_moved_later_sends_nothing(sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient(timezone="America/New_York")
    appointment = services.book_appointment(patient.id, therapist.id, SUNDAY_9, now=NOW)
    text = reminder_rows(appointment)[("reminder_24h", "sms")]
    old_due = text.send_at
    patient.patient_profile.timezone = "Europe/London"
    db.session.commit()
    services.replan_reminders(patient.id, now=NOW)
    sms_outbox.clear()
    with time_machine.travel(old_due, tick=False):
        jobs.send_notification.call_local(text.id)  # its revoke never reached the queue
    assert sms_outbox == []
    db.session.refresh(text)
    assert text.status is NotificationStatus.SCHEDULED
    with time_machine.travel(text.send_at, tick=False):
        jobs.send_notification.call_local(text.id)
    assert len(sms_outbox) == 1


def test_a_reminder_already_sent_is_not_sent_again_after_a_change(sms_outbox):
    """Sent at 08:00 UTC on New York's clock; on London's its time would be 09:00, still to
    come: it stays sent."""
    therapist, patient = make_bookable_therapist(), make_patient(timezone="America/New_York")
    appointment = services.book_appointment(patient.id, therapist.id, SUNDAY_9, now=NOW)
    day_before = reminder_rows(appointment)[("reminder_24h", "sms")]
    sent_at = day_before.send_at
    assert sent_at == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert services.deliver_notification(day_before.id, now=sent_at) is NotificationStatus.SENT
    patient.patient_profile.timezone = "Europe/London"
    db.session.commit()
    services.replan_reminders(patient.id, now=sent_at + timedelta(minutes=5))
    row = reminder_rows(appointment)[("reminder_24h", "sms")]
    assert (row.status, row.send_at) == (NotificationStatus.SENT, sent_at)


def test_a_change_leaves_a_reminder_being_retried_or_already_due_alone(app, sms_outbox):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    rows = reminder_rows(appointment)
    text, email = rows[("reminder_24h", "sms")], rows[("reminder_1h", "email")]
    app.extensions["sms_backend"].fail_next = True
    assert services.deliver_notification(text.id, now=text.send_at) is (
        NotificationStatus.SCHEDULED  # refused for now: to be tried again
    )
    retry = (text.send_at, text.tries, text.task_id)
    patient.patient_profile.mobile_e164 = "+447700900982"  # the patient mends their number
    db.session.commit()
    due_email = email.send_at + timedelta(seconds=30)  # due, its job not yet run
    services.replan_reminders(patient.id, now=due_email)
    db.session.expire_all()
    rows = reminder_rows(appointment)
    again = rows[("reminder_24h", "sms")]
    assert again.status is NotificationStatus.SCHEDULED
    assert (again.send_at, again.tries, again.task_id) == retry
    assert rows[("reminder_1h", "email")].status is NotificationStatus.SCHEDULED


def test_a_day_before_reminder_whose_new_time_has_passed_goes_at_once(sms_outbox, outbox):
    """Sunday 12:00 BST on London's clock is reminded at Saturday 12:00 UTC; on Tokyo's the
    time would be 11:00 UTC. Switching zone at 11:30 sends it then rather than never."""
    therapist, patient = make_bookable_therapist(), make_patient()
    noon = datetime(2026, 3, 29, 11, 0, tzinfo=UTC)
    appointment = services.book_appointment(patient.id, therapist.id, noon, now=NOW)
    assert reminder_rows(appointment)[("reminder_24h", "sms")].send_at == datetime(
        2026, 3, 28, 12, 0, tzinfo=UTC
    )
    patient.patient_profile.timezone = "Asia/Tokyo"
    db.session.commit()
    sms_outbox.clear()
    at = datetime(2026, 3, 28, 11, 30, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        services.replan_reminders(patient.id, now=at)
    db.session.expire_all()
    assert reminder_rows(appointment)[("reminder_24h", "sms")].status is NotificationStatus.SENT
    assert len(sms_outbox) == 1


def test_the_re_plan_reads_the_choices_committed_not_the_callers_copy():
    therapist, patient = make_bookable_therapist(), make_patient(sms=False)
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert ("reminder_1h", "sms") not in reminder_rows(appointment)
    assert patient.patient_profile.sms_reminders is False  # this caller's copy
    from sqlalchemy import update

    from webapp.models import PatientProfile

    db.session.execute(  # another request turned texts on and committed
        update(PatientProfile)
        .where(PatientProfile.user_id == patient.id)
        .values(sms_reminders=True)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert services.replan_reminders(patient.id, now=NOW) == 2


def test_a_job_run_before_its_time_enqueues_its_message_again_for_then(sms_outbox):
    """A worker whose clock is behind, or a task left from before a move later: the message
    is not lost with a task that will never run again."""
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    text = reminder_rows(appointment)[("reminder_1h", "sms")]
    old_task = text.task_id
    before = len(huey.scheduled())
    jobs.send_notification.call_local(text.id)  # at NOW, a day early
    db.session.refresh(text)
    assert text.status is NotificationStatus.SCHEDULED and text.task_id != old_task
    assert len(huey.scheduled()) == before + 1


def _risk_flag(appointment: Appointment, *, acknowledged: bool = False) -> RiskFlag:
    response = QuestionnaireResponse(
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        instrument="phq9",
        instrument_version="1",
        answers={"q9": 2},
        completed_at=NOW,
    )
    db.session.add(response)
    db.session.flush()
    flag = RiskFlag(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        response_id=response.id,
        code="phq9_item9",
        description="Answered above 0 to PHQ-9 question 9",
        raised_at=NOW,
        acknowledged_at=NOW if acknowledged else None,
    )
    db.session.add(flag)
    db.session.commit()
    return flag


def test_a_moved_session_takes_the_risk_flags_nobody_has_acknowledged():
    """The therapist must still read them before the new session starts; the answers that
    raised them stay with the first booking."""
    therapist, patient = make_bookable_therapist(), make_patient()
    old = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    flag = _risk_flag(old)
    new = services.reschedule_appointment(
        old.id, TOMORROW_9 + timedelta(hours=2), actor=therapist, reason="Clash", now=NOW
    )
    db.session.expire_all()
    assert measures_queries.unacknowledged_risk_flags(old.id) == []
    assert [f.id for f in measures_queries.unacknowledged_risk_flags(new.id)] == [flag.id]
    assert db.session.get(RiskFlag, flag.id).response.appointment_id == old.id
    moved = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "risk_flag.moved"))
    assert moved.detail == {"code": "phq9_item9", "from": old.id, "to": new.id}


def test_an_acknowledged_risk_flag_stays_with_the_session_where_it_was_read():
    therapist, patient = make_bookable_therapist(), make_patient()
    old = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    flag = _risk_flag(old, acknowledged=True)
    new = services.reschedule_appointment(
        old.id, TOMORROW_9 + timedelta(hours=2), actor=patient, reason="", now=NOW
    )
    db.session.expire_all()
    assert db.session.get(RiskFlag, flag.id).appointment_id == old.id
    assert measures_queries.risk_flags_for_appointment(new.id) == []


def test_booking_the_same_slot_again_returns_the_patients_own_booking(app, outbox, sms_outbox):
    """A double tap sends the form twice: the second press finds the first booking, books
    nothing more and sends no second confirmation."""
    therapist, patient = make_bookable_therapist(), make_patient()
    first = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    again = services.book_appointment(
        patient.id, therapist.id, TOMORROW_9, now=NOW + timedelta(seconds=1)
    )
    assert again.id == first.id
    assert db.session.query(Appointment).count() == 1
    assert [m.subject for m in outbox] == ["Your appointment is booked"]
    assert len(sms_outbox) == 1
    assert db.session.query(NotificationAttempt).count() == 6  # one plan, not two
    booked = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appointment.booked")
    ).all()
    assert len(booked) == 1


def test_the_last_session_booked_twice_is_still_the_patients_own_booking(app):
    """The first press drew the last funded session: the second is not told none are left."""
    therapist, patient = make_bookable_therapist(), make_patient(sessions=1)
    first = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    again = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert again.id == first.id


def test_a_cancelled_booking_of_the_slot_is_not_taken_for_a_live_one(app):
    therapist, patient = make_bookable_therapist(), make_patient()
    first = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    services.cancel_appointment(first.id, actor=patient, reason="", now=NOW)
    again = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert again.id != first.id and again.status is AppointmentStatus.BOOKED
