"""Plain functions that make rows for tests (STYLE.md section 7)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

import pyotp
from sqlalchemy import func, select

from webapp.auth.passwords import hash_password
from webapp.booking.slots import SESSION_LENGTH
from webapp.extensions import db
from webapp.models import (
    AllowanceMovement,
    Appointment,
    CareEpisode,
    Credential,
    CredentialKind,
    EpisodeChange,
    GroupMessage,
    ItemKind,
    ModerationItem,
    MovementKind,
    PatientProfile,
    Referral,
    ReferralStatus,
    Role,
    TherapistProfile,
    User,
    WeeklyHours,
)
from webapp.pathway.episode import EpisodeState

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


def make_patient(
    *,
    access_ends_at: datetime | None = None,
    mobile: str | None = "+447700900123",
    sms: bool = True,
    email: bool = True,
    timezone: str = "Europe/London",
    sessions: int = 8,
    **overrides: Any,
) -> User:
    """A patient with a profile whose access period runs a year from 2020 unless told, funded
    for `sessions` sessions as an accepted referral is (SESSIONS_PER_REFERRAL)."""
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
    if sessions:
        db.session.add(
            AllowanceMovement(
                patient_id=user.id,
                kind=MovementKind.GRANT,
                sessions=sessions,
                reason_code="referral",
                occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
            )
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


def make_episode(
    patient: User | None = None,
    therapist: User | None = None,
    *,
    state: EpisodeState = EpisodeState.WAITING_FOR_ASSESSMENT,
    opened_at: datetime | None = None,
    **overrides: Any,
) -> CareEpisode:
    """An accepted referral's care episode (with its opening change), the therapist's by default.

    `therapist=None` makes a therapist; pass `therapist=False` for an episode with none yet."""
    patient = patient or make_patient()
    if therapist is None:
        therapist = make_therapist()
    opened_at = opened_at or datetime.now(UTC) - timedelta(days=30)
    referral = make_referral(
        status=ReferralStatus.ACCEPTED,
        patient_id=patient.id,
        received_at=opened_at - timedelta(days=7),
        decided_at=opened_at,
    )
    episode = CareEpisode(
        referral_id=referral.id,
        patient_id=patient.id,
        therapist_id=therapist.id if therapist else None,
        state=state,
        opened_at=opened_at,
        **overrides,
    )
    db.session.add(episode)
    db.session.flush()
    db.session.add(
        EpisodeChange(
            episode_id=episode.id,
            from_state=None,
            to_state=EpisodeState.WAITING_FOR_ASSESSMENT,
            changed_at=opened_at,
        )
    )
    db.session.commit()
    return episode


def make_group_alert(meeting_id: int, sender_id: int, **alert: Any) -> ModerationItem:
    """A member's held clinical-risk message in a group meeting (numbered after the meeting's
    last) and its alert in the moderation queue, flushed."""
    last = db.session.scalar(
        select(func.max(GroupMessage.sequence)).where(GroupMessage.occurrence_id == meeting_id)
    )
    message = GroupMessage(
        occurrence_id=meeting_id,
        sequence=(last or 0) + 1,
        sender_id=sender_id,
        client_id=f"risk-{next(_numbers)}",
        body="text",
        is_held=True,
        is_clinical_risk=True,
    )
    db.session.add(message)
    db.session.flush()
    item = ModerationItem(
        group_message_id=message.id,
        kind=ItemKind.ALERT,
        is_clinical_risk=True,
        rule_ids=[],
        **alert,
    )
    db.session.add(item)
    db.session.flush()
    return item
