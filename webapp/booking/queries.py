"""Read-only questions about therapists, their free slots and appointments.

Whose rows each function may return is in its docstring; the actor's id comes first and is
filtered on, so another person's appointment is a 404, never someone else's data. Slots come from
the pure `webapp.booking.slots.generate_slots`, fed with what is loaded here in a few queries
(weekly hours, exceptions and live bookings for every therapist asked about at once).

What other features keep, read here for the booking pages: `therapist_ratings` (the patients'
Session Rating Scale ratings), `questionnaires_complete` and each day's risk flags (the
questionnaires).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import abort, current_app
from sqlalchemy import func, select

from webapp.booking import slots as slot_rules
from webapp.extensions import db
from webapp.library import queries as library_queries
from webapp.library.queries import Access
from webapp.measures import queries as measures_queries
from webapp.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    Credential,
    CredentialKind,
    ExceptionKind,
    NotificationAttempt,
    NotificationKind,
    NotificationStatus,
    Role,
    SessionRating,
    TherapistPhoto,
    TherapistProfile,
    User,
    WeeklyHours,
)

LONDON = ZoneInfo("Europe/London")
MIN_RATINGS_SHOWN = 5
"""A therapist's rating is shown only once this many different patients have rated sessions."""
REQUIRED_CREDENTIALS = frozenset(CredentialKind)


# --- Credentials ----------------------------------------------------------------------------


def credentials_valid_until(therapist_ids: Iterable[int]) -> dict[int, date | None]:
    """The last day on which each therapist holds every required credential; None if any
    credential is missing. Anyone may ask: expiry dates are not private."""
    ids = list(therapist_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Credential.therapist_id, Credential.kind, Credential.expires_on).where(
            Credential.therapist_id.in_(ids)
        )
    )
    held: dict[int, dict[CredentialKind, date]] = defaultdict(dict)
    for therapist_id, kind, expires_on in rows:
        held[therapist_id][kind] = expires_on
    result: dict[int, date | None] = {}
    for therapist_id in ids:
        kinds = held.get(therapist_id, {})
        result[therapist_id] = min(kinds.values()) if set(kinds) >= REQUIRED_CREDENTIALS else None
    return result


def bookable_until(valid_until: date | None) -> datetime | None:
    """The first moment a therapist cannot be booked: midnight (UK) after their earliest expiry."""
    if valid_until is None:
        return None
    return datetime.combine(valid_until + timedelta(days=1), time(), tzinfo=LONDON)


def london_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def is_credentialed_on(valid_until: date | None, day: date) -> bool:
    return valid_until is not None and day <= valid_until


# --- Slots ------------------------------------------------------------------------------------


def _active_therapist_ids() -> list[int]:
    return list(
        db.session.scalars(
            select(User.id)
            .join(TherapistProfile, TherapistProfile.user_id == User.id)
            .where(User.role == Role.THERAPIST, User.is_active_account.is_(True))
        )
    )


def slots_by_therapist(
    therapist_ids: Sequence[int],
    *,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    ignore_appointment_id: int | None = None,
) -> dict[int, list[datetime]]:
    """Free slot starts (aware UTC) per therapist, in four queries whatever the number of
    therapists. Slots after a therapist's credentials expire are not offered, and a therapist
    without every credential has none. `ignore_appointment_id` frees that booking's slot (a
    reschedule may move a booking within its own hour)."""
    ids = list(therapist_ids)
    if not ids:
        return {}
    weekly: dict[int, list[slot_rules.WeeklyHours]] = defaultdict(list)
    for row in db.session.scalars(select(WeeklyHours).where(WeeklyHours.therapist_id.in_(ids))):
        weekly[row.therapist_id].append(
            slot_rules.WeeklyHours(row.weekday, row.starts_at, row.ends_at)
        )
    leave: dict[int, list[slot_rules.Leave]] = defaultdict(list)
    extra: dict[int, list[slot_rules.ExtraHours]] = defaultdict(list)
    exceptions = select(AvailabilityException).where(
        AvailabilityException.therapist_id.in_(ids),
        AvailabilityException.ends_at > window_start,
        AvailabilityException.starts_at < window_end,
    )
    for row in db.session.scalars(exceptions):
        if row.kind is ExceptionKind.LEAVE:
            leave[row.therapist_id].append(slot_rules.Leave(row.starts_at, row.ends_at))
        else:
            extra[row.therapist_id].append(slot_rules.ExtraHours(row.starts_at, row.ends_at))
    booked: dict[int, list[datetime]] = defaultdict(list)
    bookings = select(Appointment.therapist_id, Appointment.starts_at).where(
        Appointment.therapist_id.in_(ids),
        Appointment.status == AppointmentStatus.BOOKED,
        Appointment.starts_at > window_start - slot_rules.SLOT_LENGTH,
        Appointment.starts_at < window_end,
    )
    if ignore_appointment_id is not None:
        bookings = bookings.where(Appointment.id != ignore_appointment_id)
    for therapist_id, starts_at in db.session.execute(bookings):
        booked[therapist_id].append(starts_at)
    valid_until = credentials_valid_until(ids)
    min_notice: timedelta = current_app.config["BOOKING_MIN_NOTICE"]
    result: dict[int, list[datetime]] = {}
    for therapist_id in ids:
        until = bookable_until(valid_until[therapist_id])
        end = min(window_end, until) if until is not None else window_start
        if end <= window_start or (not weekly[therapist_id] and not extra[therapist_id]):
            result[therapist_id] = []
            continue
        result[therapist_id] = slot_rules.generate_slots(
            weekly[therapist_id],
            window_start=window_start,
            window_end=end,
            leave=leave[therapist_id],
            extra=extra[therapist_id],
            booked=booked[therapist_id],
            now=now,
            min_notice=min_notice,
        )
    return result


