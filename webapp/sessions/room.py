"""Rules of the session room: its clock, what a message may be, resync, and the outcome the
server's own attendance records suggest.

Pure: values in, values out. No flask, no sqlalchemy and no other ``webapp`` module except the
pure :mod:`webapp.charging` is imported here (an import-linter contract enforces it); time is
always passed in, as an aware datetime.

The clock (DOMAIN.md sections 1 and 2, "Sessions"): a session is 50 minutes of therapy plus 10
minutes for the therapist's records. The room opens :data:`THERAPIST_EARLY` (10 minutes) before
the start for the therapist, so they can prepare, and at the start for the patient. At 50 minutes
the room closes (for both: there is no one left to talk to) and the record window opens for
:data:`RECORD_WINDOW` (10 minutes). A record is still accepted after the window (it is required
before the therapist's next session, so it can never become impossible to file), but it is late.
All intervals are half-open: the room is open at exactly its opening moment and closed at exactly
its closing moment.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from webapp.charging import Outcome

SESSION_LENGTH = timedelta(minutes=50)
THERAPIST_EARLY = timedelta(minutes=10)
RECORD_WINDOW = timedelta(minutes=10)

MAX_MESSAGE_CHARS = 4000
RATE_LIMIT_MESSAGES = 20
"""At most this many messages from one person in :data:`RATE_LIMIT_WINDOW`: far above a fast
typist (about one message every 4 seconds) and well above the 1-a-second stress level."""
RATE_LIMIT_WINDOW = timedelta(seconds=10)

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class Party(StrEnum):
    PATIENT = "patient"
    THERAPIST = "therapist"

    @property
    def other(self) -> Party:
        return Party.THERAPIST if self is Party.PATIENT else Party.PATIENT


class RoomState(StrEnum):
    NOT_YET = "not_yet"
    OPEN = "open"
    CLOSED = "closed"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("pass an aware datetime")
    return moment


def opens_at(party: Party, starts_at: datetime) -> datetime:
    """When the room opens for this party."""
    _aware(starts_at)
    return starts_at - THERAPIST_EARLY if party is Party.THERAPIST else starts_at


def closes_at(starts_at: datetime) -> datetime:
    """When the room closes, for both parties: the end of the 50 minutes."""
    return _aware(starts_at) + SESSION_LENGTH


def room_state(party: Party, starts_at: datetime, now: datetime) -> RoomState:
    _aware(now)
    if now < opens_at(party, starts_at):
        return RoomState.NOT_YET
    if now < closes_at(starts_at):
        return RoomState.OPEN
    return RoomState.CLOSED


def seconds_left(starts_at: datetime, now: datetime) -> int:
    """Whole seconds of the 50 minutes still to run (50:00 before the start, 0 after the end)."""
    remaining = closes_at(starts_at) - max(_aware(now), starts_at)
    return max(0, min(int(SESSION_LENGTH.total_seconds()), int(remaining.total_seconds())))


class RecordState(StrEnum):
    NOT_YET = "not_yet"  # the session is still running
    OPEN = "open"  # the 10 minutes after the session
    LATE = "late"  # after the window: still accepted (and required), but late


def record_state(starts_at: datetime, now: datetime) -> RecordState:
    end = closes_at(starts_at)
    if _aware(now) < end:
        return RecordState.NOT_YET
    if now < end + RECORD_WINDOW:
        return RecordState.OPEN
    return RecordState.LATE


def clean_message(body: object) -> str:
    """The text of a chat message as stored: a string, Unicode-normalised, control characters
    other than line breaks and tabs removed, line breaks unified, surrounding space trimmed.
    Raises ValueError with a sentence a person can act on."""
    if not isinstance(body, str):
        raise ValueError("A message must be text.")
    text = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs"}
    ).strip()
    if not text:
        raise ValueError("Type a message before sending it.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(
            f"Your message is too long: keep it to {MAX_MESSAGE_CHARS:,} characters "
            f"(it is {len(text):,})."
        )
    return text


def clean_client_id(value: object) -> str:
    """The client's own id for a message (8-64 letters, digits, '-' or '_'), so that a resend
    after a dropped connection is recognised and stored once."""
    if not isinstance(value, str) or not CLIENT_ID.fullmatch(value):
        raise ValueError("The message id is missing or malformed.")
    return value


def clean_last_seen(value: object) -> int:
    """The last sequence number a reconnecting client saw (0 for none)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("The last message number must be a whole number, 0 or more.")
    return value


def is_rate_limited(
    recent: Iterable[datetime],
    now: datetime,
    *,
    limit: int = RATE_LIMIT_MESSAGES,
    window: timedelta = RATE_LIMIT_WINDOW,
) -> bool:
    """Would one more message now go over `limit` messages within the last `window`?"""
    start = _aware(now) - window
    return sum(1 for moment in recent if start < moment <= now) >= limit


