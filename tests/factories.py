"""Plain functions that make rows for tests (STYLE.md section 7)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

import pyotp

from webapp.auth.passwords import hash_password
from webapp.extensions import db
from webapp.models import (
    Credential,
    CredentialKind,
    PatientProfile,
    Role,
    TherapistProfile,
    User,
    WeeklyHours,
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


def make_patient(
    *,
    access_ends_at: datetime | None = None,
    mobile: str | None = "+447700900123",
    sms: bool = True,
    email: bool = True,
    timezone: str = "Europe/London",
    **overrides: Any,
) -> User:
    """A patient with a profile whose access period runs a year from 2020 unless told."""
    user = make_user(Role.PATIENT, **overrides)
    user.patient_profile = PatientProfile(
        date_of_birth=date(1990, 1, 1),
        postcode="LS1 4AP",
        mobile_e164=mobile,
        sms_reminders=sms,
        email_reminders=email,
        timezone=timezone,
        access_starts_at=datetime(2020, 1, 1, tzinfo=UTC),
        access_ends_at=access_ends_at or datetime(2030, 1, 1, tzinfo=UTC),
    )
    db.session.commit()
    return user


def give_credentials(
    therapist: User, *, expires_on: date = date(2030, 1, 1), skip: tuple[CredentialKind, ...] = ()
) -> None:
    for kind in CredentialKind:
        if kind in skip:
            continue
        db.session.add(
            Credential(
                therapist_id=therapist.id,
                kind=kind,
                body="BABCP" if kind is CredentialKind.REGISTRATION else "",
                reference=f"{kind.value}-{therapist.id}",
                expires_on=expires_on,
            )
        )
    db.session.commit()


def make_bookable_therapist(
    *,
    hours: tuple[tuple[int, time, time], ...] = tuple((d, time(9), time(17)) for d in range(7)),
    expires_on: date = date(2030, 1, 1),
    **overrides: Any,
) -> User:
    """A therapist with every credential and weekly hours (every day 09:00-17:00 by default)."""
    therapist = make_therapist(**overrides)
    give_credentials(therapist, expires_on=expires_on)
    for weekday, start, end in hours:
        db.session.add(
            WeeklyHours(therapist_id=therapist.id, weekday=weekday, starts_at=start, ends_at=end)
        )
    db.session.commit()
    return therapist
