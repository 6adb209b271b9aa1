"""Therapists' own writes: weekly hours, leave and extra hours, their profile and photo.

One write = one function = one transaction; the time is passed in (STYLE.md section 3). Every
function takes the therapist's id and changes only that therapist's rows. Wall-clock times are
Europe/London: weekly hours are stored as wall-clock times (so 09:00 stays 09:00 across the clock
changes); a leave or extra-hours period is converted to UTC here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import audit, london_datetime
from webapp.booking.slots import SLOT_LENGTH
from webapp.extensions import db
from webapp.models import (
    AvailabilityException,
    ExceptionKind,
    TherapistPhoto,
    TherapistProfile,
    User,
    WeeklyHours,
)
from webapp.therapy.photos import CONTENT_TYPE, prepare_photo

LONDON = ZoneInfo("Europe/London")


class AvailabilityError(ValueError):
    """A change the therapist can correct; the message is written for them."""


def london_moment(day: date, clock: time) -> datetime:
    """A UK wall-clock time as an aware datetime (the first of an ambiguous pair in autumn)."""
    return datetime.combine(day, clock, tzinfo=LONDON)


SLOT_MINUTES = int(SLOT_LENGTH.total_seconds() // 60)
# How far ahead time off or extra hours may end: further is almost always a mistyped year.
PLANNING_HORIZON = timedelta(days=730)


def _lock_therapist(session: Session, therapist_id: int) -> None:
    """Serialise one therapist's availability changes (a no-op lock on SQLite's one writer)."""
    session.execute(select(User.id).where(User.id == therapist_id).with_for_update())


def _minutes(starts_at: time, ends_at: time) -> int:
    return (ends_at.hour * 60 + ends_at.minute) - (starts_at.hour * 60 + starts_at.minute)


def spare_minutes(starts_at: time, ends_at: time) -> int:
    """Minutes at the end of a block of hours that hold no whole session slot."""
    return _minutes(starts_at, ends_at) % SLOT_MINUTES


def add_weekly_hours(therapist: User, weekday: int, starts_at: time, ends_at: time) -> WeeklyHours:
    if ends_at <= starts_at:
        raise AvailabilityError("The finish time must be after the start time")
    if _minutes(starts_at, ends_at) < SLOT_MINUTES:
        raise AvailabilityError(
            f"Weekly hours must be at least {SLOT_MINUTES} minutes long: each session takes 50 "
            "minutes and 10 for its record"
        )
    with db.transaction() as session:
        same_day = session.scalars(
            select(WeeklyHours).where(
                WeeklyHours.therapist_id == therapist.id, WeeklyHours.weekday == weekday
            )
        )
        if any(b.starts_at < ends_at and starts_at < b.ends_at for b in same_day):
            raise AvailabilityError("These hours overlap hours you already have on that day")
        block = WeeklyHours(
            therapist_id=therapist.id, weekday=weekday, starts_at=starts_at, ends_at=ends_at
        )
        session.add(block)
        session.flush()
        audit.record(
            "availability.weekly_added",
            actor=therapist,
            subject_type="weekly_hours",
            subject_id=block.id,
        )
    return block


def remove_weekly_hours(therapist: User, block: WeeklyHours) -> None:
    """`block` comes from `queries.weekly_block_for_therapist`, so it is the therapist's own."""
    with db.transaction() as session:
        audit.record(
            "availability.weekly_removed",
            actor=therapist,
            subject_type="weekly_hours",
            subject_id=block.id,
        )
        session.delete(block)


def add_exception(
    therapist: User, kind: ExceptionKind, starts_at: datetime, ends_at: datetime, *, now: datetime
) -> AvailabilityException:
    if ends_at <= starts_at:
        raise AvailabilityError("The end must be after the start")
    if ends_at <= now:
        raise AvailabilityError("The end must be in the future")
    if ends_at > now + PLANNING_HORIZON:
        raise AvailabilityError(
            "Check the dates: time off and extra hours can be planned up to 2 years ahead"
        )
    with db.transaction() as session:
        _lock_therapist(session, therapist.id)  # (two tabs adding the same leave at once)
        for other in session.scalars(
            select(AvailabilityException).where(
                AvailabilityException.therapist_id == therapist.id,
                AvailabilityException.starts_at < ends_at,
                AvailabilityException.ends_at > starts_at,
            )
        ):
            if other.kind is kind or kind is ExceptionKind.EXTRA:
                what = "time off" if other.kind is ExceptionKind.LEAVE else "extra hours"
                raise AvailabilityError(
                    f"This overlaps your {what} from {london_datetime(other.starts_at)} to "
                    f"{london_datetime(other.ends_at)}: change or remove that first"
                )
        row = AvailabilityException(
            therapist_id=therapist.id, kind=kind, starts_at=starts_at, ends_at=ends_at
        )
        session.add(row)
        session.flush()
        audit.record(
            f"availability.{kind.value}_added",
            actor=therapist,
            subject_type="availability_exception",
            subject_id=row.id,
        )
    return row


def remove_exception(therapist: User, row: AvailabilityException) -> None:
    """`row` comes from `queries.exception_for_therapist`, so it is the therapist's own."""
    with db.transaction() as session:
        audit.record(
            f"availability.{row.kind.value}_removed",
            actor=therapist,
            subject_type="availability_exception",
            subject_id=row.id,
        )
        session.delete(row)


def update_profile(therapist: User, **fields: object) -> TherapistProfile:
    with db.transaction() as session:
        profile = session.get(TherapistProfile, therapist.id)
        if profile is None:
            profile = TherapistProfile(user_id=therapist.id, display_name=therapist.full_name)
            session.add(profile)
        for name, value in fields.items():
            setattr(profile, name, value)
        audit.record(
            "therapist_profile.updated",
            actor=therapist,
            subject_type="therapist_profile",
            subject_id=therapist.id,
            detail={"fields": sorted(fields)},
        )
    return profile


def set_photo(therapist: User, upload: bytes, *, max_bytes: int, now: datetime) -> None:
    """Re-encode and store the therapist's photo (raises therapy.photos.PhotoError)."""
    data = prepare_photo(upload, max_bytes=max_bytes)
    with db.transaction() as session:
        photo = session.get(TherapistPhoto, therapist.id)
        if photo is None:
            photo = TherapistPhoto(therapist_id=therapist.id, content_type=CONTENT_TYPE, data=b"")
            session.add(photo)
        photo.data, photo.content_type, photo.uploaded_at = data, CONTENT_TYPE, now
        audit.record(
            "therapist_photo.uploaded",
            actor=therapist,
            subject_type="therapist_photo",
            subject_id=therapist.id,
        )


def remove_photo(therapist: User) -> None:
    with db.transaction() as session:
        photo = session.get(TherapistPhoto, therapist.id)
        if photo is not None:
            session.delete(photo)
            audit.record(
                "therapist_photo.removed",
                actor=therapist,
                subject_type="therapist_photo",
                subject_id=therapist.id,
            )
