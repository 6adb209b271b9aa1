"""Read-only queries for session rooms. A patient sees only their own sessions; a therapist
only the sessions booked with them. Another person's appointment is a 404 (or None where the
caller is a socket, which cannot render a page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort
from sqlalchemy import ColumnElement, Exists, Row, Select, and_, exists, or_, select
from sqlalchemy.orm import aliased

from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AttendanceEvent,
    AttendanceKind,
    CareEpisode,
    ChatMessage,
    PatientSessionNote,
    ServerInstance,
    SessionRating,
    SessionRecord,
    SessionRecordVersion,
    User,
)
from webapp.sessions import room


def appointment_for_participant(user_id: int, appointment_id: int) -> Appointment | None:
    """The appointment if this user is its patient or its therapist; otherwise None."""
    return db.session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id,
            or_(Appointment.patient_id == user_id, Appointment.therapist_id == user_id),
        )
    )


def where_it_was_moved(user_id: int, appointment: Appointment) -> Appointment | None:
    """The booking a moved session ended up as (following every move), or None if it was not
    moved; only the participant's own."""
    moved: Appointment | None = None
    seen = {appointment.id}
    while appointment.rescheduled_to_id is not None and appointment.rescheduled_to_id not in seen:
        found = appointment_for_participant(user_id, appointment.rescheduled_to_id)
        if found is None:
            break
        moved = appointment = found
        seen.add(found.id)
    return moved


def appointment_for_participant_or_404(user_id: int, appointment_id: int) -> Appointment:
    appointment = appointment_for_participant(user_id, appointment_id)
    if appointment is None:
        abort(404)
    return appointment


def connection_state(
    user_id: int, session_token: str, appointment_id: int
) -> tuple[bool, AppointmentStatus] | None:
    """For a socket event, in one query: (is the account still active, the appointment's
    status), or None when this user is not (or no longer signed in as) a participant: their
    session token was rotated (signed out everywhere, password or role changed) or the
    appointment is not theirs."""
    row = db.session.execute(_participant_state(user_id, session_token, appointment_id)).first()
    return None if row is None else (bool(row[0]), row[1])


def _participant_state(user_id: int, session_token: str, appointment_id: int) -> Select[Any]:
    """(is the account active, the appointment's status) for this user signed in with this
    session and a participant of this appointment: no row otherwise."""
    return (
        select(User.is_active_account, Appointment.status)
        .join(User, or_(Appointment.patient_id == User.id, Appointment.therapist_id == User.id))
        .where(
            Appointment.id == appointment_id,
            User.id == user_id,
            User.session_token == session_token,
        )
    )


MISSED_COLUMNS = (
    ChatMessage.id,
    ChatMessage.appointment_id,
    ChatMessage.sequence,
    ChatMessage.sender_id,
    ChatMessage.client_id,
    ChatMessage.body,
    ChatMessage.sent_at,
)


def connection_state_and_messages_after(
    user_id: int, session_token: str, appointment_id: int, last_seen: int
) -> tuple[bool, AppointmentStatus, list[Row[Any]]] | None:
    """`connection_state`, and the room's messages after `last_seen` in order (rows of
    MISSED_COLUMNS), in one query. A page asking for what it missed (every few seconds while
    the queue between instances is down) usually finds nothing: done as three queries in a
    transaction this cost 2.3 ms of a worker per ask (benchmarks/catch_up.py); as one
    autocommitted statement on PostgreSQL (as a message's write is), outside the ORM session."""
    statement = (
        _participant_state(user_id, session_token, appointment_id)
        .add_columns(*MISSED_COLUMNS)
        .outerjoin(
            ChatMessage,
            and_(ChatMessage.appointment_id == Appointment.id, ChatMessage.sequence > last_seen),
        )
        .order_by(ChatMessage.sequence)
    )
    engine = db.autocommit_engine()
    if engine is None:
        rows = db.session.execute(statement).all()
    else:
        with engine.connect() as connection:
            rows = connection.execute(statement).all()
    if not rows:
        return None
    active, status = bool(rows[0].is_active_account), rows[0].status
    return active, status, [row for row in rows if row.id is not None]


