"""Write the patient's safety plan: one transaction, with an audit row that says it changed
(never what it says)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from content import safety_plan
from webapp import audit
from webapp.extensions import db
from webapp.models import SafetyPlan, User
from webapp.safety_plan import queries


def save_plan(patient: User, answers: Mapping[str, object], *, now: datetime) -> SafetyPlan:
    cleaned = safety_plan.clean_plan(answers)  # ValueError: nothing is saved
    with db.transaction():
        plan = queries.plan_for_patient(patient.id)
        if plan is None:
            plan = SafetyPlan(patient_id=patient.id, created_at=now)
            db.session.add(plan)
        for key, text in cleaned.items():
            setattr(plan, key, text)
        plan.updated_at = now
        audit.record(
            "safety_plan.saved",
            actor=patient,
            subject_type="safety_plan",
            subject_id=patient.id,
            patient_id=patient.id,
        )
    return plan
