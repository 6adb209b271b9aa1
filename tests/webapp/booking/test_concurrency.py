"""Fifty patients race for one slot: exactly one wins, on SQLite and on PostgreSQL.

These run outside the per-test rolled-back transaction, since that would serialise everything
on one connection: each thread has its own session and connection against a committed database,
an SQLite file in a temporary folder, or a schema of its own on PostgreSQL (dropped afterwards).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from tests.webapp.booking.conftest import NOW
from webapp.booking import services
from webapp.config import normalise_database_url
from webapp.extensions import db, make_engine
from webapp.migrate import upgrade
from webapp.models import (
    AllowanceMovement,
    Appointment,
    AppointmentStatus,
    Credential,
    CredentialKind,
    MovementKind,
    PatientProfile,
    Role,
    TherapistProfile,
    User,
    WeeklyHours,
)

RACERS = 50
SLOT = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def committed_engine(app: Any, tmp_path: Any) -> Iterator[Engine]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        file_url = f"sqlite:///{tmp_path / 'race.db'}"
        upgrade(file_url)
        engine = make_engine(file_url)
        yield engine
        engine.dispose()
        return
    url = normalise_database_url(url)
    schema = f"race_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    schema_url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    upgrade(schema_url)
    engine = make_engine(schema_url)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _user(number: int, role: Role) -> User:
    return User(email=f"race{number}@example.com", full_name=f"Racer {number}", role=role)


def _seed(therapists: int, patients: int, sessions: int = 8) -> tuple[list[int], list[int]]:
    session = db.session()
    therapist_users = [_user(1000 + n, Role.THERAPIST) for n in range(therapists)]
    patient_users = [_user(n, Role.PATIENT) for n in range(patients)]
    session.add_all(therapist_users + patient_users)
    session.flush()
    for therapist in therapist_users:
        session.add(TherapistProfile(user_id=therapist.id, display_name=therapist.full_name))
        session.add(
            WeeklyHours(therapist_id=therapist.id, weekday=1, starts_at=time(9), ends_at=time(17))
        )
        for kind in CredentialKind:
            session.add(
                Credential(therapist_id=therapist.id, kind=kind, expires_on=date(2030, 1, 1))
            )
    for patient in patient_users:
        session.add(
            PatientProfile(
                user_id=patient.id,
                date_of_birth=date(1990, 1, 1),
                postcode="LS1 4AP",
                access_starts_at=datetime(2020, 1, 1, tzinfo=UTC),
                access_ends_at=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
        session.add(  # funded as an accepted referral is
            AllowanceMovement(
                patient_id=patient.id,
                kind=MovementKind.GRANT,
                sessions=sessions,
                reason_code="referral",
                occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
        )
    session.commit()
    ids = [u.id for u in therapist_users], [u.id for u in patient_users]
    db.session.remove()
    return ids


def _race(
    app: Any, attempts: list[tuple[int, int]], starts: list[datetime] | None = None
) -> list[str]:
    barrier = threading.Barrier(len(attempts))
    slots = iter(starts or [SLOT] * len(attempts))
    jobs = [(patient_id, therapist_id, next(slots)) for patient_id, therapist_id in attempts]

    def attempt(patient_id: int, therapist_id: int, start: datetime) -> str:
        with app.app_context():
            try:
                barrier.wait()
                services.book_appointment(patient_id, therapist_id, start, now=NOW)
            except services.BookingError:
                return "refused"
            finally:
                db.session.remove()
            return "booked"

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(lambda job: attempt(*job), jobs))


@pytest.fixture
def committed_db(app: Any, committed_engine: Engine) -> Iterator[Engine]:
    db.bind(committed_engine)
    yield committed_engine
    db.session.remove()  # the per-test fixture puts its own binding back afterwards


def _live_bookings(engine: Engine) -> int:
    with engine.connect() as connection:
        return (
            connection.scalar(
                select(func.count(Appointment.id)).where(
                    Appointment.status == AppointmentStatus.BOOKED
                )
            )
            or 0
        )


def test_fifty_patients_racing_for_one_slot_give_exactly_one_booking(app, committed_db, clock):
    with app.app_context():
        [therapist_id], patient_ids = _seed(therapists=1, patients=RACERS)
    results = _race(app, [(patient_id, therapist_id) for patient_id in patient_ids])
    assert results.count("booked") == 1
    assert results.count("refused") == RACERS - 1
    assert _live_bookings(committed_db) == 1


def test_one_patient_racing_for_ten_therapists_at_once_gets_exactly_one(app, committed_db, clock):
    with app.app_context():
        therapist_ids, [patient_id] = _seed(therapists=10, patients=1)
    results = _race(app, [(patient_id, therapist_id) for therapist_id in therapist_ids])
    assert results.count("booked") == 1
    assert _live_bookings(committed_db) == 1


def test_racing_bookings_cannot_take_more_sessions_than_are_funded(app, committed_db, clock):
    """Two sessions left, six therapists at six different times: the allowance is read after
    the patient's row is locked, so exactly two bookings win (not MAX_FUTURE_BOOKINGS' three)."""
    with app.app_context():
        therapist_ids, [patient_id] = _seed(therapists=6, patients=1, sessions=2)
    starts = [SLOT + timedelta(hours=n) for n in range(6)]
    results = _race(app, [(patient_id, t) for t in therapist_ids], starts)
    assert results.count("booked") == 2
    assert _live_bookings(committed_db) == 2
