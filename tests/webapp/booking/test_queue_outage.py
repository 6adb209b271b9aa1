"""With the job queue (Redis) down, a booking still stands and its page still answers; its
messages wait in the database and the sweep enqueues them once the queue is back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import queue_down
from tests.factories import make_bookable_therapist, make_patient
from tests.webapp.booking.conftest import NOW
from webapp.booking import jobs, services
from webapp.extensions import db
from webapp.models import Appointment, AppointmentStatus, NotificationAttempt, NotificationStatus

pytestmark = pytest.mark.usefixtures("clock", "app_context")

TOMORROW_9 = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)


def attempts(appointment_id: int) -> list[NotificationAttempt]:
    db.session.expire_all()
    return list(db.session.query(NotificationAttempt).filter_by(appointment_id=appointment_id))


def test_a_booking_stands_while_the_queue_is_down_and_the_sweep_sends_its_messages_later(
    app, outbox, sms_outbox, monkeypatch
):
    therapist, patient = make_bookable_therapist(), make_patient()
    with queue_down(monkeypatch):
        appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert appointment.status is AppointmentStatus.BOOKED
    waiting = attempts(appointment.id)
    assert waiting and all(a.task_id is None for a in waiting)
    assert all(a.status is NotificationStatus.SCHEDULED for a in waiting)
    assert outbox == []

    assert jobs.schedule_missed_notifications(now=NOW + timedelta(minutes=1)) == 0  # too soon
    later = NOW + jobs.UNQUEUED_GRACE + timedelta(minutes=1)
    assert jobs.schedule_missed_notifications(now=later) == len(waiting)
    assert [m.subject for m in outbox] == ["Your appointment is booked"]
    assert all(a.task_id for a in attempts(appointment.id))
    assert jobs.schedule_missed_notifications(now=later) == 0  # each once


def test_cancelling_while_the_queue_is_down_still_cancels(monkeypatch):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = services.book_appointment(patient.id, therapist.id, TOMORROW_9, now=NOW)
    assert any(a.task_id for a in attempts(appointment.id))  # reminders queued, to revoke
    with queue_down(monkeypatch):
        services.cancel_appointment(appointment.id, actor=patient, reason="", now=NOW)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status is AppointmentStatus.CANCELLED
    pending = [a for a in attempts(appointment.id) if a.kind.value != "confirmation"]
    assert pending and all(a.status is NotificationStatus.CANCELLED for a in pending)
