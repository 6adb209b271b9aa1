"""Writes for session rooms: who may be in the room now, attendance, messages, the therapist's
record, the patient's notes and rating. One write = one function = one transaction; time is
passed in as `now`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast

from flask import current_app
from sqlalchemy import (
    Engine,
    Integer,
    Row,
    String,
    Table,
    bindparam,
    column,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import BindParameter, ColumnElement

import questionnaires
from webapp import audit, heartbeat, london_datetime
from webapp.charges import services as charges
from webapp.charging import Outcome
from webapp.extensions import db
from webapp.measures import queries as measures
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AttendanceEvent,
    AttendanceKind,
    ChatMessage,
    PatientSessionNote,
    SessionRating,
    SessionRecord,
    SessionRecordVersion,
    User,
)
from webapp.pathway import services as pathway
from webapp.sessions import queries, rate, room
from webapp.sessions.group_commit import GroupCommit

SEQUENCE_RETRIES = 5
M = TypeVar("M")


class RoomRefused(Exception):
    """The person may not be in (or act in) this room now. `code` is stable, for audit rows
    and the page's choice of where to send them; the message is for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RecordRefused(ValueError):
    """A session record that cannot be saved; the message says why and what to do instead,
    and `field` names the form field it belongs to (None: the record as a whole)."""

    def __init__(self, message: str, *, field: str | None) -> None:
        super().__init__(message)
        self.field = field


class RecordChanged(RecordRefused):
    """The record was saved (or changed) after the page it is saved from was opened: saving
    would silently replace a version its author never saw. `version` is the one now held."""

    def __init__(self, message: str, *, version: int | None) -> None:
        super().__init__(message, field=None)
        self.version = version


class MessageRefused(ValueError):
    """A message that cannot be sent; nothing was stored."""


def check_still_open(user: User, appointment: Appointment, now: datetime) -> room.Party:
    """Raise RoomRefused unless the session is booked and the room open for `user` now."""
    party = queries.party_of(user.id, appointment)
    if appointment.status is not AppointmentStatus.BOOKED:
        raise RoomRefused("not_booked", "This session is no longer booked.")
    state = room.room_state(party, appointment.starts_at, now)
    if state is room.RoomState.NOT_YET:
        raise RoomRefused("not_yet", "The session room is not open yet.")
    if state is room.RoomState.CLOSED:
        raise RoomRefused("closed", "This session has ended.")
    return party


def check_clock(party: room.Party, starts_at: datetime, now: datetime) -> None:
    """The room still open for `party`, from the start time cached at the door (an
    appointment's start never changes: a move books a new one). Raise RoomRefused if not."""
    state = room.room_state(party, starts_at, now)
    if state is room.RoomState.CLOSED:
        raise RoomRefused("closed", "This session has ended.")
    if state is room.RoomState.NOT_YET:
        raise RoomRefused("not_yet", "The session room is not open yet.")


def check_connection(user_id: int, session_token: str, appointment_id: int) -> None:
    """One query: still signed in with the same session (an account switched off, or signed
    out everywhere, is refused), still this room's patient or therapist, the session still
    booked. Raise RoomRefused otherwise."""
    _refuse_unless_in_room(queries.connection_state(user_id, session_token, appointment_id))


def missed_messages(
    user_id: int, session_token: str, appointment_id: int, last_seen: int
) -> list[SentMessage]:
    """The room's messages after `last_seen`, in order, checked as every event is
    (`check_connection`), in one query. Raise RoomRefused as that does. On PostgreSQL the
    query takes a pooled connection of its own, so any read the caller began is ended first:
    one left open held a second connection per joining socket until the pool ran dry."""
    _end_reads()
    found = queries.connection_state_and_messages_after(
        user_id, session_token, appointment_id, last_seen
    )
    _refuse_unless_in_room(None if found is None else (found[0], found[1]))
    assert found is not None  # (refused above otherwise)
    return [SentMessage.of(row) for row in found[2]]