def booking_window(now: datetime) -> tuple[datetime, datetime]:
    days = int(current_app.config["BOOKING_WINDOW_DAYS"])
    return now, now + timedelta(days=days)


def free_slots(
    therapist_id: int,
    *,
    now: datetime,
    ignore_appointment_id: int | None = None,
    before: datetime | None = None,
) -> list[datetime]:
    """A therapist's free slots in the booking window (anyone who may book may see them), or
    only those starting before `before` (the end of the patient's access period)."""
    start, end = booking_window(now)
    if before is not None:
        end = min(end, before)
        if end <= start:
            return []
    return slots_by_therapist(
        [therapist_id],
        window_start=start,
        window_end=end,
        now=now,
        ignore_appointment_id=ignore_appointment_id,
    )[therapist_id]


def is_free_slot(
    therapist_id: int, starts_at: datetime, *, now: datetime, ignore_appointment_id: int | None
) -> bool:
    """Whether `starts_at` is one of the therapist's free slots right now (the service asks)."""
    start, end = booking_window(now)
    if not start <= starts_at < end:
        return False
    found = slots_by_therapist(
        [therapist_id],
        window_start=starts_at,
        window_end=starts_at + slot_rules.SLOT_LENGTH,
        now=now,
        ignore_appointment_id=ignore_appointment_id,
    )[therapist_id]
    return starts_at in found


def group_by_day(starts: Iterable[datetime], tz: ZoneInfo) -> list[tuple[date, list[datetime]]]:
    """Slots grouped by the local date they fall on, for the slot picker."""
    days: dict[date, list[datetime]] = defaultdict(list)
    for start in starts:
        days[start.astimezone(tz).date()].append(start)
    return sorted(days.items())


# --- Therapists as patients see them ----------------------------------------------------------


class Rating(NamedTuple):
    """(average Session Rating Scale total, number of ratings, number of patients who rated)."""

    average: float | None
    count: int
    patients: int = 0

    @property
    def is_shown(self) -> bool:
        return self.average is not None and self.patients >= MIN_RATINGS_SHOWN


def therapist_ratings(therapist_ids: Sequence[int]) -> dict[int, Rating]:
    """Each therapist's Session Rating Scale average total (0-40) and number of ratings, from
    every patient's ratings of their sessions, in one query (DOMAIN.md section 2: visible to all
    users as the therapist's rating). Shown only once `Rating.is_shown`, when enough different
    patients have rated: a few ratings say little, and could point to the patient who gave
    them."""
    found = {
        therapist_id: Rating(float(average), count, patients)
        for therapist_id, average, count, patients in db.session.execute(
            select(
                SessionRating.therapist_id,
                func.avg(SessionRating.total),
                func.count(),
                func.count(SessionRating.patient_id.distinct()),
            )
            .where(SessionRating.therapist_id.in_(therapist_ids))
            .group_by(SessionRating.therapist_id)
        )
    }
    return {tid: found.get(tid, Rating(average=None, count=0)) for tid in therapist_ids}


@dataclass(frozen=True)
class TherapistCard:
    profile: TherapistProfile
    next_slot: datetime | None
    rating: Rating
    has_photo: bool

    @property
    def therapist_id(self) -> int:
        return self.profile.user_id


@dataclass(frozen=True)
class TherapistFilters:
    gender: str = ""
    language: str = ""
    approach: str = ""
    step_of_care: str = ""

    def matches(self, profile: TherapistProfile) -> bool:
        return (
            (not self.gender or profile.gender == self.gender)
            and (not self.language or self.language in profile.languages)
            and (not self.approach or self.approach in profile.approaches)
            and (not self.step_of_care or profile.step_of_care == self.step_of_care)
        )