def missed(sequences: Iterable[int], last_seen: int) -> list[int]:
    """What a reconnecting client missed: every sequence after `last_seen`, once, in order."""
    return sorted({sequence for sequence in sequences if sequence > last_seen})


# --- Attendance and the proposed outcome -------------------------------------------------------


class AttendanceKind(StrEnum):
    JOIN = "join"
    LEAVE = "leave"  # the person closed the room or the server closed it at the end
    DISCONNECT = "disconnect"  # the connection dropped (network, device, ping timeout)


@dataclass(frozen=True, slots=True)
class AttendanceEvent:
    party: Party
    kind: AttendanceKind
    at: datetime
    connection: str  # one socket's id: a join is ended by the leave/disconnect of the same id
    instance: str | None = None  # the app instance that held it (None: recorded before 0022)


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime
    dropped: bool  # ended by a disconnection, not by leaving
    cut_off: bool = False  # dropped because its server stopped: the provider's failure


MINIMUM_TOGETHER = timedelta(minutes=20)
"""Both present for at least this long (of the 50 minutes) is an attended session whatever
dropped; less than this, with connections dropping, is a technical failure."""
OUTAGE_LIMIT = timedelta(minutes=10)
"""A provider outage (from the operator's own records) of this much of the session or more means
the session could not be delivered: the provider's technical failure."""


@dataclass(frozen=True, slots=True)
class Proposal:
    outcome: Outcome
    reason: str
    together: timedelta


def presence(
    events: Sequence[AttendanceEvent],
    party: Party,
    *,
    until: datetime,
    ended: Mapping[str, datetime] | None = None,
) -> list[Span]:
    """One party's connections as spans, in order. A connection with no recorded end was cut
    off by its server: if its instance is in `ended` (instance → when it was last known to be
    serving), it dropped then; otherwise (still serving, or recorded before instances were) it
    is taken to last until `until`."""
    opened: dict[str, AttendanceEvent] = {}
    spans: list[Span] = []
    for event in sorted(events, key=lambda e: e.at):
        if event.party is not party:
            continue
        if event.kind is AttendanceKind.JOIN:
            opened.setdefault(event.connection, event)
        elif event.connection in opened:
            spans.append(
                Span(
                    opened.pop(event.connection).at,
                    event.at,
                    event.kind is AttendanceKind.DISCONNECT,
                )
            )
    for join in opened.values():
        cut_off = _cut_off_at(join, ended)
        if cut_off is None:
            spans.append(Span(join.at, max(join.at, until), False))
        else:
            spans.append(Span(join.at, max(join.at, cut_off), True, cut_off=True))
    return sorted(spans, key=lambda span: span.start)


def _cut_off_at(join: AttendanceEvent, ended: Mapping[str, datetime] | None) -> datetime | None:
    if ended is None or join.instance is None:
        return None
    return ended.get(join.instance)


def is_present(
    events: Sequence[AttendanceEvent],
    party: Party,
    ended: Mapping[str, datetime] | None = None,
) -> bool:
    """Whether the party has a connection open now: one that joined and has not left or
    dropped, on an instance not in `ended` (a server that stopped or went silent took its
    connections with it, whatever it could not record)."""
    still_open: dict[str, AttendanceEvent] = {}
    for event in sorted(events, key=lambda e: e.at):
        if event.party is not party:
            continue
        if event.kind is AttendanceKind.JOIN:
            still_open[event.connection] = event
        else:
            still_open.pop(event.connection, None)
    return any(_cut_off_at(join, ended) is None for join in still_open.values())


# --- The server's own lives: which instance served when ----------------------------------------

HEARTBEAT = timedelta(seconds=15)
"""How often a serving app instance records that it is still serving."""
SILENT_LIMIT = 3 * HEARTBEAT
"""An instance silent for longer than this (and not recorded as stopped) has stopped serving:
it is taken to have stopped at its last heartbeat."""


@dataclass(frozen=True, slots=True)
class InstanceLife:
    """One app instance's time serving, from its own records: it started, beat every
    :data:`HEARTBEAT` and, when stopped cleanly, said so."""

    instance: str
    started_at: datetime
    beat_at: datetime
    stopped_at: datetime | None = None

    def ended_at(self, now: datetime, *, alone: bool = False) -> datetime | None:
        """When it stopped serving, or None while it still serves. `alone`: it is not the
        instance asking, and instances cannot share rooms (no message queue), so only the one
        asking can be serving them."""
        if self.stopped_at is not None:
            return self.stopped_at
        if alone or _aware(now) - self.beat_at > SILENT_LIMIT:
            return self.beat_at
        return None


