"""Read-only referral queries for the staff queue (clinical lead and therapists only).

Every referral in the service is visible to these roles: triage is a shared queue, and each
view of one referral's details is audited by the view that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.models import PatientProfile, Referral, ReferralStatus, Role, User


@dataclass(frozen=True)
class Duplicate:
    """Another referral or an existing patient who may be the same person, and why."""

    why: str  # "same date of birth and postcode" or "same email address"
    referral: Referral | None = None
    patient: User | None = None


def queue_for_staff(staff_id: int, status: ReferralStatus) -> list[Referral]:
    """Referrals with this status for a member of staff's queue, oldest first (the waiting
    time runs from `received_at`). `staff_id` is the reader; every triage role sees them all."""
    del staff_id
    order = Referral.received_at.asc() if not status.is_decided else Referral.decided_at.desc()
    return list(
        db.session.scalars(select(Referral).where(Referral.status == status).order_by(order))
    )


def referral_for_staff(staff_id: int, referral_id: int) -> Referral:
    """One referral for a member of the triage roles; 404 when there is no such referral."""
    del staff_id
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        abort(404)
    return referral


def likely_duplicates(referral: Referral) -> list[Duplicate]:
    """Other referrals and existing patients with the same date of birth and postcode, or
    the same email address (ignoring case)."""
    found: list[Duplicate] = []
    email = referral.email.lower()
    others = db.session.scalars(
        select(Referral)
        .where(
            Referral.id != referral.id,
            or_(
                (Referral.date_of_birth == referral.date_of_birth)
                & (Referral.postcode == referral.postcode),
                func.lower(Referral.email) == email,
            ),
        )
        .order_by(Referral.received_at)
    )
    for other in others:
        if other.patient_id is not None and other.patient_id == referral.patient_id:
            continue
        same_email = other.email.lower() == email
        found.append(
            Duplicate(
                why=_why(
                    same_email,
                    other.date_of_birth == referral.date_of_birth
                    and other.postcode == referral.postcode,
                ),
                referral=other,
            )
        )
    patients = db.session.scalars(
        select(User)
        .outerjoin(PatientProfile, PatientProfile.user_id == User.id)
        .where(
            User.role == Role.PATIENT,
            or_(
                (PatientProfile.date_of_birth == referral.date_of_birth)
                & (PatientProfile.postcode == referral.postcode),
                func.lower(User.email) == email,
            ),
        )
        .order_by(User.id)
    )
    for patient in patients:
        if patient.id == referral.patient_id:
            continue
        profile = patient.patient_profile
        same_place = profile is not None and (
            profile.date_of_birth == referral.date_of_birth
            and profile.postcode == referral.postcode
        )
        found.append(
            Duplicate(why=_why(patient.email.lower() == email, same_place), patient=patient)
        )
    return found


def _why(same_email: bool, same_birth_and_postcode: bool) -> str:
    reasons = []
    if same_birth_and_postcode:
        reasons.append("same date of birth and postcode")
    if same_email:
        reasons.append("same email address")
    return " and ".join(reasons)


def duplicate_counts(referrals: list[Referral]) -> dict[int, int]:
    """How many likely duplicates each referral in a queue page has."""
    return {referral.id: len(likely_duplicates(referral)) for referral in referrals}
