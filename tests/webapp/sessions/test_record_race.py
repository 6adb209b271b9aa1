"""Saves of one session record racing from pages that showed the same version: exactly one
wins, the others are refused as changed, and one earlier version is kept (SQLite and
PostgreSQL, where the appointment's row lock is what makes them take turns).

Like tests/webapp/booking/test_concurrency.py, these run outside the per-test rolled-back
transaction, each thread with its own session against a committed database."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from tests.webapp.sessions.conftest import STARTS_AT
from webapp.config import normalise_database_url
from webapp.extensions import db, make_engine
from webapp.migrate import upgrade
from webapp.models import Appointment, Role, SessionRecord, SessionRecordVersion, User
from webapp.sessions import services

RACERS = 8
SAVED_AT = STARTS_AT + timedelta(minutes=55)
VALUES = {
    "clinical_notes": "First notes.",
    "therapy_type": "cbt",
    "appointment_type": "treatment",
    "step_of_care": "2",
    "contact_minutes": 50,
    "attendance_code": "4",  # (settles no charge: the race is the record's alone)
    "next_steps": "Review.",
}


@pytest.fixture
def committed_db(app: Any, tmp_path: Any) -> Iterator[Engine]:
    url = os.environ.get("TEST_DATABASE_URL")
    admin, schema = None, f"record_race_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    if url:
        url = normalise_database_url(url)
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / 'race.db'}"
    upgrade(url)
    engine = make_engine(url)
    db.bind(engine)
    yield engine
    db.session.remove()  # the per-test fixture puts its own binding back afterwards
    engine.dispose()
    if admin is not None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _seed(app: Any, *, saved: bool) -> tuple[int, int]:
    with app.app_context():
        session = db.session()
        therapist = User(
            email="racer-t@example.com", full_name="Racing Therapist", role=Role.THERAPIST
        )
        patient = User(email="racer-p@example.com", full_name="Racing Patient", role=Role.PATIENT)
        session.add_all([therapist, patient])
        session.flush()
        appointment = Appointment(
            patient_id=patient.id,
            therapist_id=therapist.id,
            starts_at=STARTS_AT,
            ends_at=STARTS_AT + timedelta(minutes=50),
        )
        session.add(appointment)
        session.commit()
        ids = appointment.id, therapist.id
        if saved:
            services.save_record(appointment, therapist, VALUES, now=SAVED_AT, shown="")
        db.session.remove()
        return ids


def _race(app: Any, appointment_id: int, therapist_id: int, shown: str) -> list[str]:
    barrier = threading.Barrier(RACERS)

    def attempt(n: int) -> str:
        with app.app_context():
            try:
                appointment = db.session.get(Appointment, appointment_id)
                therapist = db.session.get(User, therapist_id)
                values = {**VALUES, "clinical_notes": f"Notes from page {n}."}
                barrier.wait()
                services.save_record(
                    appointment, therapist, values, now=SAVED_AT + timedelta(days=1), shown=shown
                )
            except services.RecordChanged:
                return "refused"
            finally:
                db.session.remove()
            return "saved"

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return list(pool.map(attempt, range(RACERS)))


def _count(engine: Engine, model: Any) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model)) or 0


def test_racing_amendments_from_one_version_give_exactly_one(app, committed_db, clock):
    appointment_id, therapist_id = _seed(app, saved=True)
    results = _race(app, appointment_id, therapist_id, shown="1")
    assert sorted(results) == ["refused"] * (RACERS - 1) + ["saved"]
    assert _count(committed_db, SessionRecordVersion) == 1
    with committed_db.connect() as connection:
        assert connection.scalar(select(SessionRecord.version)) == 2


def test_racing_first_saves_give_one_record_and_no_error(app, committed_db, clock):
    appointment_id, therapist_id = _seed(app, saved=False)
    results = _race(app, appointment_id, therapist_id, shown="")
    assert sorted(results) == ["refused"] * (RACERS - 1) + ["saved"]
    assert (_count(committed_db, SessionRecord), _count(committed_db, SessionRecordVersion)) == (
        1,
        0,
    )
