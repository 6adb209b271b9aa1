"""Slot generation: weekly hours on the London wall clock, leave, extra hours, bookings, notice."""

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.booking.slots import (
    LONDON,
    RECORD_LENGTH,
    SESSION_LENGTH,
    SLOT_LENGTH,
    ExtraHours,
    Leave,
    WeeklyHours,
    generate_slots,
)

pytestmark = pytest.mark.pure

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def hours(weekday: int, start: int, end: int) -> WeeklyHours:
    return WeeklyHours(weekday, time(start), time(end))


def local_times(slots: list[datetime]) -> list[tuple[date, time]]:
    local = [slot.astimezone(LONDON) for slot in slots]
    return [(moment.date(), moment.time()) for moment in local]


# A winter Monday (GMT, so London = UTC) and its week.
WINTER_MONDAY = utc(2025, 1, 13)
WINTER_SUNDAY_NIGHT = utc(2025, 1, 20)


def test_a_slot_is_a_50_minute_session_and_10_minutes_for_the_record() -> None:
    assert timedelta(minutes=50) == SESSION_LENGTH
    assert timedelta(minutes=10) == RECORD_LENGTH
    assert timedelta(minutes=60) == SLOT_LENGTH == SESSION_LENGTH + RECORD_LENGTH


# Weekly hours.


def test_a_weekly_block_gives_a_slot_each_hour_from_its_start() -> None:
    slots = generate_slots(
        [hours(MON, 9, 12)], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 13, 10), utc(2025, 1, 13, 11)]


def test_slots_are_aware_utc() -> None:
    slots = generate_slots(
        [hours(MON, 9, 12)], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert all(slot.tzinfo is UTC for slot in slots)


def test_a_block_that_is_not_a_whole_number_of_slots_drops_the_remainder() -> None:
    block = WeeklyHours(MON, time(9), time(11, 30))
    slots = generate_slots([block], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT)
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 13, 10)]


def test_a_block_shorter_than_a_slot_gives_none() -> None:
    block = WeeklyHours(MON, time(9), time(9, 50))
    assert generate_slots([block], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT) == []


def test_a_block_can_start_off_the_hour() -> None:
    block = WeeklyHours(TUE, time(13, 15), time(15, 15))
    slots = generate_slots([block], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT)
    assert slots == [utc(2025, 1, 14, 13, 15), utc(2025, 1, 14, 14, 15)]


def test_a_block_may_end_at_the_last_moment_of_the_day() -> None:
    block = WeeklyHours(FRI, time(22), time.max)
    slots = generate_slots([block], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT)
    assert slots == [utc(2025, 1, 17, 22)]


def test_each_week_repeats_on_its_weekdays() -> None:
    weekly = [hours(MON, 9, 10), hours(WED, 14, 15)]
    slots = generate_slots(weekly, window_start=WINTER_MONDAY, window_end=utc(2025, 1, 27))
    assert slots == [
        utc(2025, 1, 13, 9),
        utc(2025, 1, 15, 14),
        utc(2025, 1, 20, 9),
        utc(2025, 1, 22, 14),
    ]


def test_overlapping_weekly_blocks_in_step_give_each_slot_once() -> None:
    weekly = [hours(MON, 9, 12), hours(MON, 11, 13), hours(MON, 9, 12)]
    slots = generate_slots(weekly, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT)
    assert slots == [utc(2025, 1, 13, h) for h in (9, 10, 11, 12)]


def test_no_hours_give_no_slots() -> None:
    assert generate_slots([], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT) == []


def test_weekly_hours_may_be_any_iterable() -> None:
    slots = generate_slots(
        iter([hours(MON, 9, 10)]), window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, 9)]


# The window is half-open: [window_start, window_end).


def test_a_slot_starting_at_the_window_start_is_included() -> None:
    slots = generate_slots(
        [hours(MON, 9, 12)], window_start=utc(2025, 1, 13, 10), window_end=utc(2025, 1, 14)
    )
    assert slots == [utc(2025, 1, 13, 10), utc(2025, 1, 13, 11)]


def test_a_slot_starting_at_the_window_end_is_excluded() -> None:
    slots = generate_slots(
        [hours(MON, 9, 12)], window_start=WINTER_MONDAY, window_end=utc(2025, 1, 13, 11)
    )
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 13, 10)]


