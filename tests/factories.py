"""Plain functions that make rows for tests (STYLE.md section 7)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pyotp

from webapp.auth.passwords import hash_password
from webapp.booking.slots import SESSION_LENGTH
from webapp.extensions import db
from webapp.models import (
    Appointment,
    PatientProfile,
    Referral,
    ReferralStatus,
    Role,
    TherapistProfile,
    User,
)

PASSWORD = "a-long-test-passphrase"
_numbers = itertools.count(1)


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash the shared password once


def make_user(role: Role = Role.PATIENT, **overrides: Any) -> User:
    number = next(_numbers)
    values: dict[str, Any] = {
        "email": f"{role.value}{number}@example.com",
        "full_name": f"Test {role.label} {number}",
        "role": role,
        "password_hash": _password_hash(),
    }
    if role.is_staff:
        values["totp_secret"] = pyotp.random_base32()
        values["totp_confirmed_at"] = datetime.now(UTC)
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.commit()
    return user


def make_therapist(**overrides: Any) -> User:
    user = make_user(Role.THERAPIST, **overrides)
    user.therapist_profile = TherapistProfile(
        display_name=user.full_name, languages=["English"], approaches=["CBT"]
    )
    db.session.commit()
    return user


def make_appointment(
    patient: User | None = None,
    therapist: User | None = None,
    *,
    starts_at: datetime | None = None,
    **overrides: Any,
) -> Appointment:
    """A booked appointment starting in an hour unless told otherwise."""
    patient = patient or make_user(Role.PATIENT)
    therapist = therapist or make_therapist()
    starts_at = starts_at or (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    appointment = Appointment(
        patient_id=patient.id,
        therapist_id=therapist.id,
        starts_at=starts_at,
        ends_at=starts_at + SESSION_LENGTH,
        **overrides,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment


def make_referral(**overrides: Any) -> Referral:
    """A complete self-referral waiting in the staff queue."""
    number = next(_numbers)
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "reference": f"TT-T{number:05d}"[:9],
        "source_code": "B1",
        "received_at": now,
        "completed_at": now,
        "status": ReferralStatus.RECEIVED,
        "full_name": f"Referred Person {number}",
        "date_of_birth": date(1990, 1, 1) + timedelta(days=number),
        "email": f"referred{number}@example.com",
        "mobile_e164": "+447700900123",
        "postcode": "LS1 4AP",
        "gp_practice": "Park Surgery",
        "issue_type": "worry",
        "gender": "2",
        "ethnicity": "A",
        "sexual_orientation": "Z",
        "disability": "N",
        "religion": "N",
        "long_term_condition": "N",
        "living_status": "02",
        "employment_status": "01",
        "heard_about": "gp",
        "consent_given_at": now,
        "privacy_notice_version": "2026-11",
        "sms_reminders": True,
        "email_reminders": True,
        "language": "English",
    }
    values.update(overrides)
    referral = Referral(**values)
    db.session.add(referral)
    db.session.commit()
    return referral


def make_patient(**overrides: Any) -> User:
    """A patient with a profile whose access period runs from yesterday for a year."""
    user = make_user(Role.PATIENT, **overrides)
    now = datetime.now(UTC)
    user.patient_profile = PatientProfile(
        date_of_birth=date(1990, 5, 17),
        postcode="LS6 2AB",
        mobile_e164="+447700900111",
        access_starts_at=now - timedelta(days=1),
        access_ends_at=now + timedelta(days=365),
    )
    db.session.commit()
    return user
