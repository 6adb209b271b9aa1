"""Read-only queries for self-help. A patient sees only their own worksheets and access period;
another patient's worksheet id is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select

import content
from content.document import Document
from content.library import topics_from_measures
from webapp.extensions import db
from webapp.models import PatientProfile, QuestionnaireResponse, Referral, SavedWorksheet


@dataclass(frozen=True)
class Access:
    """Where a patient is in their access period to self-help and the community."""

    state: str  # "active", "not_started", "ended" or "none" (no patient profile)
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @property
    def has_access(self) -> bool:
        return self.state == "active"


def access_for_patient(patient_id: int, now: datetime) -> Access:
    """The patient's own access period, from their PatientProfile (none: no access)."""
    profile = db.session.get(PatientProfile, patient_id)
    if profile is None:
        return Access("none")
    if profile.has_access(now):
        state = "active"
    elif now < profile.access_starts_at:
        state = "not_started"
    else:
        state = "ended"
    return Access(state, profile.access_starts_at, profile.access_ends_at)


def module(slug: str) -> Document:
    try:
        return content.get(slug)
    except KeyError:
        abort(404)


def _latest_completed(patient_id: int, code: str) -> QuestionnaireResponse | None:
    return db.session.scalar(
        select(QuestionnaireResponse)
        .where(
            QuestionnaireResponse.patient_id == patient_id,
            QuestionnaireResponse.instrument == code,
            QuestionnaireResponse.completed_at.is_not(None),
        )
        .order_by(QuestionnaireResponse.completed_at.desc())
        .limit(1)
    )


# The referral's "type of issue" (webapp.referral.codes.ISSUE_TYPES) as content topics.
TOPIC_FOR_ISSUE = {
    "low_mood": "low mood",
    "worry": "worry",
    "stress": "stress",
    "panic": "panic",
    "social_anxiety": "worry",
    "phobia": "panic",
    "ocd": "worry",
    "trauma": "stress",
    "health_anxiety": "worry",
    "long_term_condition": "stress",
}


def topics_wanted(patient_id: int) -> list[str]:
    """What this patient wants help with, as `content` topic names: first what they asked for
    at referral, then what their latest questionnaires suggest."""
    issue = db.session.scalar(
        select(Referral.issue_type)
        .where(Referral.patient_id == patient_id)
        .order_by(Referral.received_at.desc())
        .limit(1)
    )
    asked = [TOPIC_FOR_ISSUE[issue]] if issue in TOPIC_FOR_ISSUE else []
    phq9 = _latest_completed(patient_id, "phq9")
    gad7 = _latest_completed(patient_id, "gad7")
    phobia = _latest_completed(patient_id, "phobia")
    panic = phobia.answers.get("panic_agoraphobia") if phobia is not None else None
    return asked + topics_from_measures(
        depression=bool(phq9 is not None and phq9.caseness),
        anxiety=bool(gad7 is not None and gad7.caseness),
        panic_avoidance=int(panic) if panic is not None else None,
    )


def suggested_modules(patient_id: int) -> list[Document]:
    """Modules matched to what the patient asked for help with, then the default set."""
    return content.suggest(topics_wanted(patient_id))


def worksheets_for_patient(patient_id: int, code: str | None = None) -> list[SavedWorksheet]:
    """The patient's own saved worksheets (of one kind, if given), latest first."""
    query = select(SavedWorksheet).where(SavedWorksheet.patient_id == patient_id)
    if code is not None:
        query = query.where(SavedWorksheet.code == code)
    return list(db.session.scalars(query.order_by(SavedWorksheet.updated_at.desc())))


def worksheet_for_patient(patient_id: int, worksheet_id: int) -> SavedWorksheet:
    """One of the patient's own worksheets; anyone else's is a 404."""
    worksheet = db.session.scalar(
        select(SavedWorksheet).where(
            SavedWorksheet.id == worksheet_id, SavedWorksheet.patient_id == patient_id
        )
    )
    if worksheet is None:
        abort(404)
    return worksheet


def for_home_page(patient_id: int, now: datetime) -> dict[str, object]:
    """What the patient's home page needs for `library/_access_notice.html` and
    `library/_suggested.html`: the access period, and suggestions only while it is open."""
    access = access_for_patient(patient_id, now)
    suggested = suggested_modules(patient_id) if access.has_access else []
    return {"access": access, "suggested_modules": suggested}
