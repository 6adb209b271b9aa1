"""`flask seed-demo` shows booking: availability, credentials (one lapsed), patients' profiles
and past and future appointments, made once however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from webapp.auth import passwords
from webapp.booking import queries
from webapp.clinical import queries as clinical_queries
from webapp.extensions import db
from webapp.models import Appointment, Credential, PatientProfile, User, WeeklyHours


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Appointment, Credential, WeeklyHours, PatientProfile)
    )


def test_the_demo_world_has_bookable_therapists_and_appointments_once(app, monkeypatch):
    # Nobody signs in here, so skip argon2's deliberate slowness (test_cli checks the accounts).
    monkeypatch.setattr(passwords, "hash_password", lambda password: "not-a-real-hash")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = counts()
    # 7 booked or attended (the chat demo's past session is one of them) and the finished
    # care episode's 5
    assert first == (12, 24, 17, 6)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert counts() == first
    with app.test_request_context():
        patient = db.session.scalar(select(User).where(User.email == "patient@demo.example.org"))
        names = [
            card.profile.display_name
            for card in queries.therapists_for_patient(
                patient.id, queries.TherapistFilters(), now=datetime.now(UTC)
            )
        ]
        assert "Yusuf Ahmed" not in names and "Priya Nair" in names
        flagged = clinical_queries.flagged_bookings(0, now=datetime.now(UTC))
        assert [a.therapist.full_name for a in flagged] == ["Yusuf Ahmed"]
