"""Plain functions that make rows for tests (STYLE.md section 7)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pyotp

from webapp.auth.passwords import hash_password
from webapp.booking.slots import SESSION_LENGTH
from webapp.extensions import db
from webapp.models import Appointment, Role, TherapistProfile, User

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
