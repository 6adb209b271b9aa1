"""The allowance ledger and outcomes through the services: every row of the DOMAIN.md charging
table moves the ledger as it should, outcomes are idempotent and corrections reverse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_bookable_therapist, make_patient, make_referral, make_user
from tests.webapp.charges.conftest import NOW
from webapp.booking import services as booking
from webapp.charges import queries, services
from webapp.charges.services import ChargingError
from webapp.charging import Outcome
from webapp.extensions import db
from webapp.models import (
    AllowanceMovement,
    AppointmentStatus,
    AuditEvent,
    FailureFault,
    FailureStatus,
    Role,
)
from webapp.referral import services as referral_services

pytestmark = pytest.mark.usefixtures("clock", "app_context")

IN_THREE_DAYS = datetime(2026, 3, 26, 9, 0, tzinfo=UTC)
TOMORROW_9 = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # 25 hours after NOW
SOON = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)  # 4 hours after NOW


def movements(patient_id: int) -> list[tuple[str, int, str]]:
    rows = db.session.scalars(
        select(AllowanceMovement)
        .where(AllowanceMovement.patient_id == patient_id)
        .order_by(AllowanceMovement.id)
    )
    return [(m.kind.value, m.sessions, m.reason_code) for m in rows]


def booked(start: datetime = IN_THREE_DAYS):
    therapist, patient = make_bookable_therapist(), make_patient()
    appointment = booking.book_appointment(patient.id, therapist.id, start, now=NOW)
    return appointment, patient, therapist


def test_accepting_a_referral_funds_the_configured_sessions(app):
    referral, lead = make_referral(), make_user(Role.CLINICAL_LEAD)
    app.config["SESSIONS_PER_REFERRAL"] = 6
    try:
        with app.test_request_context():
            patient = referral_services.accept(referral, actor=lead, now=NOW)
    finally:
        app.config["SESSIONS_PER_REFERRAL"] = 8
    assert movements(patient.id) == [("grant", 6, "referral")]
    assert queries.sessions_left(patient.id) == 6


def test_a_booking_draws_one_session():
    _appointment, patient, _ = booked()
    assert movements(patient.id)[-1] == ("draw", -1, "booked")
    assert queries.sessions_left(patient.id) == 7


def test_a_patients_early_cancellation_is_not_charged_and_returns_its_funding():
    appointment, patient, _ = booked()
    booking.cancel_appointment(appointment.id, actor=patient, reason="", now=NOW)
    assert (appointment.charged, appointment.charge_reason) == (False, "patient_cancelled_early")
    assert movements(patient.id)[-1] == ("return", 1, "patient_cancelled_early")
    assert queries.sessions_left(patient.id) == 8


def test_a_patients_late_cancellation_is_charged_and_keeps_the_session_used():
    appointment, patient, _ = booked(TOMORROW_9)
    booking.cancel_appointment(
        appointment.id, actor=patient, reason="", now=NOW + timedelta(hours=1)
    )
    assert (appointment.charged, appointment.charge_reason) == (True, "patient_cancelled_late")
    assert appointment.attendance_code == "2"
    assert queries.sessions_left(patient.id) == 7


def test_cancelling_exactly_24_hours_ahead_is_charged():
    appointment, patient, _ = booked(TOMORROW_9)
    at = TOMORROW_9 - timedelta(hours=24)
    booking.cancel_appointment(appointment.id, actor=patient, reason="", now=at)
    assert appointment.charged is True and queries.sessions_left(patient.id) == 7


def test_a_provider_cancellation_is_not_charged_even_at_short_notice():
    appointment, patient, therapist = booked(TOMORROW_9)
    booking.cancel_appointment(appointment.id, actor=therapist, reason="Ill", now=NOW)
    assert (appointment.charged, appointment.charge_reason) == (False, "provider_cancelled")
    assert appointment.attendance_code == "4"
    assert queries.sessions_left(patient.id) == 8


@pytest.mark.parametrize(
    ("outcome", "charged", "code", "left"),
    [
        (Outcome.ATTENDED, True, "5", 7),
        (Outcome.PATIENT_DNA, True, "3", 7),
        (Outcome.THERAPIST_DNA, False, "4", 8),
        (Outcome.TECH_FAILURE_PROVIDER, False, "4", 8),
        (Outcome.TECH_FAILURE_PATIENT, True, "2", 7),
    ],
)
def test_each_outcome_is_charged_by_the_table_and_moves_the_ledger(outcome, charged, code, left):
    appointment, patient, therapist = booked()
    after = IN_THREE_DAYS + timedelta(hours=1)
    result = services.record_outcome(appointment, outcome, actor=therapist, now=after)
    assert result.changed and result.charged is charged
    assert appointment.charged is charged and appointment.attendance_code == code
    assert appointment.status is AppointmentStatus.CLOSED
    assert queries.sessions_left(patient.id) == left


def test_an_attended_late_patient_gets_code_6():
    appointment, _, therapist = booked()
    services.record_outcome(
        appointment, Outcome.ATTENDED, actor=therapist, now=IN_THREE_DAYS, late=True
    )
    assert appointment.attendance_code == "6" and appointment.charged is True


def test_recording_the_same_outcome_twice_changes_nothing():
    appointment, patient, therapist = booked()
    after = IN_THREE_DAYS + timedelta(hours=1)
    services.record_outcome(appointment, Outcome.THERAPIST_DNA, actor=therapist, now=after)
    audits = db.session.query(AuditEvent).count()
    again = services.record_outcome(appointment, "therapist_dna", actor=therapist, now=after)
    assert again.changed is False
    assert db.session.query(AuditEvent).count() == audits
    assert [m[0] for m in movements(patient.id)] == ["grant", "draw", "return"]


def test_changing_an_outcome_reverses_the_earlier_movement_with_a_reason():
    appointment, patient, therapist = booked()
    after = IN_THREE_DAYS + timedelta(hours=1)
    services.record_outcome(appointment, Outcome.THERAPIST_DNA, actor=therapist, now=after)
    services.record_outcome(appointment, Outcome.ATTENDED, actor=therapist, now=after)
    assert movements(patient.id)[-1] == ("return_reversed", -1, "outcome_changed")
    assert queries.sessions_left(patient.id) == 7
    services.record_outcome(appointment, Outcome.TECH_FAILURE_PROVIDER, actor=therapist, now=after)
    assert movements(patient.id)[-1] == ("return", 1, "outcome_changed")
    assert queries.sessions_left(patient.id) == 8
    services.record_outcome(appointment, Outcome.THERAPIST_DNA, actor=therapist, now=after)
    assert queries.sessions_left(patient.id) == 8  # both free: nothing more moves
    assert len(movements(patient.id)) == 5


def test_an_outcome_cannot_be_recorded_before_the_session_starts():
    appointment, _, therapist = booked()
    with pytest.raises(ChargingError, match="once the session has started"):
        services.record_outcome(appointment, Outcome.ATTENDED, actor=therapist, now=NOW)


def test_an_unknown_outcome_is_refused():
    appointment, _, therapist = booked()
    with pytest.raises(ChargingError):
        services.record_outcome(appointment, "cancelled", actor=therapist, now=IN_THREE_DAYS)


def test_an_early_reschedule_keeps_its_funding_without_a_second_draw():
    appointment, patient, _ = booked()
    new = booking.reschedule_appointment(
        appointment.id, IN_THREE_DAYS + timedelta(days=1), actor=patient, reason="", now=NOW
    )
    assert [m[0] for m in movements(patient.id)] == ["grant", "draw", "move"]
    assert queries.sessions_left(patient.id) == 7
    assert appointment.charged is None and new.charged is None


def test_a_late_patient_reschedule_is_charged_and_the_new_booking_draws_its_own():
    appointment, patient, _ = booked(SOON)
    booking.reschedule_appointment(
        appointment.id, TOMORROW_9 + timedelta(days=2), actor=patient, reason="", now=NOW
    )
    assert appointment.charged is True
    assert [m[0] for m in movements(patient.id)] == ["grant", "draw", "draw"]
    assert queries.sessions_left(patient.id) == 6


def test_a_late_reschedule_with_no_sessions_left_is_refused_and_keeps_the_booking():
    therapist, patient = make_bookable_therapist(), make_patient(sessions=1)
    appointment = booking.book_appointment(patient.id, therapist.id, SOON, now=NOW)
    with pytest.raises(booking.BookingError, match="used all the sessions"):
        booking.reschedule_appointment(
            appointment.id, TOMORROW_9 + timedelta(days=2), actor=patient, reason="", now=NOW
        )
    db.session.refresh(appointment)
    assert appointment.status is AppointmentStatus.BOOKED and appointment.charged is None


def test_the_clinical_lead_grants_more_sessions_with_a_reason():
    patient, lead = make_patient(sessions=0), make_user(Role.CLINICAL_LEAD)
    services.grant_sessions(patient, 3, reason="Agreed at review", actor=lead, now=NOW)
    assert movements(patient.id) == [("grant", 3, "granted")]
    assert db.session.query(AuditEvent).filter_by(action="allowance.granted").count() == 1


@pytest.mark.parametrize(("sessions", "reason"), [(0, "x"), (21, "x"), (2, "  ")])
def test_a_grant_needs_a_sensible_number_and_a_reason(sessions, reason):
    patient, lead = make_patient(), make_user(Role.CLINICAL_LEAD)
    with pytest.raises(ChargingError):
        services.grant_sessions(patient, sessions, reason=reason, actor=lead, now=NOW)


# --- technical failures ---------------------------------------------------------------------

AFTER = IN_THREE_DAYS + timedelta(minutes=10)


def report(appointment, actor, fault, **kwargs):
    return services.report_technical_failure(
        appointment,
        actor=actor,
        what_happened="The chat stopped",
        affected="both",
        fault=fault,
        now=AFTER,
        **kwargs,
    )


def test_the_therapists_record_of_who_was_at_fault_settles_a_failure():
    appointment, _patient, therapist = booked()
    failure = report(appointment, therapist, FailureFault.PATIENT)
    assert failure.status is FailureStatus.SETTLED
    assert appointment.outcome == "tech_failure_patient" and appointment.charged is True


def test_a_patients_report_alone_waits_for_the_therapist():
    appointment, patient, _therapist = booked()
    failure = report(appointment, patient, FailureFault.PROVIDER)
    assert failure.status is FailureStatus.OPEN and appointment.outcome is None


def test_server_evidence_makes_the_failure_the_providers_by_default():
    appointment, patient, therapist = booked()
    failure = report(appointment, therapist, FailureFault.PATIENT, server_evidence=True)
    assert failure.status is FailureStatus.SETTLED
    assert failure.decided_fault is FailureFault.PROVIDER
    assert appointment.charged is False and queries.sessions_left(patient.id) == 8


def test_a_disagreement_goes_to_the_clinical_lead_who_decides():
    appointment, patient, therapist = booked()
    report(appointment, patient, FailureFault.PROVIDER)
    failure = report(appointment, therapist, FailureFault.PATIENT)
    assert failure.status is FailureStatus.DISPUTED and appointment.outcome is None
    lead = make_user(Role.CLINICAL_LEAD)
    assert queries.disputes_for_lead(lead.id) == [failure]
    services.decide_dispute(failure, "provider", reason="Server logs", actor=lead, now=AFTER)
    assert failure.status is FailureStatus.SETTLED and appointment.charged is False
    assert db.session.query(AuditEvent).filter_by(action="technical_failure.decided").count() == 1
    with pytest.raises(ChargingError, match="already been decided"):
        services.decide_dispute(failure, "patient", reason="x", actor=lead, now=AFTER)


@pytest.mark.parametrize(
    ("text", "message"), [("", "Enter what happened"), ("x" * 501, "500 characters")]
)
def test_a_failure_report_needs_a_short_description(text, message):
    appointment, patient, _ = booked()
    with pytest.raises(ChargingError, match=message):
        services.report_technical_failure(
            appointment, actor=patient, what_happened=text, affected="patient", now=AFTER
        )


def test_only_the_sessions_people_can_report_a_failure():
    appointment, _, _ = booked()
    stranger = make_patient()
    with pytest.raises(ChargingError, match="Only the patient or the therapist"):
        report(appointment, stranger, FailureFault.PROVIDER)


def test_a_failure_cannot_be_reported_before_the_session():
    appointment, patient, _ = booked()
    with pytest.raises(ChargingError, match="once the session has started"):
        services.report_technical_failure(
            appointment, actor=patient, what_happened="x", affected="patient", now=NOW
        )


def test_an_outcome_recorded_directly_settles_an_open_dispute():
    appointment, patient, therapist = booked()
    report(appointment, patient, FailureFault.PROVIDER)
    failure = report(appointment, therapist, FailureFault.PATIENT)
    lead = make_user(Role.CLINICAL_LEAD)
    services.record_outcome(appointment, Outcome.TECH_FAILURE_PROVIDER, actor=lead, now=AFTER)
    assert failure.status is FailureStatus.SETTLED
    assert failure.decided_fault is FailureFault.PROVIDER and failure.decided_by_id == lead.id
    assert queries.disputes_for_lead(lead.id) == []