def test_a_window_given_in_london_time_is_the_same_moments() -> None:
    summer = generate_slots(
        [hours(MON, 9, 12)],
        window_start=london(2025, 6, 16, 10),  # 09:00 UTC
        window_end=london(2025, 6, 16, 12),  # 11:00 UTC
    )
    assert summer == [utc(2025, 6, 16, 9), utc(2025, 6, 16, 10)]  # 10:00 and 11:00 BST


# The UK clock changes: a 09:00 slot stays 09:00 on the London wall clock.


def test_a_0900_slot_stays_0900_local_across_the_october_change() -> None:
    # Clocks go back at 01:00 UTC on Sunday 26 October 2025.
    slots = generate_slots(
        [hours(MON, 9, 10)], window_start=utc(2025, 10, 20), window_end=utc(2025, 11, 3)
    )
    assert slots == [utc(2025, 10, 20, 8), utc(2025, 10, 27, 9)]
    assert local_times(slots) == [(date(2025, 10, 20), time(9)), (date(2025, 10, 27), time(9))]


def test_a_0900_slot_stays_0900_local_across_the_march_change() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 30 March 2025.
    slots = generate_slots(
        [hours(MON, 9, 10)], window_start=utc(2025, 3, 24), window_end=utc(2025, 4, 7)
    )
    assert slots == [utc(2025, 3, 24, 9), utc(2025, 3, 31, 8)]
    assert local_times(slots) == [(date(2025, 3, 24), time(9)), (date(2025, 3, 31), time(9))]


def test_a_0900_sunday_slot_on_the_change_days_themselves_stays_0900_local() -> None:
    weekly = [hours(SUN, 9, 10)]
    spring = generate_slots(weekly, window_start=utc(2025, 3, 30), window_end=utc(2025, 3, 31))
    autumn = generate_slots(weekly, window_start=utc(2025, 10, 26), window_end=utc(2025, 10, 27))
    assert spring == [utc(2025, 3, 30, 8)]
    assert autumn == [utc(2025, 10, 26, 9)]


def test_a_0100_slot_in_the_spring_gap_is_skipped() -> None:
    # 01:00-02:00 does not happen in London on 30 March 2025: the clocks jump from 01:00 to 02:00.
    slots = generate_slots(
        [hours(SUN, 1, 2)], window_start=utc(2025, 3, 23), window_end=utc(2025, 4, 7)
    )
    assert slots == [utc(2025, 3, 23, 1), utc(2025, 4, 6, 0)]  # 01:00 GMT, then 01:00 BST


def test_a_block_across_the_spring_gap_loses_only_the_missing_hour() -> None:
    slots = generate_slots(
        [hours(SUN, 0, 4)], window_start=utc(2025, 3, 30), window_end=utc(2025, 3, 31)
    )
    assert slots == [utc(2025, 3, 30, 0), utc(2025, 3, 30, 1), utc(2025, 3, 30, 2)]
    assert [t for _, t in local_times(slots)] == [time(0), time(2), time(3)]


def test_a_block_the_spring_gap_makes_shorter_than_a_slot_gives_none() -> None:
    # 00:30-02:00 on the wall clock is only 30 real minutes that night.
    block = WeeklyHours(SUN, time(0, 30), time(2))
    on_change = generate_slots([block], window_start=utc(2025, 3, 30), window_end=utc(2025, 3, 31))
    week_before = generate_slots(
        [block], window_start=utc(2025, 3, 23), window_end=utc(2025, 3, 24)
    )
    assert on_change == []
    assert week_before == [utc(2025, 3, 23, 0, 30)]


def test_the_repeated_autumn_hour_gives_one_slot_at_its_first_occurrence() -> None:
    # 01:00-02:00 happens twice in London on 26 October 2025: first in BST, then in GMT.
    slots = generate_slots(
        [hours(SUN, 1, 2)], window_start=utc(2025, 10, 25), window_end=utc(2025, 10, 27)
    )
    assert slots == [utc(2025, 10, 26, 0)]  # 01:00 BST, fold=0
    assert slots[0].astimezone(LONDON).fold == 0


