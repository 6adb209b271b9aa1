"""Read-only queries for a therapist's own pages: their availability and their sessions.

The therapist's id comes first and is filtered on, so another therapist's row is a 404.
The day view and appointments come from `webapp.booking.queries` (one place for appointments).
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AvailabilityException, TherapistPhoto, TherapistProfile, WeeklyHours


def weekly_hours(therapist_id: int) -> list[WeeklyHours]:
    """The therapist's own weekly hours, Monday first."""
    return list(
        db.session.scalars(
            select(WeeklyHours)
            .where(WeeklyHours.therapist_id == therapist_id)
            .order_by(WeeklyHours.weekday, WeeklyHours.starts_at)
        )
    )


def exceptions(therapist_id: int, *, since: object) -> list[AvailabilityException]:
    """The therapist's own leave and extra hours that have not ended."""
    return list(
        db.session.scalars(
            select(AvailabilityException)
            .where(
                AvailabilityException.therapist_id == therapist_id,
                AvailabilityException.ends_at > since,
            )
            .order_by(AvailabilityException.starts_at)
        )
    )


def weekly_block_for_therapist(therapist_id: int, block_id: int) -> WeeklyHours:
    block = db.session.scalar(
        select(WeeklyHours).where(
            WeeklyHours.id == block_id, WeeklyHours.therapist_id == therapist_id
        )
    )
    if block is None:
        abort(404)
    return block


def exception_for_therapist(therapist_id: int, exception_id: int) -> AvailabilityException:
    row = db.session.scalar(
        select(AvailabilityException).where(
            AvailabilityException.id == exception_id,
            AvailabilityException.therapist_id == therapist_id,
        )
    )
    if row is None:
        abort(404)
    return row


def profile(therapist_id: int) -> TherapistProfile | None:
    """The therapist's own public profile (None until they write one)."""
    return db.session.get(TherapistProfile, therapist_id)


def has_photo(therapist_id: int) -> bool:
    """Whether the therapist has uploaded a photo of their own."""
    return db.session.get(TherapistPhoto, therapist_id) is not None
