"""Writes for worksheets: save (new or changed) and delete. Each is one transaction with an
audit row; the audit row says which kind of worksheet, never what it says."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from content import worksheets
from webapp import audit
from webapp.extensions import db
from webapp.models import SavedWorksheet, User


def save_worksheet(
    patient: User,
    code: str,
    answers: Mapping[str, object],
    *,
    now: datetime,
    worksheet: SavedWorksheet | None = None,
) -> SavedWorksheet:
    """Save a new worksheet, or the patient's changes to one of their own."""
    sheet = worksheets.get(code)
    cleaned = worksheets.clean_answers(sheet, answers)  # ValueError: nothing is saved
    if worksheet is not None and (worksheet.patient_id != patient.id or worksheet.code != code):
        raise ValueError("a patient can only change their own worksheet of the same kind")
    with db.transaction():
        if worksheet is None:
            worksheet = SavedWorksheet(patient_id=patient.id, code=code, created_at=now)
            db.session.add(worksheet)
        worksheet.answers = cleaned
        worksheet.updated_at = now
        db.session.flush()
        audit.record(
            "worksheet.saved",
            actor=patient,
            subject_type="worksheet",
            subject_id=worksheet.id,
            patient_id=patient.id,
            detail={"code": code},
        )
    return worksheet


def delete_worksheet(patient: User, worksheet: SavedWorksheet) -> None:
    if worksheet.patient_id != patient.id:
        raise ValueError("a patient can only delete their own worksheet")
    with db.transaction():
        audit.record(
            "worksheet.deleted",
            actor=patient,
            subject_type="worksheet",
            subject_id=worksheet.id,
            patient_id=patient.id,
            detail={"code": worksheet.code},
        )
        db.session.delete(worksheet)