def test_a_block_across_the_autumn_change_gives_each_wall_time_once() -> None:
    slots = generate_slots(
        [hours(SUN, 0, 3)], window_start=utc(2025, 10, 25), window_end=utc(2025, 10, 27)
    )
    assert slots == [utc(2025, 10, 25, 23), utc(2025, 10, 26, 0), utc(2025, 10, 26, 2)]
    assert [t for _, t in local_times(slots)] == [time(0), time(1), time(2)]


def test_weekday_hours_around_a_change_day_keep_their_wall_times() -> None:
    weekly = [hours(day, 9, 17) for day in range(7)]
    slots = generate_slots(weekly, window_start=utc(2025, 10, 25), window_end=utc(2025, 10, 28))
    assert len(slots) == 3 * 8
    assert {t for _, t in local_times(slots)} == {time(h) for h in range(9, 17)}


def test_another_zone_keeps_its_own_wall_clock() -> None:
    # New York's clocks go back on Sunday 2 November 2025.
    slots = generate_slots(
        [hours(MON, 9, 10)],
        window_start=utc(2025, 10, 27),
        window_end=utc(2025, 11, 4),
        tz=NEW_YORK,
    )
    assert slots == [utc(2025, 10, 27, 13), utc(2025, 11, 3, 14)]


# Leave removes slots.


def test_leave_removes_the_slots_it_overlaps() -> None:
    leave = [Leave(utc(2025, 1, 13, 10, 30), utc(2025, 1, 13, 10, 45))]
    slots = generate_slots(
        [hours(MON, 9, 12)], leave=leave, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 13, 11)]


def test_leave_ending_as_a_slot_starts_does_not_remove_it() -> None:
    leave = [Leave(utc(2025, 1, 13, 8), utc(2025, 1, 13, 9))]
    slots = generate_slots(
        [hours(MON, 9, 11)], leave=leave, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 13, 10)]


def test_leave_starting_as_a_slot_ends_does_not_remove_it() -> None:
    leave = [Leave(utc(2025, 1, 13, 10), utc(2025, 1, 13, 12))]
    slots = generate_slots(
        [hours(MON, 9, 12)], leave=leave, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, 9)]


def test_leave_for_whole_days_in_london_time_removes_those_days() -> None:
    weekly = [hours(day, 9, 11) for day in range(5)]
    leave = [Leave(london(2025, 7, 15), london(2025, 7, 17))]  # Tuesday and Wednesday
    slots = generate_slots(
        weekly, window_start=utc(2025, 7, 14), window_end=utc(2025, 7, 19), leave=leave
    )
    assert sorted({d for d, _ in local_times(slots)}) == [
        date(2025, 7, 14),
        date(2025, 7, 17),
        date(2025, 7, 18),
    ]


def test_overlapping_and_touching_leave_is_all_honoured() -> None:
    weekly = [hours(MON, 9, 17)]
    leave = [
        Leave(utc(2025, 1, 13, 9, 30), utc(2025, 1, 13, 11)),
        Leave(utc(2025, 1, 13, 10), utc(2025, 1, 13, 10, 30)),  # inside the first
        Leave(utc(2025, 1, 13, 11), utc(2025, 1, 13, 12)),  # touches the first
        Leave(utc(2025, 1, 13, 14, 59), utc(2025, 1, 13, 15, 1)),
    ]
    slots = generate_slots(
        weekly, leave=leave, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, h) for h in (12, 13, 16)]


# Extra hours add slots.


def test_extra_hours_add_slots() -> None:
    extra = [ExtraHours(utc(2025, 1, 18, 10), utc(2025, 1, 18, 12, 30))]  # a Saturday
    slots = generate_slots(
        [hours(MON, 9, 10)], extra=extra, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 18, 10), utc(2025, 1, 18, 11)]


def test_extra_hours_alone_give_slots() -> None:
    extra = [ExtraHours(london(2025, 7, 19, 10), london(2025, 7, 19, 11))]
    slots = generate_slots(
        [], window_start=utc(2025, 7, 19), window_end=utc(2025, 7, 20), extra=extra
    )
    assert slots == [utc(2025, 7, 19, 9)]


def test_extra_hours_shorter_than_a_slot_give_none() -> None:
    extra = [ExtraHours(utc(2025, 1, 18, 10), utc(2025, 1, 18, 10, 59))]
    assert (
        generate_slots([], extra=extra, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT)
        == []
    )


