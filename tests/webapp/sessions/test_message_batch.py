"""Messages stored in a batch (PostgreSQL's group commit): numbered per room in the order they
came, a sender no longer in the room refused on their own, a resend in the batch settled one by
one, the bodies encrypted at rest. The batch writes through a savepoint of the test's
transaction here; production's autocommitted connection runs the same statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError

from tests import factories
from webapp.extensions import db
from webapp.models import Appointment, ChatMessage, Role, User
from webapp.sessions import services

NOW = datetime(2030, 1, 7, 10, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _postgresql_only(app: Any) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the batch statement is PostgreSQL's (SQLite writes one message at a time)")


class SavepointEngine:
    """Stands in for the autocommit engine: each connection is a savepoint of the test's
    transaction, so a failed statement undoes only itself, as autocommit would."""

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        connection = db.session.connection()
        with connection.begin_nested():
            yield connection


def room() -> tuple[Appointment, User, User]:
    patient = factories.make_user(Role.PATIENT)
    therapist = factories.make_therapist()
    appointment = factories.make_appointment(patient, therapist, starts_at=NOW)
    db.session.commit()
    return appointment, patient, therapist


def message(appointment: Appointment, sender: User, client_id: str, body: str) -> dict[str, Any]:
    return {
        "appointment_id": appointment.id,
        "sender_id": sender.id,
        "client_id": client_id,
        "body": body,
        "sent_at": NOW,
        "session_token": sender.session_token,
    }


def write(batch: list[dict[str, Any]]) -> list[Any]:
    return services._write_batch(SavepointEngine(), batch)  # type: ignore[arg-type]


def sequences(appointment: Appointment) -> list[tuple[int, str, str]]:
    rows = db.session.execute(
        select(ChatMessage.sequence, ChatMessage.client_id, ChatMessage.body)
        .where(ChatMessage.appointment_id == appointment.id)
        .order_by(ChatMessage.sequence)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_each_room_is_numbered_on_from_its_highest_in_the_order_the_messages_came() -> None:
    first, first_patient, first_therapist = room()
    second, second_patient, _ = room()
    write([message(first, first_patient, "a0", "already here")])

    outcomes = write(
        [
            message(first, first_therapist, "a1", "Hello"),
            message(second, second_patient, "b1", "Hi"),
            message(first, first_patient, "a2", "Hello back"),
            message(second, second_patient, "b2", "Anyone there?"),
        ]
    )

    assert [(row.appointment_id, row.client_id, row.sequence) for row in outcomes] == [
        (first.id, "a1", 2),
        (second.id, "b1", 1),
        (first.id, "a2", 3),
        (second.id, "b2", 2),
    ]
    assert sequences(first) == [
        (1, "a0", "already here"),
        (2, "a1", "Hello"),
        (3, "a2", "Hello back"),
    ]
    assert sequences(second) == [(1, "b1", "Hi"), (2, "b2", "Anyone there?")]


def test_a_sender_no_longer_in_the_room_is_refused_alone_and_takes_no_number() -> None:
    appointment, patient, therapist = room()
    stranger = factories.make_user(Role.PATIENT)
    signed_out = message(appointment, patient, "p2", "after signing out")
    signed_out["session_token"] = "an old session"
    db.session.commit()

    outcomes = write(
        [
            message(appointment, patient, "p1", "first"),
            message(appointment, stranger, "s1", "not my room"),
            signed_out,
            message(appointment, therapist, "t1", "second"),
        ]
    )

    assert outcomes[1] is None and outcomes[2] is None
    assert [row.sequence for row in (outcomes[0], outcomes[3])] == [1, 2]
    assert sequences(appointment) == [(1, "p1", "first"), (2, "t1", "second")]


def test_a_resend_in_a_batch_fails_alone_and_the_rest_are_stored() -> None:
    appointment, patient, therapist = room()
    write([message(appointment, patient, "p1", "first")])

    outcomes = write(
        [
            message(appointment, therapist, "t1", "reply"),
            message(appointment, patient, "p1", "first"),  # the same client id again
            message(appointment, patient, "p2", "more"),
        ]
    )

    assert isinstance(outcomes[1], IntegrityError)
    assert [outcomes[0].sequence, outcomes[2].sequence] == [2, 3]
    assert [client_id for _, client_id, _ in sequences(appointment)] == ["p1", "t1", "p2"]


def test_a_lone_message_follows_the_same_rules_as_a_batch() -> None:
    """A batch of one takes the single-row statement: numbered on, refused when its sender is
    no longer in the room, and a resend fails alone, just as in a batch."""
    appointment, patient, therapist = room()
    write([message(appointment, patient, "p1", "first"), message(appointment, patient, "p2", "x")])
    signed_out = message(appointment, therapist, "t0", "after signing out")
    signed_out["session_token"] = "an old session"

    (stored,) = write([message(appointment, therapist, "t1", "reply")])
    (refused,) = write([signed_out])
    (resent,) = write([message(appointment, patient, "p1", "first")])

    assert stored.sequence == 3
    assert refused is None
    assert isinstance(resent, IntegrityError)
    assert [client_id for _, client_id, _ in sequences(appointment)] == ["p1", "p2", "t1"]


def test_bodies_in_a_batch_are_encrypted_at_rest() -> None:
    appointment, patient, _ = room()
    write([message(appointment, patient, "p1", "something private")])
    stored = db.session.execute(
        text("SELECT body FROM chat_messages WHERE appointment_id = :id"), {"id": appointment.id}
    ).scalar_one()
    assert "private" not in stored
    assert sequences(appointment)[0][2] == "something private"


def test_the_tests_one_transaction_is_never_escaped_by_an_autocommitted_write() -> None:
    assert db.autocommit_engine() is None
