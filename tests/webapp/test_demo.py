"""The demo world: the demo patient can try self-help straight away."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from webapp.demo import demo_email
from webapp.extensions import db
from webapp.models import PatientProfile, SafetyPlan, SavedWorksheet, User


def test_seed_demo_gives_the_demo_patient_access_a_worksheet_and_a_safety_plan_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    patient = db.session.scalar(select(User).where(User.email == demo_email("patient")))
    profile = db.session.get(PatientProfile, patient.id)
    assert profile is not None and profile.has_access(datetime.now(UTC))
    worksheets = db.session.scalars(
        select(SavedWorksheet).where(SavedWorksheet.patient_id == patient.id)
    ).all()
    assert [w.code for w in worksheets] == ["worry-log"]
    assert "gas bill" in worksheets[0].answers["worry"]
    assert "Pepper" in db.session.get(SafetyPlan, patient.id).reasons_for_living