def is_in_room(
    user_id: ColumnElement[int],
    session_token: ColumnElement[str],
    appointment_id: ColumnElement[int],
) -> Exists:
    """SQL that is true while this user is signed in with this session, their account active,
    the appointment's patient or therapist, and the session still booked: the guard on each
    message's INSERT, so that checking and storing are one statement. Takes bound parameters,
    so the statement is built once."""
    participant: ColumnElement[bool] = or_(
        Appointment.patient_id == User.id, Appointment.therapist_id == User.id
    )
    return (
        select(Appointment.id)
        .join(User, participant)
        .where(
            Appointment.id == appointment_id,
            Appointment.status == AppointmentStatus.BOOKED,
            User.id == user_id,
            User.session_token == session_token,
            User.is_active_account.is_(True),
        )
        .exists()
    )


def party_of(user_id: int, appointment: Appointment) -> room.Party:
    return room.Party.PATIENT if appointment.patient_id == user_id else room.Party.THERAPIST


def messages_after(user_id: int, appointment_id: int, last_seen: int) -> list[ChatMessage]:
    """The room's messages after `last_seen`, in order: for its patient or therapist only."""
    if appointment_for_participant(user_id, appointment_id) is None:
        return []
    return list(
        db.session.scalars(
            select(ChatMessage)
            .where(ChatMessage.appointment_id == appointment_id, ChatMessage.sequence > last_seen)
            .order_by(ChatMessage.sequence)
        )
    )


def attendance_for(user_id: int, appointment_id: int) -> list[room.AttendanceEvent]:
    """The server's attendance records for the appointment, as the pure rules take them."""
    if appointment_for_participant(user_id, appointment_id) is None:
        return []
    return attendance_events(appointment_id)


def attendance_events(appointment_id: int) -> list[room.AttendanceEvent]:
    """For trusted callers (charging jobs, the record form) that have checked access already."""
    rows = db.session.scalars(
        select(AttendanceEvent)
        .where(AttendanceEvent.appointment_id == appointment_id)
        .order_by(AttendanceEvent.at, AttendanceEvent.id)
    )
    return [
        room.AttendanceEvent(
            room.Party(row.party),
            room.AttendanceKind(row.kind.value),
            row.at,
            row.connection,
            row.instance,
        )
        for row in rows
    ]


def instance_lives(instances: Iterable[str]) -> list[room.InstanceLife]:
    """The recorded lives of these app instances (those with none recorded are left out)."""
    wanted = sorted(set(instances))
    if not wanted:
        return []
    return _lives(select(ServerInstance).where(ServerInstance.id.in_(wanted)))


