"""Read-only: a patient's own safety plan. There is no id in the URL: a patient only ever
reaches their own plan, so nobody else's can be asked for."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import SafetyPlan


def plan_for_patient(patient_id: int) -> SafetyPlan | None:
    return db.session.get(SafetyPlan, patient_id)
