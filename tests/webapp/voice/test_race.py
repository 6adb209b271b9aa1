"""One member sends the same poll response from eight tabs at once: exactly one is counted, on
SQLite and on PostgreSQL. Outside the per-test transaction, as the booking race is (each thread
has its own session and connection against a committed database)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.webapp.booking.test_concurrency import committed_db, committed_engine  # noqa: F401
from webapp.extensions import db
from webapp.models import (
    CommunityMember,
    Consultation,
    ConsultationKind,
    ConsultationOption,
    ConsultationResponse,
    PatientProfile,
    Role,
    User,
)
from webapp.voice import services

TABS = 8


def _seed() -> tuple[int, int, int]:
    session = db.session()
    now = datetime.now(UTC)
    moderator = User(email="mod-race@example.com", full_name="Mod Race", role=Role.MODERATOR)
    patient = User(email="voter-race@example.com", full_name="Voter Race", role=Role.PATIENT)
    session.add_all([moderator, patient])
    session.flush()
    session.add(
        PatientProfile(
            user_id=patient.id,
            date_of_birth=date(1990, 1, 1),
            postcode="LS1 4AP",
            access_starts_at=now - timedelta(days=1),
            access_ends_at=now + timedelta(days=100),
        )
    )
    session.add(
        CommunityMember(user_id=patient.id, handle="race-voter", house_rules_accepted_at=now)
    )
    consultation = Consultation(
        kind=ConsultationKind.POLL,
        title="Race",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        created_by_id=moderator.id,
        options=[
            ConsultationOption(position=0, label="A"),
            ConsultationOption(position=1, label="B"),
        ],
    )
    session.add(consultation)
    session.commit()
    ids = patient.id, consultation.id, consultation.options[0].id
    db.session.remove()
    return ids


def test_eight_simultaneous_responses_from_one_member_count_once(
    app: Any,
    committed_db: Any,  # noqa: F811  - the booking race's fixture, imported above
) -> None:
    with app.app_context():
        member_id, consultation_id, option_id = _seed()
    barrier = threading.Barrier(TABS)

    def attempt(_: int) -> str:
        with app.test_request_context():
            try:
                member = db.session.get(CommunityMember, member_id)
                consultation = db.session.get(Consultation, consultation_id)
                barrier.wait()
                services.respond_to_poll(member, consultation, [option_id], now=datetime.now(UTC))
            except services.Refused:
                return "refused"
            finally:
                db.session.remove()
            return "counted"

    with ThreadPoolExecutor(max_workers=TABS) as pool:
        results = list(pool.map(attempt, range(TABS)))
    assert results.count("counted") == 1
    assert results.count("refused") == TABS - 1
    with committed_db.connect() as connection:
        assert connection.scalar(select(func.count(ConsultationResponse.id))) == 1