def lives_since(moment: datetime) -> list[room.InstanceLife]:
    """Every instance's life that was still going at `moment` or began after it, and the last
    one to end before it: without that one, a gap that began earlier would have no start."""
    before = (
        select(ServerInstance.id)
        .where(ServerInstance.beat_at < moment)
        .order_by(ServerInstance.beat_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _lives(
        select(ServerInstance).where(
            or_(ServerInstance.beat_at >= moment, ServerInstance.id == before)
        )
    )


def _lives(statement: Select[tuple[ServerInstance]]) -> list[room.InstanceLife]:
    return [
        room.InstanceLife(row.id, row.started_at, row.beat_at, row.stopped_at)
        for row in db.session.scalars(statement)
    ]


def appointment_awaiting_record(
    therapist_id: int, now: datetime, *, other_than: int | None = None
) -> Appointment | None:
    """The therapist's earliest finished session that they joined but have not yet recorded:
    it must be recorded before they open another session."""
    joined = exists().where(
        AttendanceEvent.appointment_id == Appointment.id,
        AttendanceEvent.user_id == therapist_id,
        AttendanceEvent.kind == AttendanceKind.JOIN,
    )
    recorded = exists().where(SessionRecord.appointment_id == Appointment.id)
    query = (
        select(Appointment)
        .where(
            Appointment.therapist_id == therapist_id,
            Appointment.status.in_([AppointmentStatus.BOOKED, AppointmentStatus.CLOSED]),
            Appointment.ends_at <= now,
            joined,
            ~recorded,
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    if other_than is not None:
        query = query.where(Appointment.id != other_than)
    return db.session.scalar(query)


def record_for(therapist_id: int, appointment_id: int) -> SessionRecord | None:
    return db.session.scalar(
        select(SessionRecord).where(
            SessionRecord.appointment_id == appointment_id,
            SessionRecord.therapist_id == therapist_id,
        )
    )


def earlier_versions_for(therapist_id: int, appointment_id: int) -> list[SessionRecordVersion]:
    """The versions an amendment replaced of the record this therapist keeps for this
    appointment, newest first (none for anyone else's)."""
    return list(
        db.session.scalars(
            select(SessionRecordVersion)
            .join(
                SessionRecord,
                SessionRecord.appointment_id == SessionRecordVersion.appointment_id,
            )
            .where(
                SessionRecordVersion.appointment_id == appointment_id,
                SessionRecord.therapist_id == therapist_id,
            )
            .order_by(SessionRecordVersion.version.desc())
        )
    )


def note_for(patient_id: int, appointment_id: int) -> PatientSessionNote | None:
    return db.session.scalar(
        select(PatientSessionNote).where(
            PatientSessionNote.appointment_id == appointment_id,
            PatientSessionNote.patient_id == patient_id,
        )
    )


def rating_for(user_id: int, appointment_id: int) -> SessionRating | None:
    """The session's rating, for the patient who gave it or the therapist it rates."""
    return db.session.scalar(
        select(SessionRating).where(
            SessionRating.appointment_id == appointment_id,
            or_(SessionRating.patient_id == user_id, SessionRating.therapist_id == user_id),
        )
    )


def sessions_for(user_id: int) -> list[Appointment]:
    """The user's booked or finished sessions (as patient or therapist), newest first."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                or_(Appointment.patient_id == user_id, Appointment.therapist_id == user_id),
                Appointment.status.in_([AppointmentStatus.BOOKED, AppointmentStatus.CLOSED]),
            )
            .order_by(Appointment.starts_at.desc())
        )
    )


ATTENDED_CODES = ("5", "6")  # attended on time, or late but seen (DOMAIN.md section 4)


def alliance_concerns_for_therapist(therapist_id: int) -> list[AllianceConcern]:
    """Low Session Rating Scale totals (36 or less) given to this therapist that still wait to
    be talked through, newest session first: a concern is settled by the next session with
    that patient once its record is written, or by the end of the patient's episode."""
    later = aliased(Appointment)
    talked_through = (
        select(SessionRecord.id)
        .join(later, later.id == SessionRecord.appointment_id)
        .where(
            later.patient_id == Appointment.patient_id,
            later.therapist_id == therapist_id,
            later.starts_at > Appointment.starts_at,
            SessionRecord.attendance_code.in_(ATTENDED_CODES),  # (a missed one talks nothing)
        )
        .exists()
    )
    rows = db.session.execute(
        select(SessionRating, Appointment.starts_at, User.full_name)
        .join(Appointment, Appointment.id == SessionRating.appointment_id)
        .join(User, User.id == Appointment.patient_id)
        .outerjoin(CareEpisode, CareEpisode.id == Appointment.episode_id)
        .where(
            SessionRating.therapist_id == therapist_id,
            SessionRating.is_alliance_concern.is_(True),
            ~talked_through,
            CareEpisode.ended_on.is_(None),
        )
        .order_by(Appointment.starts_at.desc())
    )
    return [AllianceConcern(rating, starts_at, name) for rating, starts_at, name in rows]


@dataclass(frozen=True)
class AllianceConcern:
    rating: SessionRating
    session_start: datetime
    patient_name: str
