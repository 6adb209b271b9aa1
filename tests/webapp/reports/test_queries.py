"""The commissioner's statement against the ledger: a month of generated, mixed activity through
the real services, and its totals must equal the ledger's sums."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import make_bookable_therapist, make_patient, make_user
from webapp.booking import services as booking
from webapp.charges import services as charges
from webapp.extensions import db
from webapp.models import AllowanceMovement, FailureFault, MovementKind, Role
from webapp.reports import queries

pytestmark = pytest.mark.usefixtures("clock", "app_context")

APRIL = datetime(2026, 4, 1, tzinfo=UTC)
MAY = datetime(2026, 5, 1, tzinfo=UTC)
KINDS = [
    "attended",
    "patient_dna",
    "therapist_dna",
    "tech_failure_provider",
    "tech_failure_patient",
    "cancel_early",
    "cancel_late",
    "provider_cancelled",
    "corrected",
]
EXPECTED_REASON = {
    "attended": "attended",
    "patient_dna": "patient_dna",
    "therapist_dna": "therapist_dna",
    "tech_failure_provider": "tech_failure_provider",
    "tech_failure_patient": "tech_failure_patient",
    "cancel_early": "patient_cancelled_early",
    "cancel_late": "patient_cancelled_late",
    "provider_cancelled": "provider_cancelled",
    "corrected": "therapist_dna",
}


def _resolve(kind: str, appointment, patient, therapist, lead) -> None:
    start = appointment.starts_at
    after = start + timedelta(hours=1)
    if kind == "cancel_early":
        booking.cancel_appointment(
            appointment.id, actor=patient, reason="", now=start - timedelta(days=2)
        )
    elif kind == "cancel_late":
        booking.cancel_appointment(
            appointment.id, actor=patient, reason="", now=start - timedelta(hours=3)
        )
    elif kind == "provider_cancelled":
        booking.cancel_appointment(
            appointment.id, actor=therapist, reason="Ill", now=start - timedelta(hours=3)
        )
    elif kind.startswith("tech_failure"):
        fault = FailureFault.PATIENT if kind.endswith("patient") else FailureFault.PROVIDER
        charges.report_technical_failure(
            appointment,
            actor=therapist,
            what_happened="Dropped",
            affected="both",
            fault=fault,
            now=after,
        )
    elif kind == "corrected":  # recorded as attended, then corrected to the therapist's no-show
        charges.record_outcome(appointment, "attended", actor=therapist, now=after)
        charges.record_outcome(appointment, "therapist_dna", actor=lead, now=after)
    else:
        charges.record_outcome(appointment, kind, actor=therapist, now=after)


def test_a_months_statement_reconciles_with_the_ledger():
    rng = random.Random(20260401)
    lead = make_user(Role.CLINICAL_LEAD)
    people = [(make_patient(), make_bookable_therapist()) for _ in range(6)]
    for patient, _ in people:
        charges.grant_sessions(patient, 4, reason="Stepped up", actor=lead, now=APRIL)
    expected: Counter[str] = Counter()
    bookings = 0
    for day in range(1, 25):
        for number, (patient, therapist) in enumerate(people):
            if (day + number) % 4:
                continue
            booked_at = APRIL + timedelta(days=day - 1, hours=5)
            start = APRIL + timedelta(days=day + 2, hours=10 + number)
            appointment = booking.book_appointment(patient.id, therapist.id, start, now=booked_at)
            bookings += 1
            kind = rng.choice(KINDS)
            expected[EXPECTED_REASON[kind]] += 1
            _resolve(kind, appointment, patient, therapist, lead)

    statement = queries.statement(lead.id, 2026, 4)

    assert {t.reason_code: t.sessions for t in statement.by_reason} == dict(expected)
    assert len(statement.sessions) == bookings == statement.charged + statement.not_charged
    in_month = (AllowanceMovement.occurred_at >= APRIL, AllowanceMovement.occurred_at < MAY)

    def ledger(*kinds: MovementKind) -> int:
        total = db.session.scalar(
            select(func.coalesce(func.sum(AllowanceMovement.sessions), 0)).where(
                *in_month, AllowanceMovement.kind.in_(kinds)
            )
        )
        return int(total)

    assert statement.funded == ledger(MovementKind.GRANT) == 24
    assert statement.used == -ledger(MovementKind.DRAW) == bookings
    assert statement.returned == ledger(MovementKind.RETURN, MovementKind.RETURN_REVERSED)
    assert statement.returned == statement.not_charged  # every free session gave its funding back
    net = ledger(*MovementKind)
    assert net == statement.funded - statement.used + statement.returned
    assert len(set(expected)) >= 6  # the month really was mixed


def test_an_empty_month_has_an_empty_statement():
    lead = make_user(Role.COMMISSIONER)
    statement = queries.statement(lead.id, 2026, 2)
    assert statement.sessions == () and statement.by_reason == ()
    assert (statement.funded, statement.used, statement.returned) == (0, 0, 0)


def test_an_impossible_month_is_refused():
    with pytest.raises(ValueError, match="no such statement month"):
        queries.statement(1, 2026, 13)
