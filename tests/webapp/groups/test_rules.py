"""The group rules: the weekly schedule across the clock changes, the room's clock, the waiting
list, attendance codes and the commissioner's charge."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.groups import rules
from webapp.groups.rules import LONDON, Place, RoomState, WeeklySchedule

HOUR = timedelta(hours=1)


def schedule(first: date, at: time, weeks: int = 6, minutes: int = 60) -> WeeklySchedule:
    return WeeklySchedule(first, at, weeks, timedelta(minutes=minutes))


def test_a_six_week_course_across_the_october_change_keeps_its_wall_clock_time():
    found = rules.meetings(schedule(date(2026, 10, 13), time(18, 30)))
    assert [m.starts_at.astimezone(LONDON).strftime("%a %d %b %H:%M") for m in found] == [
        "Tue 13 Oct 18:30",
        "Tue 20 Oct 18:30",
        "Tue 27 Oct 18:30",
        "Tue 03 Nov 18:30",
        "Tue 10 Nov 18:30",
        "Tue 17 Nov 18:30",
    ]
    # BST (UTC+1) before 25 October, GMT after: the UTC instant moves by an hour.
    assert found[1].starts_at == datetime(2026, 10, 20, 17, 30, tzinfo=UTC)
    assert found[2].starts_at == datetime(2026, 10, 27, 18, 30, tzinfo=UTC)
    assert all(m.ends_at - m.starts_at == HOUR for m in found)


def test_across_the_march_change():
    found = rules.meetings(schedule(date(2027, 3, 22), time(10, 0), weeks=2))
    assert [m.starts_at for m in found] == [
        datetime(2027, 3, 22, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 29, 9, 0, tzinfo=UTC),
    ]


def test_a_time_the_spring_change_skips_moves_forward_and_a_repeated_one_is_its_first():
    assert rules.london_to_utc(date(2027, 3, 28), time(1, 30)) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )  # 02:30 BST
    assert rules.london_to_utc(date(2026, 10, 25), time(1, 30)) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )  # 01:30 BST, the first of the two


@given(
    first=st.dates(min_value=date(2024, 1, 1), max_value=date(2040, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    weeks=st.integers(1, rules.MAX_WEEKS),
)
def test_every_meeting_is_a_week_apart_on_the_same_weekday_and_wall_clock_time(
    first, hour, minute, weeks
):
    found = rules.meetings(schedule(first, time(hour, minute), weeks=weeks))
    assert len(found) == weeks
    for index, meeting in enumerate(found):
        local = meeting.starts_at.astimezone(LONDON)
        assert local.date() == first + timedelta(weeks=index)
        assert meeting.starts_at.tzinfo is UTC
        if (local.hour, local.minute) != (hour, minute):  # only a time the spring change skips
            assert local.hour == hour + 1 and local.month == 3 and hour == 1
    for earlier, later in itertools.pairwise(found):
        assert later.starts_at - earlier.starts_at in {
            7 * 24 * HOUR - HOUR,
            7 * 24 * HOUR,
            7 * 24 * HOUR + HOUR,
        }


@pytest.mark.parametrize(
    ("weeks", "minutes"), [(0, 60), (rules.MAX_WEEKS + 1, 60), (6, 29), (6, 121)]
)
def test_a_schedule_out_of_bounds_is_refused(weeks, minutes):
    with pytest.raises(ValueError, match="A "):
        schedule(date(2027, 1, 4), time(10, 0), weeks=weeks, minutes=minutes)


@pytest.mark.parametrize(
    ("text", "expected"), [("18:30", time(18, 30)), (" 09:05 ", time(9, 5)), ("00:00", time(0, 0))]
)
def test_parse_local_time(text, expected):
    assert rules.parse_local_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:5", "18.30", "", "18:60", "noon"])
def test_parse_local_time_refuses(text):
    with pytest.raises(ValueError, match="24-hour clock"):
        rules.parse_local_time(text)


def test_the_room_opens_early_for_facilitators_and_at_the_start_for_members():
    start = datetime(2027, 1, 5, 18, 30, tzinfo=UTC)
    end = start + HOUR
    early = start - rules.FACILITATOR_EARLY
    assert rules.room_state(start, end, early, facilitator=True) is RoomState.OPEN
    assert rules.room_state(start, end, early - timedelta(seconds=1), facilitator=True) is (
        RoomState.NOT_YET
    )
    assert rules.room_state(start, end, early, facilitator=False) is RoomState.NOT_YET
    assert rules.room_state(start, end, start, facilitator=False) is RoomState.OPEN
    assert rules.room_state(start, end, end, facilitator=True) is RoomState.CLOSED
    with pytest.raises(ValueError, match="aware"):
        rules.room_state(start, end, datetime(2027, 1, 5), facilitator=False)  # noqa: DTZ001


@given(taken=st.integers(0, 40), capacity=st.integers(1, 30), waiting=st.integers(0, 10))
def test_a_new_request_never_jumps_the_waiting_list_nor_overfills_the_group(
    taken, capacity, waiting
):
    place = rules.place_for_new_request(taken, capacity, waiting)
    assert (place is Place.ENROLLED) == (taken < capacity and waiting == 0)


def test_place_for_new_request_refuses_nonsense():
    with pytest.raises(ValueError, match="capacity"):
        rules.place_for_new_request(0, 0, 0)


@given(
    requests=st.lists(
        st.tuples(st.datetimes(timezones=st.just(UTC)), st.integers(1, 10_000)),
        unique_by=lambda r: r[1],
    ),
    taken=st.integers(0, 12),
    capacity=st.integers(1, 12),
)
def test_places_are_offered_in_the_order_they_were_asked_for(requests, taken, capacity):
    offered = rules.to_offer(requests, taken, capacity)
    assert len(offered) == min(len(requests), max(0, capacity - taken))
    assert offered == [i for _, i in sorted(requests)][: len(offered)]


@pytest.mark.parametrize("code", sorted(rules.ATTENDANCE_CODES))
def test_every_national_code_for_a_past_meeting_is_accepted(code):
    assert rules.clean_attendance_code(code) == code


@pytest.mark.parametrize("code", ["0", "1", "8", "", None, 5, "55"])
def test_other_codes_are_refused(code):
    with pytest.raises(ValueError, match="attendance codes"):
        rules.clean_attendance_code(code)


@given(codes=st.lists(st.sampled_from(sorted(rules.ATTENDANCE_CODES))), rate=st.integers(0, 10**6))
def test_a_meeting_is_one_unit_to_the_commissioner_exactly_when_someone_attended(codes, rate):
    charge = rules.group_charge(codes, rate)
    attended = any(code in {"5", "6"} for code in codes)
    assert charge.charged is attended
    assert charge.pence == (rate if attended else 0)


def test_a_negative_rate_is_refused():
    with pytest.raises(ValueError, match="rate"):
        rules.group_charge(["5"], -1)
