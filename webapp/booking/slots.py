"""Bookable slots from a therapist's weekly hours, leave, extra hours and existing bookings.

Pure: values in, values out. No flask, no sqlalchemy and no other ``webapp`` module is imported
here; the booking feature's queries load the values and pass them in, with the current time.

A slot is 60 minutes: a 50-minute session plus 10 minutes for the therapist's notes and records
(DOMAIN.md section 1 and section 2, "Sessions"). Slots are returned as aware UTC datetimes (their
starts) but are laid out on the therapist's local wall clock (Europe/London by default), so the
clock changes never move a 09:00 slot: it is 09:00Z in winter (GMT) and 08:00Z in summer (BST).

Rules, in the order :func:`generate_slots` applies them:

- A weekly block (:class:`WeeklyHours`) gives slots at its start and every 60 minutes after, while
  the whole slot fits before the block's end; a remainder shorter than a slot is dropped, so
  09:00-11:30 gives 09:00 and 10:00. Blocks are wall-clock times within one day and cannot cross
  midnight.
- The night the clocks go forward, a slot whose wall-clock start does not exist (01:xx in the
  Europe/London gap) is skipped, and so is a slot that would run past its block's end in real
  time (a 00:30-02:00 block that night is only 30 real minutes long).
- The night the clocks go back, an ambiguous wall-clock start (01:xx happens twice) means its
  first occurrence (``fold=0``, still summer time). Each wall-clock start gives at most one slot,
  so the repeated hour never yields a duplicate.
- One-off extra hours (:class:`ExtraHours`) are real moments: they give a slot at their start and
  every 60 real minutes after, while the whole slot fits.
- A slot is removed when any part of it overlaps leave (:class:`Leave`) or an existing booking
  (each booking occupies one slot length from its start); when it starts outside
  ``[window_start, window_end)``; or when it starts before ``now + min_notice``.
- What remains is sorted and de-duplicated, and never offers two overlapping slots: where blocks
  overlap out of step (say weekly 09:00-12:00 and extra 10:30-13:30), the earliest slot wins and
  a slot that would overlap it is dropped (09:00, 10:00, 11:00, 12:30).

Intervals are half-open: leave ending at 10:00 does not remove the 10:00 slot.
"""

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import cast
from zoneinfo import ZoneInfo

# python-dateutil ships no type information and types-python-dateutil is not installed, so the
# import is untyped; rrule is used only to list the dates, which are typed on the way out.
from dateutil.rrule import WEEKLY, rrule  # type: ignore[import-untyped]

SESSION_LENGTH = timedelta(minutes=50)
"""Therapy time in a session (DOMAIN.md section 2)."""
RECORD_LENGTH = timedelta(minutes=10)
"""The therapist's preparation and records after each session (DOMAIN.md section 2)."""
SLOT_LENGTH = SESSION_LENGTH + RECORD_LENGTH
"""One bookable slot: 60 minutes."""

LONDON = ZoneInfo("Europe/London")

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time()


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _utc(value: datetime) -> datetime:
    # Work in UTC inside the module: aware datetimes that share a zone compare and subtract by
    # wall-clock time, which is wrong across a clock change; in UTC the two agree.
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """A weekly block of availability in the therapist's local wall-clock time.

    ``weekday`` is 0 for Monday to 6 for Sunday; ``start`` and ``end`` are naive times in the same
    day with ``start < end``.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday!r}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("weekly hours are wall-clock times and must not carry a tzinfo")
        if self.end <= self.start:
            raise ValueError(f"weekly hours must end after they start: {self.start}-{self.end}")


def _check_period(kind: str, start: datetime, end: datetime) -> None:
    _require_aware(f"{kind} start", start)
    _require_aware(f"{kind} end", end)
    if _utc(end) <= _utc(start):
        raise ValueError(f"{kind} must end after it starts: {start.isoformat()}-{end.isoformat()}")


@dataclass(frozen=True, slots=True)
class Leave:
    """A period, between two aware moments, in which no slot may fall (holiday, sickness)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _check_period("leave", self.start, self.end)