def _refuse_unless_in_room(found: tuple[bool, AppointmentStatus] | None) -> None:
    if found is None or not found[0]:
        raise RoomRefused("signed_out", "Sign in to join your session.")
    if found[1] is not AppointmentStatus.BOOKED:
        raise RoomRefused("not_booked", "This session is no longer booked.")


def check_room(user: User, appointment: Appointment, now: datetime) -> room.Party:
    """Raise RoomRefused unless `user` may come into the room now (the caller has checked they
    are its patient or therapist): open, and whatever must come first is done."""
    party = check_still_open(user, appointment, now)
    if party is room.Party.THERAPIST:
        owed = queries.appointment_awaiting_record(user.id, now, other_than=appointment.id)
        if owed is not None:
            raise RoomRefused(
                "record_owed", "Complete the record of your previous session before this one."
            )
        if measures.unacknowledged_risk_flags(appointment.id):
            raise RoomRefused(
                "risk_flags", "Read and acknowledge the risk flags for this session first."
            )
        return party
    if not measures.is_pre_session_set_complete(appointment.id):
        raise RoomRefused(
            "questionnaires", "Finish your questionnaires before your session can start."
        )
    if measures.unacknowledged_risk_flags(appointment.id):
        raise RoomRefused(
            "risk_flags",
            "Your therapist is reading your answers. The room opens as soon as they have.",
        )
    return party


def _end_reads() -> None:
    """Close the read transaction the checks before a write began (nothing is pending), so a
    short write transaction follows: SQLite refuses a write from a transaction whose snapshot
    another connection has since moved past, where PostgreSQL would simply go ahead. Nothing
    to do when no transaction has begun: committing an empty session still cost 13% of a busy
    chat worker's time storing messages (SQLAlchemy begins a transaction object to end it)."""
    if db.session().in_transaction():
        db.session.commit()


def is_present(appointment_id: int, party: room.Party, now: datetime) -> bool:
    """Whether the party has a connection open in the room now (the server's attendance
    records, so across instances; a connection whose server has stopped is not open)."""
    events = queries.attendance_events(appointment_id)
    return room.is_present(events, party, _ended_instances(events, now))


OUTAGE_LOOKBACK = timedelta(days=1)
"""How far before a session the instances' lives are read (with the last before that) to tell
an outage at its start."""


def _ended_instances(events: Sequence[room.AttendanceEvent], now: datetime) -> dict[str, datetime]:
    """When each instance that held these connections stopped serving (those still serving
    are left out). Without a message queue instances cannot share rooms, so any instance but
    this one has stopped, whatever its last heartbeat says."""
    own = heartbeat.this_instance()
    alone = not current_app.config["SOCKETIO_MESSAGE_QUEUE"]
    ended: dict[str, datetime] = {}
    for life in queries.instance_lives(event.instance for event in events if event.instance):
        end = life.ended_at(now, alone=alone and life.instance != own)
        if end is not None:
            ended[life.instance] = end
    return ended


def refuse(user: User | None, appointment_id: int | None, code: str) -> None:
    """Audit a refusal at the door or on an event (committed on its own)."""
    _end_reads()
    audit.record_now(
        "session.refused",
        actor=user,
        subject_type="appointment",
        subject_id=appointment_id,
        detail={"reason": code},
    )