def _bookable_profiles(now: datetime) -> list[TherapistProfile]:
    """Profiles of active therapists who hold every credential today."""
    ids = _active_therapist_ids()
    valid = credentials_valid_until(ids)
    today = london_today(now)
    bookable = [i for i in ids if is_credentialed_on(valid[i], today)]
    if not bookable:
        return []
    return list(
        db.session.scalars(
            select(TherapistProfile)
            .where(TherapistProfile.user_id.in_(bookable))
            .order_by(TherapistProfile.display_name)
        )
    )


def filter_choices(now: datetime) -> dict[str, list[str]]:
    """The values the therapist filters offer: those that some bookable therapist has."""
    profiles = _bookable_profiles(now)
    return {
        "gender": sorted({p.gender for p in profiles if p.gender}),
        "language": sorted({lang for p in profiles for lang in p.languages}),
        "approach": sorted({a for p in profiles for a in p.approaches}),
        "step_of_care": sorted({p.step_of_care for p in profiles}),
    }


def therapists_for_patient(
    patient_id: int, filters: TherapistFilters, *, now: datetime
) -> list[TherapistCard]:
    """Bookable therapists matching the filters, soonest free first. A therapist with an
    expired or missing credential is not listed."""
    profiles = [p for p in _bookable_profiles(now) if filters.matches(p)]
    ids = [p.user_id for p in profiles]
    start, end = booking_window(now)
    slots = slots_by_therapist(ids, window_start=start, window_end=end, now=now)
    photos = set(
        db.session.scalars(
            select(TherapistPhoto.therapist_id).where(TherapistPhoto.therapist_id.in_(ids))
        )
    )
    ratings = therapist_ratings(ids)
    cards = [
        TherapistCard(
            profile=p,
            next_slot=slots[p.user_id][0] if slots[p.user_id] else None,
            rating=ratings[p.user_id],
            has_photo=p.user_id in photos,
        )
        for p in profiles
    ]
    far_future = now + timedelta(days=3650)
    return sorted(cards, key=lambda c: (c.next_slot or far_future, c.profile.display_name))


def therapist_for_patient(patient_id: int, therapist_id: int, *, now: datetime) -> TherapistCard:
    """One bookable therapist's card; 404 for anyone not bookable (unknown, inactive,
    not a therapist, or without every credential)."""
    profile = next((p for p in _bookable_profiles(now) if p.user_id == therapist_id), None)
    if profile is None:
        abort(404)
    has_photo = db.session.get(TherapistPhoto, therapist_id) is not None
    upcoming = free_slots(therapist_id, now=now)
    return TherapistCard(
        profile=profile,
        next_slot=upcoming[0] if upcoming else None,
        rating=therapist_ratings([therapist_id])[therapist_id],
        has_photo=has_photo,
    )


def photo(therapist_id: int) -> TherapistPhoto:
    """A therapist's photo, for anyone signed in who may browse therapists. Only photos of
    active therapists with a public profile are served; anything else is a 404."""
    row = db.session.execute(
        select(TherapistPhoto)
        .join(User, User.id == TherapistPhoto.therapist_id)
        .join(TherapistProfile, TherapistProfile.user_id == User.id)
        .where(
            TherapistPhoto.therapist_id == therapist_id,
            User.role == Role.THERAPIST,
            User.is_active_account.is_(True),
        )
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


# --- Appointments -----------------------------------------------------------------------------


def upcoming_for_patient(patient_id: int, *, now: datetime) -> list[Appointment]:
    """The patient's own live bookings that have not ended."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.ends_at > now,
            )
            .order_by(Appointment.starts_at)
        )
    )


def past_for_patient(patient_id: int, *, now: datetime, limit: int = 20) -> list[Appointment]:
    """The patient's own earlier, cancelled and moved appointments, newest first."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient_id,
                (Appointment.status != AppointmentStatus.BOOKED) | (Appointment.ends_at <= now),
            )
            .order_by(Appointment.starts_at.desc())
            .limit(limit)
        )
    )


def live_booking_of(patient_id: int, therapist_id: int, starts_at: datetime) -> Appointment | None:
    """The patient's own live booking with this therapist at this time, if they hold one."""
    return db.session.scalar(
        select(Appointment).where(
            Appointment.patient_id == patient_id,
            Appointment.therapist_id == therapist_id,
            Appointment.starts_at == starts_at,
            Appointment.status == AppointmentStatus.BOOKED,
        )
    )


@dataclass(frozen=True)
class BookingAccess:
    """Whether the patient may book now, and until when (the library's access period)."""

    access: Access
    ends_in_window: bool  # the period ends before the booking window does: later times hidden

    @property
    def is_open(self) -> bool:
        return self.access.has_access

    @property
    def before(self) -> datetime | None:
        """Offer only times that start before this (the service refuses any later)."""
        return self.access.ends_at