def test_extra_hours_that_repeat_weekly_hours_give_each_slot_once() -> None:
    extra = [ExtraHours(utc(2025, 1, 13, 9), utc(2025, 1, 13, 11))]
    slots = generate_slots(
        [hours(MON, 9, 12)], extra=extra, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [utc(2025, 1, 13, h) for h in (9, 10, 11)]


def test_out_of_step_hours_never_offer_overlapping_slots_and_the_earliest_wins() -> None:
    extra = [ExtraHours(utc(2025, 1, 13, 10, 30), utc(2025, 1, 13, 13, 30))]
    slots = generate_slots(
        [hours(MON, 9, 12)], extra=extra, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
    )
    assert slots == [
        utc(2025, 1, 13, 9),
        utc(2025, 1, 13, 10),
        utc(2025, 1, 13, 11),
        utc(2025, 1, 13, 12, 30),
    ]


def test_leave_removes_extra_hours_too() -> None:
    extra = [ExtraHours(utc(2025, 1, 18, 10), utc(2025, 1, 18, 12))]
    leave = [Leave(utc(2025, 1, 18), utc(2025, 1, 19))]
    assert (
        generate_slots(
            [], extra=extra, leave=leave, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
        )
        == []
    )


# Bookings remove slots.


def test_a_booked_slot_is_removed() -> None:
    slots = generate_slots(
        [hours(MON, 9, 12)],
        booked=[utc(2025, 1, 13, 10)],
        window_start=WINTER_MONDAY,
        window_end=WINTER_SUNDAY_NIGHT,
    )
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 13, 11)]


def test_a_booking_out_of_step_removes_both_slots_it_overlaps() -> None:
    slots = generate_slots(
        [hours(MON, 9, 12)],
        booked=[utc(2025, 1, 13, 9, 30)],
        window_start=WINTER_MONDAY,
        window_end=WINTER_SUNDAY_NIGHT,
    )
    assert slots == [utc(2025, 1, 13, 11)]


def test_a_booking_given_in_london_time_removes_the_same_moment() -> None:
    slots = generate_slots(
        [hours(MON, 9, 11)],
        booked=[london(2025, 6, 16, 9)],
        window_start=utc(2025, 6, 16),
        window_end=utc(2025, 6, 17),
    )
    assert slots == [utc(2025, 6, 16, 9)]  # 10:00 BST


def test_a_booking_removes_the_out_of_step_slot_and_frees_the_next() -> None:
    # Booking the extra 10:30 slot removes the weekly 10:00 and 11:00; the extra 11:30 follows it.
    extra = [ExtraHours(utc(2025, 1, 13, 10, 30), utc(2025, 1, 13, 12, 30))]
    slots = generate_slots(
        [hours(MON, 9, 12)],
        extra=extra,
        booked=[utc(2025, 1, 13, 10, 30)],
        window_start=WINTER_MONDAY,
        window_end=WINTER_SUNDAY_NIGHT,
    )
    assert slots == [utc(2025, 1, 13, 9), utc(2025, 1, 13, 11, 30)]


# Notice.


def test_slots_starting_before_now_are_removed() -> None:
    slots = generate_slots(
        [hours(MON, 9, 12)],
        now=utc(2025, 1, 13, 10),
        window_start=WINTER_MONDAY,
        window_end=WINTER_SUNDAY_NIGHT,
    )
    assert slots == [utc(2025, 1, 13, 10), utc(2025, 1, 13, 11)]


def test_slots_starting_before_now_plus_min_notice_are_removed() -> None:
    slots = generate_slots(
        [hours(MON, 9, 13)],
        now=utc(2025, 1, 13, 8),
        min_notice=timedelta(hours=2),
        window_start=WINTER_MONDAY,
        window_end=WINTER_SUNDAY_NIGHT,
    )
    assert slots == [utc(2025, 1, 13, 10), utc(2025, 1, 13, 11), utc(2025, 1, 13, 12)]


def test_min_notice_reaching_past_the_window_leaves_nothing() -> None:
    slots = generate_slots(
        [hours(MON, 9, 13)],
        now=utc(2025, 1, 10),
        min_notice=timedelta(days=14),
        window_start=WINTER_MONDAY,
        window_end=WINTER_SUNDAY_NIGHT,
    )
    assert slots == []


