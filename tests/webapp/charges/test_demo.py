"""`flask seed-demo` funds every demo patient and draws for their demo bookings, once."""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.auth import passwords
from webapp.charges import queries
from webapp.extensions import db
from webapp.models import AllowanceMovement, Appointment, User


def test_the_demo_patients_have_their_sessions_and_draws_once(app, monkeypatch):
    monkeypatch.setattr(passwords, "hash_password", lambda password: "not-a-real-hash")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rows = db.session.scalar(select(func.count()).select_from(AllowanceMovement))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(AllowanceMovement)) == rows
    patient = db.session.scalar(select(User).where(User.email == "patient@demo.example.org"))
    booked = db.session.scalar(
        select(func.count()).select_from(Appointment).where(Appointment.patient_id == patient.id)
    )
    assert queries.sessions_left(patient.id) == app.config["SESSIONS_PER_REFERRAL"] - booked
