"""Read-only referral queries for staff, on a need-to-know basis.

The clinical lead triages (DOMAIN.md section 1 gives no one else a part in it), so they see the
queue and every referral. A therapist sees only the referrals of patients they look after: one
whose care episode they are responsible for, or whom they have an appointment with; any other
referral is a 404. Each view of one referral's details is audited by the view that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort
from sqlalchemy import false, func, or_, select, true, union

from webapp.extensions import db
from webapp.models import (
    Appointment,
    CareEpisode,
    PatientProfile,
    Referral,
    ReferralStatus,
    Role,
    User,
)


@dataclass(frozen=True)
class Duplicate:
    """Another referral or an existing patient who may be the same person, and why."""

    why: str  # "same date of birth and postcode" or "same email address"
    referral: Referral | None = None
    patient: User | None = None


def _visible_to(staff: User) -> Any:
    """The where-clause limiting referrals to those this member of staff may read."""
    if staff.role is Role.CLINICAL_LEAD:
        return true()
    if staff.role is Role.THERAPIST:
        their_patients = union(
            select(CareEpisode.patient_id).where(CareEpisode.therapist_id == staff.id),
            select(Appointment.patient_id).where(Appointment.therapist_id == staff.id),
        )
        return Referral.patient_id.in_(their_patients)
    return false()


def queue_for_staff(staff: User, status: ReferralStatus) -> list[Referral]:
    """Referrals with this status that this member of staff may read (every one for the clinical
    lead), new ones oldest first (the waiting time runs from `received_at`), decided ones most
    recently decided first."""
    order = Referral.received_at.asc() if not status.is_decided else Referral.decided_at.desc()
    return list(
        db.session.scalars(
            select(Referral)
            .where(Referral.status == status, _visible_to(staff))
            .order_by(order, Referral.id)
        )
    )


def referral_for_staff(staff: User, referral_id: int) -> Referral:
    """One referral this member of staff may read: any for the clinical lead, their own
    patients' for a therapist; 404 otherwise, as when there is no such referral."""
    referral = db.session.scalar(
        select(Referral).where(Referral.id == referral_id, _visible_to(staff))
    )
    if referral is None:
        abort(404)
    return referral


def likely_duplicates(referral: Referral) -> list[Duplicate]:
    """Other referrals and existing patients with the same date of birth and postcode, or
    the same email address (ignoring case). Names are not compared: people spell and shorten
    them differently from one referral to the next."""
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


def patients_among(duplicates: list[Duplicate]) -> list[User]:
    """The existing patients a referral may be: those matched themselves, and the patients of
    matched referrals already linked to one; each once, in the order found."""
    found: dict[int, User] = {}
    for duplicate in duplicates:
        patient = duplicate.patient or (duplicate.referral.patient if duplicate.referral else None)
        if patient is not None and patient.role is Role.PATIENT:
            found.setdefault(patient.id, patient)
    return list(found.values())


def duplicate_counts(referrals: list[Referral]) -> dict[int, int]:
    """How many likely duplicates each referral in a queue page has."""
    return {referral.id: len(likely_duplicates(referral)) for referral in referrals}