@dataclass(frozen=True, slots=True)
class ExtraHours:
    """One-off availability, between two aware moments, on top of the weekly hours."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _check_period("extra hours", self.start, self.end)


def _utc_offset(tz: tzinfo, wall: datetime) -> timedelta:
    """The offset ``tz`` gives a naive wall-clock time (fold=0, the first if ambiguous)."""
    # Not None: generate_slots has already called astimezone(tz), which raises ValueError for a
    # tzinfo that gives no offset. A direct lookup is several times faster than a conversion.
    return cast(timedelta, tz.utcoffset(wall))


def _weekly_starts(
    weekly: Iterable[WeeklyHours], first: date, last: date, tz: tzinfo
) -> list[datetime]:
    """UTC starts of the weekly slots on the local dates ``first`` to ``last``."""
    by_weekday: dict[int, list[WeeklyHours]] = {}
    for block in weekly:
        by_weekday.setdefault(block.weekday, []).append(block)
    if not by_weekday:
        # rrule treats an empty byweekday as "every day"; there is nothing to list anyway.
        return []
    starts: list[datetime] = []
    days = rrule(
        WEEKLY,
        dtstart=datetime.combine(first, _MIDNIGHT),
        until=datetime.combine(last, _MIDNIGHT),
        byweekday=tuple(by_weekday),
    )
    for occurrence in days:
        day_start: datetime = occurrence
        offset = _utc_offset(tz, day_start)
        # The same offset at both midnights means no clock change today (a zone changes its
        # clocks at most once a day), so wall-clock minus offset is UTC, without a zone lookup.
        is_plain_day = offset == _utc_offset(tz, day_start + _ONE_DAY)
        for block in by_weekday[day_start.weekday()]:
            if is_plain_day:
                start = datetime.combine(day_start, block.start, tzinfo=UTC) - offset
                end = datetime.combine(day_start, block.end, tzinfo=UTC) - offset
                while start + SLOT_LENGTH <= end:
                    starts.append(start)
                    start += SLOT_LENGTH
            else:
                starts.extend(_starts_on_change_day(day_start, block, tz))
    return starts


def _starts_on_change_day(day_start: datetime, block: WeeklyHours, tz: tzinfo) -> list[datetime]:
    """UTC starts of a weekly block's slots on a day the clocks change, stepping the wall clock."""
    starts: list[datetime] = []
    wall = datetime.combine(day_start, block.start)
    block_end = datetime.combine(day_start, block.end)
    while wall + SLOT_LENGTH <= block_end:
        start = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the first of an ambiguous pair
        is_real = start.astimezone(tz).replace(tzinfo=None) == wall  # False in the spring gap
        # ...and after the spring gap the slot may run past the block's end in real time.
        fits = (start + SLOT_LENGTH).astimezone(tz).replace(tzinfo=None) <= block_end
        if is_real and fits:
            starts.append(start)
        wall += SLOT_LENGTH
    return starts


def _extra_starts(extra: Iterable[ExtraHours]) -> list[datetime]:
    starts: list[datetime] = []
    for block in extra:
        start, end = _utc(block.start), _utc(block.end)
        while start + SLOT_LENGTH <= end:
            starts.append(start)
            start += SLOT_LENGTH
    return starts


def _merged(periods: Iterable[tuple[datetime, datetime]]) -> tuple[list[datetime], list[datetime]]:
    """Sorted, non-overlapping starts and ends covering the same time as ``periods``."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for start, end in sorted(periods):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def generate_slots(
    weekly: Iterable[WeeklyHours],
    *,
    window_start: datetime,
    window_end: datetime,
    leave: Iterable[Leave] = (),
    extra: Iterable[ExtraHours] = (),
    booked: Iterable[datetime] = (),
    tz: tzinfo = LONDON,
    now: datetime | None = None,
    min_notice: timedelta = timedelta(0),
) -> list[datetime]:
    """Sorted, unique, non-overlapping aware UTC starts of the bookable slots in the window.

    ``weekly`` is laid out on ``tz``'s wall clock (a PEP 495 zone such as ``ZoneInfo``; pytz zones
    are not supported); ``leave`` and ``booked`` (the starts of existing bookings) remove the
    slots they overlap; ``extra`` adds slots. With ``now``, slots starting
    before ``now + min_notice`` are removed. See the module docstring for the clock-change rules.

    Raises ``ValueError`` for a naive datetime, a window that does not end after it starts, a
    negative ``min_notice``, or a ``min_notice`` without ``now``.
    """
    _require_aware("window_start", window_start)
    _require_aware("window_end", window_end)
    first, last = _utc(window_start), _utc(window_end)
    if last <= first:
        raise ValueError("window_end must be after window_start")
    if min_notice < timedelta(0):
        raise ValueError(f"min_notice must not be negative, got {min_notice}")
    if now is None:
        if min_notice:
            raise ValueError("min_notice needs now to measure from")
    else:
        _require_aware("now", now)
        first = max(first, _utc(now) + min_notice)

    busy: list[tuple[datetime, datetime]] = [
        (_utc(period.start), _utc(period.end)) for period in leave
    ]
    for booking in booked:
        _require_aware("booked", booking)
        busy_start = _utc(booking)
        busy.append((busy_start, busy_start + SLOT_LENGTH))
    busy_starts, busy_ends = _merged(busy)

    # A day either side, so a zone whose clocks change at midnight cannot hide a slot whose local
    # date differs from the date of the window's edge; the window check below trims them.
    candidates = _weekly_starts(
        weekly,
        window_start.astimezone(tz).date() - _ONE_DAY,
        window_end.astimezone(tz).date() + _ONE_DAY,
        tz,
    )
    candidates.extend(_extra_starts(extra))
    candidates.sort()

    slots: list[datetime] = []
    # No earlier than the window, now + min_notice, or the end of the slot offered before.
    free_from = first
    for start in candidates:
        if start >= last:
            break  # candidates are sorted, so the rest are later still
        if start < free_from:
            continue
        end = start + SLOT_LENGTH
        # The last busy period starting before this slot ends is the only one that can overlap
        # it, because merged periods are sorted and do not overlap one another.
        index = bisect_left(busy_starts, end) - 1
        if index >= 0 and busy_ends[index] > start:
            continue
        slots.append(start)
        free_from = end
    return slots