def booking_access_for_patient(patient_id: int, *, now: datetime) -> BookingAccess:
    """The patient's own access period as the booking pages show it."""
    access = library_queries.access_for_patient(patient_id, now)
    _start, window_end = booking_window(now)
    ends_in_window = (
        access.has_access and access.ends_at is not None and access.ends_at < window_end
    )
    return BookingAccess(access, ends_in_window)


def count_future_for_patient(patient_id: int, *, now: datetime) -> int:
    """How many live bookings the patient holds that have not started."""
    return (
        db.session.scalar(
            select(func.count(Appointment.id)).where(
                Appointment.patient_id == patient_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
        )
        or 0
    )


def appointment_for_patient(patient_id: int, appointment_id: int) -> Appointment:
    """The patient's own appointment; anyone else's is a 404."""
    appointment = db.session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id, Appointment.patient_id == patient_id
        )
    )
    if appointment is None:
        abort(404)
    return appointment


def appointment_for_therapist(therapist_id: int, appointment_id: int) -> Appointment:
    """One of the therapist's own appointments; another therapist's is a 404."""
    appointment = db.session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id, Appointment.therapist_id == therapist_id
        )
    )
    if appointment is None:
        abort(404)
    return appointment


def appointment_for_clinical_lead(lead_id: int, appointment_id: int) -> Appointment:
    """Any appointment: the clinical lead oversees every therapist's sessions."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        abort(404)
    return appointment


def questionnaires_complete(appointment: Appointment) -> bool:
    """Whether the patient has completed this session's pre-session questionnaires."""
    return measures_queries.is_pre_session_set_complete(appointment.id)


@dataclass(frozen=True)
class DaySession:
    appointment: Appointment
    questionnaires_complete: bool
    risk_flags: list[str]  # still to be read
    flags_read: int  # already acknowledged


def day_for_therapist(therapist_id: int, day: date) -> list[DaySession]:
    """The therapist's own live and closed sessions on one UK day, with their hooks."""
    start = datetime.combine(day, time(), tzinfo=LONDON)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=LONDON)
    appointments = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.therapist_id == therapist_id,
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.status.in_([AppointmentStatus.BOOKED, AppointmentStatus.CLOSED]),
        )
        .order_by(Appointment.starts_at)
    )
    sessions = []
    for appointment in appointments:
        flags = measures_queries.risk_flags_for_appointment(appointment.id)
        waiting = [flag.description for flag in flags if flag.acknowledged_at is None]
        sessions.append(
            DaySession(
                appointment,
                questionnaires_complete(appointment),
                waiting,
                len(flags) - len(waiting),
            )
        )
    return sessions


def booked_during_time_off(therapist_id: int, *, now: datetime) -> list[Appointment]:
    """The therapist's own live bookings still to come that fall in their time off (kept when
    the time off was added, for them to move or cancel), soonest first."""
    leave = AvailabilityException
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.therapist_id == therapist_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
                select(leave.id)
                .where(
                    leave.therapist_id == Appointment.therapist_id,
                    leave.kind == ExceptionKind.LEAVE,
                    leave.starts_at < Appointment.ends_at,
                    leave.ends_at > Appointment.starts_at,
                )
                .exists(),
            )
            .order_by(Appointment.starts_at)
        )
    )


def upcoming_for_therapist(
    therapist_id: int, *, now: datetime, limit: int = 50
) -> list[Appointment]:
    """The therapist's own live bookings not yet started (those they may still move)."""
    return list(
        db.session.scalars(
            select(Appointment)
            .where(
                Appointment.therapist_id == therapist_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .order_by(Appointment.starts_at)
            .limit(limit)
        )
    )


def pending_notifications(appointment_id: int) -> list[NotificationAttempt]:
    """Scheduled messages about one appointment (services cancel them when it moves)."""
    return list(
        db.session.scalars(
            select(NotificationAttempt).where(
                NotificationAttempt.appointment_id == appointment_id,
                NotificationAttempt.status == NotificationStatus.SCHEDULED,
            )
        )
    )


def notifications_for(
    appointment_id: int, kinds: Iterable[NotificationKind], *, lock: bool = False
) -> list[NotificationAttempt]:
    """Every message of these kinds about one appointment, whatever its status (`lock`: their
    rows locked for the caller's transaction, so a job cannot claim one meanwhile)."""
    statement = select(NotificationAttempt).where(
        NotificationAttempt.appointment_id == appointment_id,
        NotificationAttempt.kind.in_(list(kinds)),
    )
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(statement))


def zone(name: str) -> ZoneInfo:
    """A person's zone by IANA name, or UK time when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return LONDON
