"""Rules of group sessions: the weekly schedule in UK local time, a meeting room's clock, the
waiting list, attendance codes and the commissioner's charge.

Pure: values in, values out. No flask, no sqlalchemy and no other ``webapp`` module is imported
here (an import-linter contract enforces it); time is always passed in, as an aware datetime.

The schedule is kept as people think of it: "Tuesdays at 18:30, UK time, for six weeks". Each
meeting is that wall-clock time on its own date in Europe/London, so it stays at 18:30 across
the March and October clock changes (its UTC instant moves by an hour). A wall-clock time the
spring change skips (01:00-01:59 on the last Sunday of March) is moved forward by the gap
(01:30 becomes 02:30 BST); one the autumn change repeats is its first (BST) instance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
MAX_WEEKS = 52
MIN_DURATION_MINUTES = 30
MAX_DURATION_MINUTES = 120
MAX_CAPACITY = 30
FACILITATOR_EARLY = timedelta(minutes=10)
"""The room opens this long before the start for facilitators, at the start for members."""
LOCAL_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


# --- the schedule ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Every week on `first_date`'s weekday at `local_time` (UK), `weeks` times, each meeting
    lasting `duration`."""

    first_date: date
    local_time: time
    weeks: int
    duration: timedelta

    def __post_init__(self) -> None:
        if not 1 <= self.weeks <= MAX_WEEKS:
            raise ValueError(f"A group meets for 1 to {MAX_WEEKS} weeks.")
        minutes = self.duration.total_seconds() / 60
        if not MIN_DURATION_MINUTES <= minutes <= MAX_DURATION_MINUTES:
            raise ValueError(
                f"A meeting lasts {MIN_DURATION_MINUTES} to {MAX_DURATION_MINUTES} minutes."
            )
        if self.local_time.tzinfo is not None:
            raise ValueError("Give the time as UK wall-clock time, without a time zone.")


@dataclass(frozen=True, slots=True)
class Meeting:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def parse_local_time(value: str) -> time:
    """ "18:30" → time(18, 30); raises ValueError with a sentence a person can act on."""
    match = LOCAL_TIME.fullmatch(value.strip())
    if match is None:
        raise ValueError("Enter the time as hours and minutes on the 24-hour clock, like 18:30.")
    return time(int(match.group(1)), int(match.group(2)))


def london_to_utc(day: date, wall: time) -> datetime:
    """The UTC instant of a UK wall-clock time: a skipped time is moved forward by the gap, a
    repeated time is its first instance."""
    # fold=0 (PEP 495): a repeated time takes its first offset (BST); a skipped one the offset
    # before the change (GMT), landing after the gap at the same distance: 01:30 → 02:30 BST.
    return datetime.combine(day, wall, tzinfo=LONDON).astimezone(UTC)


def meetings(schedule: WeeklySchedule) -> list[Meeting]:
    """Every meeting of the schedule, in order, in UTC."""
    found = []
    for week in range(schedule.weeks):
        starts_at = london_to_utc(schedule.first_date + timedelta(weeks=week), schedule.local_time)
        found.append(Meeting(starts_at, starts_at + schedule.duration))
    return found


# --- a meeting's room --------------------------------------------------------------------------


class RoomState(StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


def room_state(
    starts_at: datetime, ends_at: datetime, now: datetime, *, facilitator: bool
) -> RoomState:
    """Half-open: open at exactly its opening moment, closed at exactly its end."""
    if now.tzinfo is None or starts_at.tzinfo is None:
        raise ValueError("pass aware datetimes")
    opens = starts_at - FACILITATOR_EARLY if facilitator else starts_at
    if now < opens:
        return RoomState.NOT_YET
    return RoomState.OPEN if now < ends_at else RoomState.CLOSED


# --- enrolment and the waiting list -------------------------------------------------------------


class Place(StrEnum):
    ENROLLED = "enrolled"
    WAITING = "waiting"


def place_for_new_request(taken: int, capacity: int, waiting: int) -> Place:
    """A new request gets a place if one is free and nobody is waiting for it before them;
    otherwise it joins the end of the waiting list. `taken` counts members and held offers."""
    if taken < 0 or capacity < 1 or waiting < 0:
        raise ValueError("counts must be non-negative and capacity at least 1")
    return Place.ENROLLED if taken < capacity and waiting == 0 else Place.WAITING


def to_offer(waiting: Sequence[tuple[datetime, int]], taken: int, capacity: int) -> list[int]:
    """Whom to offer the free places to: the earliest requests first (ties by id), as many as
    there are free places. `waiting` is (requested_at, enrolment id) of those waiting."""
    free = max(0, capacity - taken)
    return [enrolment_id for _, enrolment_id in sorted(waiting)[:free]]


# --- attendance and charging -------------------------------------------------------------------

ATTENDANCE_CODES: dict[str, str] = {
    "5": "Attended on time",
    "6": "Arrived late but was seen",
    "7": "Arrived late and was not seen",
    "2": "Cancelled by or for the patient",
    "3": "Did not attend without warning",
    "4": "Cancelled or postponed by the provider",
}
"""The national attendance codes (DOMAIN.md section 5) a past meeting can be recorded with;
0 (future) is not a record of a meeting that has happened."""
ATTENDED_CODES = frozenset({"5", "6"})


def clean_attendance_code(value: object) -> str:
    if not isinstance(value, str) or value not in ATTENDANCE_CODES:
        raise ValueError("Choose one of the attendance codes for each member.")
    return value


def is_delivered(codes: Iterable[str]) -> bool:
    """A meeting is delivered when at least one member attended (code 5 or 6)."""
    return any(code in ATTENDED_CODES for code in codes)


@dataclass(frozen=True, slots=True)
class GroupCharge:
    """What a recorded meeting costs the commissioner: one unit at the configured rate when
    delivered, nothing otherwise. Never a charge to any patient, and never drawn from a
    patient's one-to-one allowance."""

    charged: bool
    pence: int


def group_charge(codes: Iterable[str], rate_pence: int) -> GroupCharge:
    if rate_pence < 0:
        raise ValueError("the rate cannot be negative")
    delivered = is_delivered(codes)
    return GroupCharge(delivered, rate_pence if delivered else 0)