def record_attendance(
    appointment_id: int,
    user_id: int,
    party: room.Party,
    kind: AttendanceKind,
    *,
    connection: str,
    now: datetime,
) -> AttendanceEvent:
    _end_reads()
    instance = heartbeat.this_instance()
    with db.transaction() as session:
        event = AttendanceEvent(
            appointment_id=appointment_id,
            user_id=user_id,
            party=party.value,
            kind=kind,
            connection=connection[:64],
            instance=instance,
            at=now,
        )
        session.add(event)
    return event


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A stored message as its sender's acknowledgement and the room's broadcast need it (a
    plain record: making an ORM instance for each cost a tenth of sending one)."""

    id: int
    appointment_id: int
    sequence: int
    sender_id: int
    client_id: str
    body: str
    sent_at: datetime

    @classmethod
    def of(cls, message: ChatMessage | Row[Any]) -> SentMessage:
        """From the stored message, or a row of its columns (`queries.MISSED_COLUMNS`)."""
        return cls(
            id=message.id,
            appointment_id=message.appointment_id,
            sequence=message.sequence,
            sender_id=message.sender_id,
            client_id=message.client_id,
            body=message.body,
            sent_at=message.sent_at,
        )


def _existing(appointment_id: int, sender_id: int, client_id: str) -> ChatMessage | None:
    return db.session.scalar(
        select(ChatMessage).where(
            ChatMessage.appointment_id == appointment_id,
            ChatMessage.sender_id == sender_id,
            ChatMessage.client_id == client_id,
        )
    )


def numbered_insert(
    table: Table,
    room_column: str,
    columns: Sequence[str],
    guard: Callable[[dict[str, BindParameter[Any]]], ColumnElement[bool]],
) -> ReturningInsert[tuple[int, int]]:
    """INSERT INTO table (columns..., sequence) SELECT :columns..., (the room's highest sequence
    + 1) WHERE guard, RETURNING id, sequence: checking and numbering a message in one statement.
    `guard` is given the bound parameters (plus any it binds itself). Built once per table:
    constructing it cost more CPU than sending it. Used by the session and the group rooms."""
    values = {name: bindparam(name, type_=table.c[name].type) for name in columns}
    next_sequence = (
        select(func.coalesce(func.max(table.c.sequence), 0) + 1)
        .where(table.c[room_column] == values[room_column])
        .scalar_subquery()
    )
    rows = select(*values.values(), next_sequence).where(guard(values))
    return (
        insert(table)
        .from_select([*values, "sequence"], rows)
        .returning(table.c.id, table.c.sequence)
    )


def insert_in_session(
    statement: ReturningInsert[tuple[int, int]],
    parameters: Mapping[str, Any],
    *,
    stored_with: Callable[[Row[tuple[int, int]]], object] | None = None,
) -> Row[tuple[int, int]] | None:
    """Run a `numbered_insert` as its own transaction through the ORM session. `stored_with`
    writes, in the same transaction, what must exist if and only if the message does."""
    _end_reads()
    with db.transaction() as session:
        stored = session.execute(statement, parameters).first()
        if stored is not None and stored_with is not None:
            stored_with(stored)
        return stored


def store_numbered(
    write: Callable[[Mapping[str, Any]], Row[tuple[int, int]] | None],
    parameters: Mapping[str, Any],
    existing: Callable[[], M | None],
) -> Row[tuple[int, int]] | M | None:
    """Store a numbered message with `write` (a `numbered_insert` run as its own transaction):
    the stored (id, sequence) row, the message `existing()` finds when the client id was
    already stored (a resend), or None when the guard said no. The unique constraints settle
    races: a sequence taken by a message committed meanwhile (on this instance or another) is
    simply numbered again. Raises MessageRefused after SEQUENCE_RETRIES tries. Used by the
    session and the group rooms."""
    for _attempt in range(SEQUENCE_RETRIES):
        try:
            return write(parameters)
        except IntegrityError:
            found = existing()
            if found is not None:
                return found
            continue  # otherwise the sequence was taken meanwhile: number it again
        except OperationalError:
            continue  # SQLite only: another connection wrote first (busy); try again
    raise MessageRefused("The message could not be sent. Try again.")


GUARDED_INSERT = numbered_insert(
    cast(Table, ChatMessage.__table__),
    "appointment_id",
    ("appointment_id", "sender_id", "client_id", "body", "sent_at"),
    lambda values: queries.is_in_room(
        values["sender_id"],
        bindparam("session_token", type_=String()),
        values["appointment_id"],
    ),
)


def _guarded_batch_insert() -> ReturningInsert[tuple[int, int, int, int, str]]:
    """GUARDED_INSERT for many messages at once (PostgreSQL): the messages come in as arrays
    (one prepared statement whatever the batch's size), those whose sender is still in the
    room are numbered on from each room's highest sequence in the order they came, and the
    statement returns each stored message's id and number with its key."""
    table = ChatMessage.__table__
    arrays = {
        "position": Integer(),
        "appointment_id": Integer(),
        "sender_id": Integer(),
        "client_id": String(),
        "body": table.c.body.type,
        "sent_at": table.c.sent_at.type,
        "session_token": String(),
    }
    incoming = (
        func.unnest(*(bindparam(name, type_=ARRAY(kind)) for name, kind in arrays.items()))
        .table_valued(*(column(name, kind) for name, kind in arrays.items()))
        .render_derived(name="incoming")
    )
    next_sequence = (
        select(func.coalesce(func.max(table.c.sequence), 0))
        .where(table.c.appointment_id == incoming.c.appointment_id)
        .scalar_subquery()
    ) + func.row_number().over(partition_by=incoming.c.appointment_id, order_by=incoming.c.position)
    columns = ("appointment_id", "sender_id", "client_id", "body", "sent_at")
    rows = select(*(incoming.c[name] for name in columns), next_sequence).where(
        queries.is_in_room(
            incoming.c.sender_id, incoming.c.session_token, incoming.c.appointment_id
        )
    )
    return (
        insert(table)
        .from_select([*columns, "sequence"], rows)
        .returning(
            table.c.id,
            table.c.sequence,
            table.c.appointment_id,
            table.c.sender_id,
            table.c.client_id,
        )
    )


GUARDED_BATCH_INSERT = _guarded_batch_insert()

Stored = Row[tuple[int, int]]


def _write_batch(
    engine: Engine, batch: Sequence[Mapping[str, Any]]
) -> list[Stored | BaseException | None]:
    """Store a batch in one autocommitted statement; a message missing from what it returns was
    refused by the room check (None). If the statement hits a unique constraint (a resend, or
    a sequence another instance took meanwhile) nothing was stored, so each message is tried
    on its own and its caller sees its own outcome. A lone message (most batches, below a few
    hundred messages a second) takes the single-row statement: the same rules, measured 0.15 ms
    faster warm and 0.35 ms faster after the database has idled (benchmarks/message_write.py)."""
    if len(batch) == 1:
        return [_write_one(engine, batch[0])]
    try:
        with engine.connect() as connection:
            stored = connection.execute(GUARDED_BATCH_INSERT, batch_arrays(batch)).all()
    except IntegrityError:
        return [_write_one(engine, parameters) for parameters in batch]
    by_key = {(row.appointment_id, row.sender_id, row.client_id): row for row in stored}
    return [by_key.get((p["appointment_id"], p["sender_id"], p["client_id"])) for p in batch]


def batch_arrays(batch: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """GUARDED_BATCH_INSERT's parameters: one array per column, and each message's position."""
    arrays: dict[str, list[Any]] = {name: [] for name in (*batch[0], "position")}
    for position, parameters in enumerate(batch):
        arrays["position"].append(position)
        for name, value in parameters.items():
            arrays[name].append(value)
    return arrays


def _write_one(engine: Engine, parameters: Mapping[str, Any]) -> Stored | BaseException | None:
    try:
        with engine.connect() as connection:
            return connection.execute(GUARDED_INSERT, parameters).first()
    except IntegrityError as error:
        return error


def _message_writer(engine: Engine) -> GroupCommit[Mapping[str, Any], Stored | None]:
    """This process's group commit for messages (one per app, made on first use)."""
    writer = current_app.extensions.get(MESSAGE_WRITER)
    if writer is None:
        writer = current_app.extensions.setdefault(
            MESSAGE_WRITER, GroupCommit(partial(_write_batch, engine))
        )
    return writer  # type: ignore[no-any-return]


MESSAGE_WRITER = "chat_message_writer"


def _insert_guarded(parameters: Mapping[str, Any]) -> Stored | None:
    """Store one message as its own transaction; None if the room check refused it. On
    PostgreSQL, messages arriving together are written together by one autocommitted
    statement on a pooled connection, outside the ORM session (`GroupCommit`); otherwise
    (SQLite, and the tests' one transaction) through the session."""
    engine = db.autocommit_engine()
    if engine is None:
        return insert_in_session(GUARDED_INSERT, parameters)
    return _message_writer(engine).submit(parameters)


def post_message(
    appointment_id: int,
    sender_id: int,
    session_token: str,
    client_id: object,
    body: object,
    *,
    now: datetime,
) -> tuple[SentMessage, bool]:
    """Store a message with the room's next sequence number; (message, created). A resend with
    the same client id returns the stored message and stores nothing. Raise RoomRefused if the
    sender is no longer in the room (`check_connection`), MessageRefused for a bad message.

    The happy path is one statement in one transaction: an INSERT guarded by the room check
    (`queries.is_in_room`) that numbers the message itself (the room's highest sequence plus
    one) and returns its id and number (`numbered_insert`, `store_numbered`). The body is
    encrypted by its column type."""
    try:
        client_id = room.clean_client_id(client_id)
        text = room.clean_message(body)
    except ValueError as error:
        raise MessageRefused(str(error)) from error
    if not rate.message_rate().allow(rate.sender_key(sender_id, appointment_id), now):
        check_connection(sender_id, session_token, appointment_id)
        existing = _existing(appointment_id, sender_id, client_id)
        if existing is not None:  # a resend is not a new message, even when limited
            return SentMessage.of(existing), False
        raise MessageRefused("You are sending messages too quickly. Wait a moment.")
    values = {
        "appointment_id": appointment_id,
        "sender_id": sender_id,
        "client_id": client_id,
        "body": text,
        "sent_at": now,
    }
    stored = store_numbered(
        _insert_guarded,
        {**values, "session_token": session_token},
        lambda: _existing(appointment_id, sender_id, client_id),
    )
    if isinstance(stored, ChatMessage):
        return SentMessage.of(stored), False
    if stored is None:  # the guard said no: find out why, for the person and the audit
        check_connection(sender_id, session_token, appointment_id)
        raise RoomRefused("signed_out", "Sign in to join your session.")
    return SentMessage(id=stored.id, sequence=stored.sequence, **values), True


RECORD_FIELDS = (
    "clinical_notes",
    "therapy_type",
    "step_of_care",
    "contact_minutes",
    "attendance_code",
    "next_steps",
)
# Free text a record needs, and what is said when it is missing (as RecordForm says it).
RECORD_TEXT = {
    "clinical_notes": "Enter brief clinical notes",
    "next_steps": "Enter the next steps, for example the next session's plan",
}


def save_record(
    appointment: Appointment,
    therapist: User,
    values: Mapping[str, object],
    *,
    now: datetime,
    shown: str,
) -> SessionRecord:
    """The therapist's record of a finished session: one per session, and saving again amends
    it, keeping the version it replaces (SessionRecordVersion). `shown` is the version the
    form's page showed ("" for none): a save from a page that showed an older version is
    refused (RecordChanged), checked under a lock inside the transaction. The first saving
    time and lateness stay as first recorded. Raise RecordRefused for blank text, or an
    attendance code that contradicts the outcome already recorded."""
    state = room.record_state(appointment.starts_at, now)
    if state is room.RecordState.NOT_YET:
        raise RoomRefused("record_not_yet", "The record opens when the session ends.")
    values = {**values, **_record_text(values)}
    code = str(values["attendance_code"])
    if (
        appointment.outcome is not None
        and code not in OUTCOME_FOR_ATTENDANCE
        and code != appointment.attendance_code
    ):
        # Only 5, 6, 7 and 3 settle the charge from here: another code over a recorded outcome
        # would leave the statement charging for a session the figures count as not held.
        raise RecordRefused(
            f"This session's outcome is already recorded, with attendance code "
            f"{appointment.attendance_code}. To record code {code}, first change what happened "
            "on the session's outcome page.",
            field="attendance_code",
        )
    proposal = proposed_outcome(appointment, now)
    if db.session().in_transaction():
        # End the request's reads, so that the lock is the transaction's first statement:
        # SQLite cannot upgrade a read snapshot that another save has since written past.
        db.session().commit()
    with db.transaction() as session:
        record = _record_to_amend(session, appointment, therapist, shown)
        changed = _changed_fields(record, appointment, values)
        if record is None:
            record = SessionRecord(
                appointment_id=appointment.id,
                therapist_id=therapist.id,
                recorded_at=now,
                is_late=state is room.RecordState.LATE,
                version=1,
            )
            session.add(record)
        elif changed:  # (saved again as it was: no new version, nothing to audit)
            session.add(_earlier_version(record, appointment, therapist, now))
            record.version += 1
            record.amended_at, record.amended_by_id = now, therapist.id
        if changed:
            for name in RECORD_FIELDS:
                setattr(record, name, values[name])
            record.proposed_outcome = proposal.outcome.value
            appointment.attendance_code = code
            # The coding the national definitions derive "entered" and "finished treatment" from.
            pathway.apply_coding(
                appointment,
                str(values["appointment_type"]),
                str(values["step_of_care"]),
            )
            amended = {"changed": changed} if record.version > 1 else {}
            audit.record(
                "session.record_amended" if amended else "session.record_saved",
                actor=therapist,
                subject_type="appointment",
                subject_id=appointment.id,
                patient_id=appointment.patient_id,
                detail={"late": record.is_late, "version": record.version, **amended},
            )
    # The therapist's attendance code settles the session's charge (DOMAIN.md section 2);
    # other codes (cancellations, failures) are recorded on the outcome and problem pages. A
    # record saved again with the same code leaves alone an outcome decided since (the
    # clinical lead's ruling on a reported problem, say).
    outcome = OUTCOME_FOR_ATTENDANCE.get(code)
    if outcome is not None and "attendance_code" in changed:
        charges.record_outcome(
            appointment, outcome, actor=therapist, now=now, late=code in LATE_ATTENDANCE
        )
    return record


def _record_text(values: Mapping[str, object]) -> dict[str, str]:
    """The record's free text, trimmed; RecordRefused if any is blank (spaces are not a
    record, whatever the form let through)."""
    text = {name: str(values.get(name) or "").strip() for name in RECORD_TEXT}
    for name, missing in RECORD_TEXT.items():
        if not text[name]:
            raise RecordRefused(missing, field=name)
    return text


def _record_to_amend(
    session: Session, appointment: Appointment, therapist: User, shown: str
) -> SessionRecord | None:
    """Inside the save's transaction: the record as now held (None before the first save),
    read once the appointment's row is locked, so that two saves of one record take turns.
    RecordChanged unless it is the version the page showed."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Appointment.id).where(Appointment.id == appointment.id).with_for_update()
        )
    else:  # SQLite locks the whole database, and only for a write: a write that changes nothing
        session.execute(
            update(Appointment).where(Appointment.id == appointment.id).values(id=Appointment.id)
        )
    record = session.execute(
        select(SessionRecord)
        .where(
            SessionRecord.appointment_id == appointment.id,
            SessionRecord.therapist_id == therapist.id,
        )
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    held = str(record.version) if record is not None else ""
    if shown == held:
        return record
    if record is None:
        raise RecordChanged(
            "This page was out of date. Nothing was saved: check the record, then save it again.",
            version=None,
        )
    raise RecordChanged(
        f"{record.saved_by.full_name} {'saved' if record.version == 1 else 'changed'} this "
        f"record at {london_datetime(record.saved_at)}, after you opened this page. Nothing was "
        "saved: what you typed is below, and the record as it now is above it. Save again to "
        "replace it (it will be kept as an earlier version).",
        version=record.version,
    )


def _changed_fields(
    record: SessionRecord | None, appointment: Appointment, values: Mapping[str, object]
) -> list[str]:
    """The names of the fields the save changes (all of them for a first save)."""
    if record is None:
        return [*RECORD_FIELDS, "appointment_type"]
    held: dict[str, object] = {name: getattr(record, name) for name in RECORD_FIELDS}
    held["appointment_type"] = appointment.appointment_type
    return [name for name, value in held.items() if str(values[name]) != str(value)]


def _earlier_version(
    record: SessionRecord, appointment: Appointment, by: User, now: datetime
) -> SessionRecordVersion:
    """The record as held, kept before an amendment replaces it."""
    return SessionRecordVersion(
        appointment_id=record.appointment_id,
        version=record.version,
        **{name: getattr(record, name) for name in RECORD_FIELDS},
        appointment_type=appointment.appointment_type,
        saved_at=record.saved_at,
        saved_by_id=record.amended_by_id or record.therapist_id,
        replaced_at=now,
        replaced_by_id=by.id,
    )


OUTCOME_FOR_ATTENDANCE = {
    "5": Outcome.ATTENDED,
    "6": Outcome.ATTENDED,  # late, seen
    "3": Outcome.PATIENT_DNA,
    "7": Outcome.PATIENT_DNA,  # late, not seen: charged as a non-attendance (webapp.charging)
}
LATE_ATTENDANCE = {"6", "7"}


def save_note(
    appointment: Appointment, patient: User, body: str, *, now: datetime
) -> PatientSessionNote:
    with db.transaction() as session:
        note = queries.note_for(patient.id, appointment.id) or PatientSessionNote(
            appointment_id=appointment.id, patient_id=patient.id
        )
        note.body = body
        note.updated_at = now
        session.add(note)
        audit.record(
            "session.patient_note_saved",
            actor=patient,
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=patient.id,
        )
    return note


def delete_note(appointment: Appointment, patient: User) -> None:
    """The patient's own notes are theirs to remove (audited, without their words)."""
    with db.transaction() as session:
        note = queries.note_for(patient.id, appointment.id)
        if note is None:
            return
        session.delete(note)
        audit.record(
            "session.patient_note_deleted",
            actor=patient,
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=patient.id,
        )


def save_rating(
    appointment: Appointment, patient: User, answers: Mapping[str, object], *, now: datetime
) -> SessionRating:
    """Score the Session Rating Scale; a total of 36 or less is shown to the therapist."""
    if now < appointment.starts_at:
        raise RoomRefused("rating_not_yet", "You can rate the session once it has started.")
    result = questionnaires.score("srs", answers)
    with db.transaction() as session:
        rating = queries.rating_for(patient.id, appointment.id) or SessionRating(
            appointment_id=appointment.id,
            patient_id=patient.id,
            therapist_id=appointment.therapist_id,
        )
        rating.answers = dict(result.answers)  # type: ignore[arg-type]
        rating.total = int(result.total or 0)
        rating.is_alliance_concern = "srs_alliance_concern" in result.risk_flags
        rating.rated_at = now
        session.add(rating)
        audit.record(
            "session.rated",
            actor=patient,
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=patient.id,
            detail={"total": rating.total},
        )
    return rating


def proposed_outcome(appointment: Appointment, now: datetime) -> room.Proposal:
    """The outcome the server's attendance records suggest, for the charging rules
    (`webapp.charging.decide_charge`). Raises ValueError before the session has ended."""
    events = queries.attendance_events(appointment.id)
    return room.propose_outcome(
        events,
        starts_at=appointment.starts_at,
        now=now,
        outages=room.outages(queries.lives_since(appointment.starts_at - OUTAGE_LOOKBACK), now),
        ended=_ended_instances(events, now),
    )


def audit_transcript_read(viewer: User, appointment: Appointment) -> None:
    """Every read of a transcript is audited, the patient's own included."""
    if viewer.id == appointment.patient_id:
        audit.record_now(
            "session.transcript_viewed",
            actor=viewer,
            subject_type="appointment",
            subject_id=appointment.id,
            patient_id=appointment.patient_id,
        )
    else:
        audit.record_patient_record_view(viewer, appointment.patient_id, "transcript")
