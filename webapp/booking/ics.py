"""A calendar invite (iCalendar, RFC 5545) for one appointment, written by hand.

Pure: values in, bytes out; no flask, no sqlalchemy. The summary and description say only that
it is a talking therapies appointment: nothing about the patient's health, since calendars are
often shared or synced to other devices.

RFC 5545 rules followed here: CRLF line endings (3.1); lines folded at 75 octets with a CRLF and
one space, never inside a UTF-8 sequence (3.1); TEXT values escape backslash, semicolon, comma
and newline (3.3.11); DTSTAMP, DTSTART and DTEND in UTC with the "Z" suffix (3.3.5); a UID that
stays the same for the appointment, with SEQUENCE raised for a cancellation (3.8.7.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

PRODUCT_ID = "-//Talking Therapies Online//Booking//EN"
_MAX_OCTETS = 75


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str = ""
    url: str = ""
    cancelled: bool = False

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("an event must end after it starts")
        if not self.uid or any(ch in self.uid for ch in "\r\n"):
            raise ValueError("uid must be one non-empty line")


def utc_stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 section 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Fold one content line to at most 75 octets per physical line (RFC 5545 section 3.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= _MAX_OCTETS:
        return line
    parts: list[str] = []
    current = ""
    limit = _MAX_OCTETS
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
            limit = _MAX_OCTETS - 1  # continuation lines start with a space
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def calendar(event: CalendarEvent, *, stamp: datetime) -> bytes:
    """The invite (METHOD:REQUEST) or, for a cancelled event, the cancellation (METHOD:CANCEL)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if event.cancelled else 'REQUEST'}",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SEQUENCE:{1 if event.cancelled else 0}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines += ["TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