def outages(lives: Iterable[InstanceLife], now: datetime) -> list[tuple[datetime, datetime]]:
    """When no instance was serving, between the first life known and `now`: the gaps between
    one instance's end and the next one's start. Before the first life nothing is known, so
    nothing there counts."""
    served: list[tuple[datetime, datetime]] = []
    for life in lives:
        end = life.ended_at(now)
        served.append((life.started_at, max(life.started_at, end or now)))
    merged = _union(served)
    return [(a_end, b_start) for (_, a_end), (b_start, _) in itertools.pairwise(merged)]


def _clip(spans: Iterable[Span], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    clipped = [(max(s.start, start), min(s.end, end)) for s in spans]
    return [(a, b) for a, b in clipped if a < b]


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(intervals: Iterable[tuple[datetime, datetime]]) -> timedelta:
    return sum((end - start for start, end in intervals), timedelta())


def _overlap(a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]) -> timedelta:
    total = timedelta()
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                total += end - start
    return total


def _lost_after_drops(
    spans: list[Span], starts_at: datetime, ends_at: datetime, *, cut_off: bool
) -> list[tuple[datetime, datetime]]:
    """Time in the session lost after each dropped connection (those its server cut off, or
    the others) until the party was back."""
    lost: list[tuple[datetime, datetime]] = []
    for index, span in enumerate(spans):
        if not span.dropped or span.cut_off is not cut_off or span.end >= ends_at:
            continue
        back = next((s.start for s in spans[index + 1 :] if s.start >= span.end), ends_at)
        lost += _clip([Span(span.end, back, True)], starts_at, ends_at)
    return lost


def propose_outcome(
    events: Sequence[AttendanceEvent],
    *,
    starts_at: datetime,
    now: datetime,
    outages: Sequence[tuple[datetime, datetime]] = (),
    ended: Mapping[str, datetime] | None = None,
) -> Proposal:
    """The outcome the server's own records suggest, for the charging rules to use.

    In order: a provider outage (`outages`: when no instance was serving) of
    :data:`OUTAGE_LIMIT` or more during the 50 minutes is the provider's technical failure; a
    connection its server took down when it stopped (`ended`, see :func:`presence`) dropped
    then; a therapist who never joined (from 10 minutes before the start
    to the end) failed to attend; a patient who never joined in the 50 minutes did not attend;
    both together for :data:`MINIMUM_TOGETHER` or more, or no connection dropped, is attended
    (a patient who came late but was seen attended); otherwise connections dropped and cut the
    session short: the side that lost more time to dropped connections failed (the therapist's
    side, and time lost to a stopped server, are the provider's). Raises ValueError before the
    session has ended.
    """
    ends_at = closes_at(starts_at)
    if _aware(now) < ends_at:
        raise ValueError("The session has not ended yet.")
    therapist = presence(events, Party.THERAPIST, until=ends_at, ended=ended)
    patient = presence(events, Party.PATIENT, until=ends_at, ended=ended)
    therapist_in = _union(_clip(therapist, starts_at - THERAPIST_EARLY, ends_at))
    patient_in = _union(_clip(patient, starts_at, ends_at))
    together = _overlap(
        _union(_clip(therapist, starts_at, ends_at)), _union(_clip(patient, starts_at, ends_at))
    )
    outage = _length(_clip((Span(a, b, False) for a, b in outages), starts_at, ends_at))
    if outage >= OUTAGE_LIMIT:
        return Proposal(
            Outcome.TECH_FAILURE_PROVIDER, "The service was down during the session.", together
        )
    if not therapist_in:
        return Proposal(Outcome.THERAPIST_DNA, "The therapist never joined the room.", together)
    if not patient_in:
        return Proposal(Outcome.PATIENT_DNA, "The patient never joined the room.", together)

    def lost(spans: list[Span], *, cut_off: bool) -> list[tuple[datetime, datetime]]:
        return _lost_after_drops(spans, starts_at, ends_at, cut_off=cut_off)

    therapist_lost = _length(_union(lost(therapist, cut_off=False)))
    patient_lost = _length(_union(lost(patient, cut_off=False)))
    server_lost = _length(_union(lost(therapist, cut_off=True) + lost(patient, cut_off=True)))
    provider_lost = therapist_lost + server_lost
    if together >= MINIMUM_TOGETHER or not (provider_lost or patient_lost):
        return Proposal(Outcome.ATTENDED, "Both were in the room.", together)
    if provider_lost >= patient_lost:
        return Proposal(
            Outcome.TECH_FAILURE_PROVIDER,
            "The service stopped during the session and cut it short."
            if server_lost > therapist_lost
            else "The therapist's connection dropped and cut the session short.",
            together,
        )
    return Proposal(
        Outcome.TECH_FAILURE_PATIENT,
        "The patient's connection dropped and cut the session short.",
        together,
    )