# Values.


def test_hours_and_leave_are_frozen() -> None:
    block = hours(MON, 9, 10)
    leave = Leave(utc(2025, 1, 1), utc(2025, 1, 2))
    extra = ExtraHours(utc(2025, 1, 1), utc(2025, 1, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        block.weekday = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        leave.end = utc(2025, 1, 3)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        extra.start = utc(2024, 1, 3)  # type: ignore[misc]


# Validation.

NAIVE = datetime(2025, 1, 13, 9)  # noqa: DTZ001 - the naive datetime is the point of these tests


@pytest.mark.parametrize("weekday", [-1, 7, True])
def test_weekday_outside_monday_to_sunday_raises(weekday: int) -> None:
    with pytest.raises(ValueError, match="weekday must be 0"):
        WeeklyHours(weekday, time(9), time(10))


@pytest.mark.parametrize(("start", "end"), [(time(10), time(9)), (time(9), time(9))])
def test_weekly_hours_ending_at_or_before_their_start_raise(start: time, end: time) -> None:
    with pytest.raises(ValueError, match="must end after they start"):
        WeeklyHours(MON, start, end)


def test_weekly_hours_with_a_zone_raise() -> None:
    with pytest.raises(ValueError, match="wall-clock times"):
        WeeklyHours(MON, time(9, tzinfo=UTC), time(10))
    with pytest.raises(ValueError, match="wall-clock times"):
        WeeklyHours(MON, time(9), time(10, tzinfo=UTC))


@pytest.mark.parametrize("period", [Leave, ExtraHours])
def test_naive_periods_raise(period: type[Leave] | type[ExtraHours]) -> None:
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        period(NAIVE, utc(2025, 1, 14))
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        period(utc(2025, 1, 12), NAIVE)


@pytest.mark.parametrize("period", [Leave, ExtraHours])
def test_periods_ending_at_or_before_their_start_raise(
    period: type[Leave] | type[ExtraHours],
) -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        period(utc(2025, 1, 13, 10), utc(2025, 1, 13, 10))
    with pytest.raises(ValueError, match="must end after it starts"):
        # The same moment in different zones is still no time at all.
        period(london(2025, 6, 1, 10), utc(2025, 6, 1, 9))


def test_naive_window_raises() -> None:
    with pytest.raises(ValueError, match="window_start"):
        generate_slots([], window_start=NAIVE, window_end=utc(2025, 1, 14))
    with pytest.raises(ValueError, match="window_end"):
        generate_slots([], window_start=utc(2025, 1, 12), window_end=NAIVE)


@pytest.mark.parametrize("end", [utc(2025, 1, 13), utc(2025, 1, 12)])
def test_window_ending_at_or_before_its_start_raises(end: datetime) -> None:
    with pytest.raises(ValueError, match="window_end must be after window_start"):
        generate_slots([], window_start=utc(2025, 1, 13), window_end=end)


def test_naive_booking_raises() -> None:
    with pytest.raises(ValueError, match="booked"):
        generate_slots(
            [], booked=[NAIVE], window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT
        )


def test_naive_now_raises() -> None:
    with pytest.raises(ValueError, match="now"):
        generate_slots([], now=NAIVE, window_start=WINTER_MONDAY, window_end=WINTER_SUNDAY_NIGHT)


def test_negative_min_notice_raises() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        generate_slots(
            [],
            now=WINTER_MONDAY,
            min_notice=-timedelta(hours=1),
            window_start=WINTER_MONDAY,
            window_end=WINTER_SUNDAY_NIGHT,
        )


def test_min_notice_without_now_raises() -> None:
    with pytest.raises(ValueError, match="min_notice needs now"):
        generate_slots(
            [],
            min_notice=timedelta(hours=1),
            window_start=WINTER_MONDAY,
            window_end=WINTER_SUNDAY_NIGHT,
        )


class NoOffset(tzinfo):
    """A broken zone that cannot say its UTC offset."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "nowhere"


def test_a_zone_without_a_utc_offset_raises() -> None:
    with pytest.raises(ValueError, match="utcoffset"):
        generate_slots(
            [hours(MON, 9, 10)],
            tz=NoOffset(),
            window_start=WINTER_MONDAY,
            window_end=WINTER_SUNDAY_NIGHT,
        )


# Properties.

MINUTES_IN_DAY = 24 * 60


@st.composite
def weekly_hours(draw: st.DrawFn) -> WeeklyHours:
    start = draw(st.integers(min_value=0, max_value=MINUTES_IN_DAY - 15)) // 15 * 15
    length = draw(st.integers(min_value=15, max_value=10 * 60))
    end = min(start + length, MINUTES_IN_DAY - 1)
    return WeeklyHours(
        draw(st.integers(min_value=0, max_value=6)),
        time(start // 60, start % 60),
        time(end // 60, end % 60),
    )


def later(start: datetime, *, minutes: int) -> datetime:
    """``minutes`` of real time after ``start``, in its zone. ``start + timedelta`` would add
    wall-clock time when the zone is London, and lose the fold of an ambiguous hour."""
    zone = start.tzinfo
    return (start.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)


@st.composite
def windows(draw: st.DrawFn) -> tuple[datetime, datetime]:
    # Weighted towards late March and late October so most examples cross a UK clock change.
    year = draw(st.integers(min_value=2020, max_value=2035))
    month = draw(st.sampled_from([3, 3, 3, 10, 10, 10, 1, 6, 12]))
    day = draw(st.integers(min_value=15, max_value=31 if month in (3, 10, 1, 12) else 30))
    hour = draw(st.integers(min_value=0, max_value=23))
    zone = draw(st.sampled_from([UTC, LONDON, NEW_YORK]))
    start = datetime(year, month, day, hour, tzinfo=zone)
    return start, later(start, minutes=60 * draw(st.integers(min_value=1, max_value=24 * 21)))


def moments_near(start: datetime, end: datetime) -> st.SearchStrategy[datetime]:
    return st.datetimes(
        min_value=start.astimezone(UTC) - timedelta(days=1),
        max_value=end.astimezone(UTC) + timedelta(days=1),
        timezones=st.sampled_from([UTC, LONDON]),
    )


@dataclasses.dataclass(frozen=True)
class Scenario:
    weekly: list[WeeklyHours]
    window_start: datetime
    window_end: datetime
    leave: list[Leave]
    extra: list[ExtraHours]
    booked: list[datetime]
    now: datetime | None
    min_notice: timedelta

    def slots(self) -> list[datetime]:
        return generate_slots(
            self.weekly,
            window_start=self.window_start,
            window_end=self.window_end,
            leave=self.leave,
            extra=self.extra,
            booked=self.booked,
            now=self.now,
            min_notice=self.min_notice,
        )

    def earliest(self) -> datetime:
        if self.now is None:
            return self.window_start
        return max(self.window_start, self.now.astimezone(UTC) + self.min_notice)

    def is_available(self, start: datetime) -> bool:
        """In the window, after the notice, and clear of leave and bookings."""
        return (
            self.earliest() <= start < self.window_end
            and not any(overlaps(start, period.start, period.end) for period in self.leave)
            and not any(
                overlaps(start, booking, later(booking, minutes=60)) for booking in self.booked
            )
        )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    window_start, window_end = draw(windows())
    near = moments_near(window_start, window_end)
    leave = [
        Leave(start, later(start, minutes=draw(st.integers(1, 3 * MINUTES_IN_DAY))))
        for start in draw(st.lists(near, max_size=3))
    ]
    extra = [
        ExtraHours(start, later(start, minutes=draw(st.integers(1, 8 * 60))))
        for start in draw(st.lists(near, max_size=3))
    ]
    now = draw(st.none() | near)
    return Scenario(
        weekly=draw(st.lists(weekly_hours(), max_size=6)),
        window_start=window_start,
        window_end=window_end,
        leave=leave,
        extra=extra,
        booked=draw(st.lists(near, max_size=5)),
        now=now,
        min_notice=timedelta(0)
        if now is None
        else timedelta(minutes=draw(st.integers(0, 48 * 60))),
    )


def overlaps(start: datetime, period_start: datetime, period_end: datetime) -> bool:
    return start < period_end and period_start < start + SLOT_LENGTH


def weekly_candidates(scenario: Scenario) -> list[datetime]:
    """Every weekly slot by the plain rules: a day at a time, a zone lookup for every slot."""
    day = scenario.window_start.astimezone(LONDON).date() - timedelta(days=1)
    candidates = []
    while day <= scenario.window_end.astimezone(LONDON).date():
        for block in scenario.weekly:
            if block.weekday != day.weekday():
                continue
            wall = datetime.combine(day, block.start)
            end = datetime.combine(day, block.end)
            while wall + SLOT_LENGTH <= end:
                start = wall.replace(tzinfo=LONDON).astimezone(UTC)
                exists = start.astimezone(LONDON).replace(tzinfo=None) == wall
                fits = (start + SLOT_LENGTH).astimezone(LONDON).replace(tzinfo=None) <= end
                if exists and fits:
                    candidates.append(start)
                wall += SLOT_LENGTH
        day += timedelta(days=1)
    return candidates


def extra_candidates(scenario: Scenario) -> list[datetime]:
    candidates = []
    for block in scenario.extra:
        start = block.start.astimezone(UTC)
        while start + SLOT_LENGTH <= block.end.astimezone(UTC):
            candidates.append(start)
            start += SLOT_LENGTH
    return candidates


def is_in_weekly_hours(slot: datetime, weekly: list[WeeklyHours]) -> bool:
    """The slot starts on a block's hourly step (first occurrence) and ends by the block's end."""
    local = slot.astimezone(LONDON)
    wall = local.replace(tzinfo=None)
    wall_end = (slot + SLOT_LENGTH).astimezone(LONDON).replace(tzinfo=None)
    for block in weekly:
        block_start = datetime.combine(local.date(), block.start)
        if (
            block.weekday == local.weekday()
            and local.fold == 0
            and block_start <= wall
            and wall_end <= datetime.combine(local.date(), block.end)
            and (wall - block_start) % SLOT_LENGTH == timedelta(0)
        ):
            return True
    return False


def is_in_extra_hours(slot: datetime, extra: list[ExtraHours]) -> bool:
    return any(block.start <= slot and slot + SLOT_LENGTH <= block.end for block in extra)


@settings(deadline=None, max_examples=250)
@given(scenario=scenarios())
def test_slots_are_sorted_unique_non_overlapping_aware_utc_and_in_the_window(
    scenario: Scenario,
) -> None:
    slots = scenario.slots()
    assert all(slot.tzinfo is UTC for slot in slots)
    assert all(later - earlier >= SLOT_LENGTH for earlier, later in pairwise(slots))
    assert all(scenario.window_start <= slot < scenario.window_end for slot in slots)


@settings(deadline=None, max_examples=250)
@given(scenario=scenarios())
def test_every_slot_is_inside_hours_and_clear_of_leave_bookings_and_notice(
    scenario: Scenario,
) -> None:
    for slot in scenario.slots():
        assert is_in_weekly_hours(slot, scenario.weekly) or is_in_extra_hours(slot, scenario.extra)
        assert scenario.is_available(slot)


@settings(deadline=None, max_examples=250)
@given(scenario=scenarios())
def test_every_available_slot_is_offered_unless_it_overlaps_one_offered(
    scenario: Scenario,
) -> None:
    slots = scenario.slots()
    offered = set(slots)
    for candidate in weekly_candidates(scenario) + extra_candidates(scenario):
        if scenario.is_available(candidate) and candidate not in offered:
            assert any(overlaps(candidate, slot, slot + SLOT_LENGTH) for slot in slots)


@settings(deadline=None, max_examples=100)
@given(
    year=st.integers(min_value=2000, max_value=2037),
    hour=st.integers(min_value=5, max_value=22),
)
def test_a_weekly_slot_keeps_its_wall_time_all_year(year: int, hour: int) -> None:
    weekly = [hours(day, hour, hour + 1) for day in range(7)]
    slots = generate_slots(weekly, window_start=utc(year, 1, 1), window_end=utc(year + 1, 1, 1))
    days_in_year = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    assert len(slots) == days_in_year
    assert {slot.astimezone(LONDON).time() for slot in slots} == {time(hour)}
    assert {slot.astimezone(LONDON).utcoffset() for slot in slots} == {
        timedelta(0),
        timedelta(hours=1),
    }
