"""The calendar invite follows RFC 5545 and says nothing about the patient's health."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.booking.ics import CalendarEvent, calendar, escape_text, fold

START = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
EVENT = CalendarEvent(
    uid="appointment-7@example.org",
    starts_at=START,
    ends_at=START + timedelta(minutes=50),
    summary="Talking Therapies Online appointment",
    description="Your online session; sign in to join, at 9:00",
)


def lines(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_an_invite_has_the_required_properties_in_utc():
    content = lines(calendar(EVENT, stamp=datetime(2026, 3, 23, 8, 5, 9, tzinfo=UTC)))
    assert content[0] == "BEGIN:VCALENDAR" and content[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in content and "METHOD:REQUEST" in content
    assert "UID:appointment-7@example.org" in content
    assert "DTSTAMP:20260323T080509Z" in content
    assert "DTSTART:20260330T080000Z" in content and "DTEND:20260330T085000Z" in content
    assert "SUMMARY:Talking Therapies Online appointment" in content
    assert "DESCRIPTION:Your online session\\; sign in to join\\, at 9:00" in content


def test_times_in_other_zones_are_written_in_utc():
    plus_one = timezone(timedelta(hours=1))
    event = CalendarEvent(
        uid="u",
        starts_at=datetime(2026, 3, 30, 9, tzinfo=plus_one),
        ends_at=datetime(2026, 3, 30, 9, 50, tzinfo=plus_one),
        summary="s",
    )
    assert "DTSTART:20260330T080000Z" in lines(calendar(event, stamp=START))


def test_a_cancellation_keeps_the_uid_and_raises_the_sequence():
    content = lines(calendar(dataclasses.replace(EVENT, cancelled=True), stamp=START))
    assert "METHOD:CANCEL" in content and "STATUS:CANCELLED" in content
    assert "SEQUENCE:1" in content and f"UID:{EVENT.uid}" in content


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": datetime(2026, 3, 30, 8)}, "timezone-aware"),  # noqa: DTZ001 - naive on purpose
        ({"ends_at": START}, "end after it starts"),
        ({"uid": ""}, "one non-empty line"),
        ({"uid": "a\r\nBEGIN:VEVENT"}, "one non-empty line"),  # would inject a line
    ],
)
def test_bad_events_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(EVENT, **changes)


@given(st.text())
def test_escaped_text_cannot_break_out_of_its_line(value):
    escaped = escape_text(value)
    assert "\n" not in escaped and "\r" not in escaped
    unescaped = escaped.replace("\\\\", "").replace("\\;", "").replace("\\,", "")
    assert ";" not in unescaped and "," not in unescaped


@given(st.text(max_size=400).map(lambda s: "DESCRIPTION:" + s.replace("\r", "").replace("\n", "")))
def test_folded_lines_are_at_most_75_octets_and_unfold_to_the_original(line):
    folded = fold(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
