"""The demo world's past session: a transcript, a record, notes and a rating, made once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests import factories
from webapp import demo
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    ChatMessage,
    Role,
    SessionRating,
    SessionRecord,
)


def test_the_demo_past_session_is_made_once_with_its_transcript_record_and_rating():
    """On the patient's attended booking a week ago (one appointment, charged), not beside it."""
    patient = factories.make_user(Role.PATIENT, email=demo.demo_email(demo.PATIENTS[0][0]))
    therapist = factories.make_therapist(email=demo.demo_email(demo.THERAPISTS[0][0]))
    starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)
    attended = factories.make_appointment(
        patient,
        therapist,
        starts_at=starts_at,
        status=AppointmentStatus.CLOSED,
        outcome="attended",
        attendance_code="5",
        charged=True,
    )
    demo._past_session()
    demo._past_session()
    assert db.session.scalar(select(func.count(Appointment.id))) == 1
    assert db.session.scalar(select(SessionRecord.appointment_id)) == attended.id
    assert db.session.scalar(select(func.count(SessionRecord.id))) == 1
    assert db.session.scalar(select(func.count(SessionRating.id))) == 1
    bodies = db.session.scalars(select(ChatMessage.body).order_by(ChatMessage.sequence)).all()
    assert bodies == [body for _party, body in demo.TRANSCRIPT]
