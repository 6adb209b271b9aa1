"""Read-only queries for the clinical lead: therapists' credentials, bookings whose therapist's
credentials lapse, and messages that could not be delivered. The clinical lead oversees every
therapist, so these are not filtered by an owner; patients' names appear only where the lead
must act on a booking."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import abort
from sqlalchemy import and_, or_, select

from webapp.booking.queries import credentials_valid_until, london_today
from webapp.extensions import db
from webapp.models import (
    Appointment,
    AppointmentStatus,
    Credential,
    CredentialKind,
    NotificationAttempt,
    NotificationStatus,
    Role,
    User,
)


@dataclass(frozen=True)
class CredentialStatus:
    kind: CredentialKind
    credential: Credential | None
    state: str  # "missing", "expired", "expiring" (within the warning period) or "valid"


@dataclass(frozen=True)
class TherapistCredentials:
    therapist: User
    statuses: list[CredentialStatus]

    @property
    def is_bookable(self) -> bool:
        return all(s.state in ("valid", "expiring") for s in self.statuses)


def _state(credential: Credential | None, today: date, warn_until: date) -> str:
    if credential is None:
        return "missing"
    if credential.expires_on < today:
        return "expired"
    if credential.expires_on <= warn_until:
        return "expiring"
    return "valid"


def credentials_overview(
    lead_id: int, *, now: datetime, warning_days: int
) -> list[TherapistCredentials]:
    """Every therapist's four credentials with their state, therapists with problems first."""
    today = london_today(now)
    warn_until = today + timedelta(days=warning_days)
    therapists = list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.THERAPIST, User.is_active_account.is_(True))
            .order_by(User.full_name)
        )
    )
    held: dict[int, dict[CredentialKind, Credential]] = defaultdict(dict)
    for credential in db.session.scalars(select(Credential)):
        held[credential.therapist_id][credential.kind] = credential
    rows = []
    for therapist in therapists:
        statuses = [
            CredentialStatus(kind, held[therapist.id].get(kind), "") for kind in CredentialKind
        ]
        statuses = [
            CredentialStatus(s.kind, s.credential, _state(s.credential, today, warn_until))
            for s in statuses
        ]
        rows.append(TherapistCredentials(therapist, statuses))
    order = {"missing": 0, "expired": 0, "expiring": 1, "valid": 2}
    return sorted(
        rows, key=lambda r: (min(order[s.state] for s in r.statuses), r.therapist.full_name)
    )


def flagged_bookings(lead_id: int, *, now: datetime) -> list[Appointment]:
    """Live future bookings whose therapist will not hold every credential on the day."""
    appointments = list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > now)
            .order_by(Appointment.starts_at)
        )
    )
    valid = credentials_valid_until({a.therapist_id for a in appointments})
    return [
        a
        for a in appointments
        if valid[a.therapist_id] is None or london_today(a.starts_at) > valid[a.therapist_id]  # type: ignore[operator]
    ]


def therapist_for_lead(lead_id: int, therapist_id: int) -> User:
    therapist = db.session.get(User, therapist_id)
    if therapist is None or therapist.role is not Role.THERAPIST:
        abort(404)
    return therapist


def failed_notifications(lead_id: int, *, limit: int = 100) -> list[NotificationAttempt]:
    """Messages about appointments that could not be delivered, newest first: those that
    failed for good and those refused once and waiting for another try."""
    return list(
        db.session.scalars(
            select(NotificationAttempt)
            .where(
                or_(
                    NotificationAttempt.status == NotificationStatus.FAILED,
                    and_(
                        NotificationAttempt.status == NotificationStatus.SCHEDULED,
                        NotificationAttempt.error.is_not(None),
                    ),
                )
            )
            .order_by(NotificationAttempt.attempted_at.desc())
            .limit(limit)
        )
    )
