"""The room's pure rules: clock, record window, message checks, rate limit, resync, and the
outcome proposed from attendance. Tables for the rules, hypothesis at the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.charging import Outcome
from webapp.sessions import room
from webapp.sessions.room import AttendanceEvent, AttendanceKind, Party, RecordState, RoomState

START = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
M = timedelta(minutes=1)
J, L, D = AttendanceKind.JOIN, AttendanceKind.LEAVE, AttendanceKind.DISCONNECT
P, T = Party.PATIENT, Party.THERAPIST


@pytest.mark.parametrize(
    ("minutes", "therapist", "patient"),
    [
        (-11, RoomState.NOT_YET, RoomState.NOT_YET),
        (-10, RoomState.OPEN, RoomState.NOT_YET),
        (-1, RoomState.OPEN, RoomState.NOT_YET),
        (0, RoomState.OPEN, RoomState.OPEN),
        (49, RoomState.OPEN, RoomState.OPEN),
        (50, RoomState.CLOSED, RoomState.CLOSED),
        (60, RoomState.CLOSED, RoomState.CLOSED),
    ],
)
def test_the_room_opens_early_for_the_therapist_and_closes_at_50_minutes(
    minutes, therapist, patient
):
    now = START + minutes * M
    assert room.room_state(T, START, now) is therapist
    assert room.room_state(P, START, now) is patient


def test_the_boundaries_are_half_open_to_the_microsecond():
    tick = timedelta(microseconds=1)
    assert room.room_state(P, START, START - tick) is RoomState.NOT_YET
    assert room.room_state(T, START, START - 10 * M - tick) is RoomState.NOT_YET
    assert room.room_state(P, START, START + 50 * M - tick) is RoomState.OPEN


@pytest.mark.parametrize(
    ("minutes", "state"),
    [
        (49, RecordState.NOT_YET),
        (50, RecordState.OPEN),
        (59, RecordState.OPEN),
        (60, RecordState.LATE),
    ],
)
def test_the_record_window_is_the_10_minutes_after_the_session(minutes, state):
    assert room.record_state(START, START + minutes * M) is state


@pytest.mark.parametrize(
    ("now", "left"),
    [
        (START - 5 * M, 3000),
        (START, 3000),
        (START + 90 * timedelta(seconds=1), 2910),
        (START + 50 * M, 0),
        (START + 2 * 60 * M, 0),
    ],
)
def test_the_clock_counts_down_the_50_minutes(now, left):
    assert room.seconds_left(START, now) == left


@given(st.integers(min_value=-3600 * 3, max_value=3600 * 3))
def test_the_clock_never_leaves_0_to_3000_and_never_goes_up(offset):
    now = START + timedelta(seconds=offset)
    left = room.seconds_left(START, now)
    assert 0 <= left <= 3000
    assert room.seconds_left(START, now + timedelta(seconds=1)) <= left


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        room.room_state(P, START, datetime(2030, 1, 7, 10, 0))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"):
        room.opens_at(P, datetime(2030, 1, 7, 10, 0))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        ("hello", "hello"),
        ("  hello \n", "hello"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("tab\there", "tab\there"),
        ("bell\x07 and null\x00", "bell and null"),
        ("e\u0301", "\u00e9"),
        ("<b>kept as text</b>", "<b>kept as text</b>"),
        ("x" * 4000, "x" * 4000),
    ],
)
def test_messages_are_cleaned(body, stored):
    assert room.clean_message(body) == stored


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Type a message"),
        (" \n\t", "Type a message"),
        ("\x00", "Type a message"),
        ("x" * 4001, "too long"),
        (None, "must be text"),
        (["x"], "must be text"),
    ],
)
def test_bad_messages_are_refused_with_a_sentence(body, error):
    with pytest.raises(ValueError, match=error):
        room.clean_message(body)


@given(st.text(max_size=4100))
def test_a_cleaned_message_is_never_empty_too_long_or_holding_control_characters(body):
    try:
        text = room.clean_message(body)
    except ValueError:
        return
    assert 0 < len(text) <= room.MAX_MESSAGE_CHARS
    assert text == text.strip()
    assert "\x00" not in text and "\r" not in text


@pytest.mark.parametrize("value", ["abcd1234", "a" * 64, "uuid-like_1234-abcd"])
def test_good_client_ids(value):
    assert room.clean_client_id(value) == value


@pytest.mark.parametrize(
    "value", [None, 12345678, "short", "a" * 65, "has space 123", "ünïcode-id"]
)
def test_bad_client_ids(value):
    with pytest.raises(ValueError, match="message id"):
        room.clean_client_id(value)


@pytest.mark.parametrize(("value", "last"), [(None, 0), (0, 0), (7, 7)])
def test_last_seen(value, last):
    assert room.clean_last_seen(value) == last


@pytest.mark.parametrize("value", [-1, "3", 2.5, True, [1]])
def test_bad_last_seen(value):
    with pytest.raises(ValueError, match="whole number"):
        room.clean_last_seen(value)


def test_the_rate_limit_counts_only_the_window():
    now = START
    burst = [now - timedelta(milliseconds=100 * n) for n in range(19)]
    assert not room.is_rate_limited(burst, now)
    assert room.is_rate_limited([*burst, now - timedelta(seconds=9)], now)
    # exactly 10 seconds ago has left the window
    assert not room.is_rate_limited([*burst, now - timedelta(seconds=10)], now)


@given(
    st.lists(st.integers(min_value=0, max_value=50), max_size=60),
    st.integers(min_value=0, max_value=50),
)
def test_resync_gives_every_missed_sequence_once_in_order(sequences, last_seen):
    got = room.missed(sequences, last_seen)
    assert got == sorted(set(got))
    assert set(got) == {s for s in sequences if s > last_seen}


# --- proposed outcome ---------------------------------------------------------------------------


def ev(party, kind, minute, connection="c1"):
    return AttendanceEvent(party, kind, START + minute * M, f"{party}-{connection}")


def propose(*events, outages=()):
    return room.propose_outcome(events, starts_at=START, now=START + 60 * M, outages=outages)


@pytest.mark.parametrize(
    ("events", "outcome"),
    [
        ([], Outcome.THERAPIST_DNA),
        ([ev(P, J, 0), ev(P, L, 50)], Outcome.THERAPIST_DNA),
        ([ev(T, J, -12), ev(T, L, -11), ev(P, J, 0)], Outcome.THERAPIST_DNA),
        ([ev(T, J, -5), ev(T, L, 50)], Outcome.PATIENT_DNA),
        ([ev(T, J, -5), ev(P, J, 0), ev(P, L, 50), ev(T, L, 50)], Outcome.ATTENDED),
        ([ev(T, J, -5), ev(P, J, 40), ev(P, L, 50)], Outcome.ATTENDED),  # late but seen
        ([ev(T, J, 0), ev(P, J, 0)], Outcome.ATTENDED),  # no end recorded: present to the end
        ([ev(T, J, 0), ev(P, J, 0), ev(P, D, 25), ev(P, J, 27)], Outcome.ATTENDED),
        ([ev(T, J, 0), ev(P, J, 0), ev(T, D, 5)], Outcome.TECH_FAILURE_PROVIDER),
        ([ev(T, J, 0), ev(P, J, 0), ev(P, D, 5)], Outcome.TECH_FAILURE_PATIENT),
        (
            [
                ev(T, J, 0),
                ev(P, J, 0),
                ev(T, D, 5),
                ev(P, D, 6),
                ev(T, J, 45, "c2"),
                ev(P, J, 46, "c2"),
            ],
            Outcome.TECH_FAILURE_PROVIDER,
        ),
    ],
)
def test_the_proposed_outcome_follows_the_servers_records(events, outcome):
    assert propose(*events).outcome is outcome


def test_a_provider_outage_of_10_minutes_is_the_providers_failure():
    both = [ev(T, J, 0), ev(P, J, 0)]
    assert propose(*both, outages=[(START + 10 * M, START + 19 * M)]).outcome is Outcome.ATTENDED
    assert (
        propose(*both, outages=[(START + 10 * M, START + 20 * M)]).outcome
        is Outcome.TECH_FAILURE_PROVIDER
    )


def test_time_together_is_measured_within_the_50_minutes():
    proposal = propose(ev(T, J, -10), ev(P, J, 10), ev(P, L, 30), ev(T, L, 55))
    assert proposal.together == 20 * M


def test_several_connections_of_one_person_count_once():
    spans = room.presence(
        [
            ev(P, J, 0, "a"),
            ev(P, J, 5, "b"),
            ev(P, L, 10, "a"),
            ev(P, D, 20, "b"),
            ev(P, L, 30, "x"),
        ],
        P,
        until=START + 50 * M,
    )
    assert [(s.start, s.end, s.dropped) for s in spans] == [
        (START, START + 10 * M, False),
        (START + 5 * M, START + 20 * M, True),
    ]
    proposal = propose(
        ev(T, J, 0), ev(P, J, 0, "a"), ev(P, J, 5, "b"), ev(P, L, 10, "a"), ev(P, L, 20, "b")
    )
    assert proposal.together == 20 * M


def test_no_proposal_before_the_session_ends():
    with pytest.raises(ValueError, match="not ended"):
        room.propose_outcome([], starts_at=START, now=START + 49 * M)


event_strategy = st.builds(
    AttendanceEvent,
    st.sampled_from(list(Party)),
    st.sampled_from(list(AttendanceKind)),
    st.integers(min_value=-20, max_value=70).map(lambda m: START + m * M),
    st.sampled_from(["a", "b", "c"]),
)


@given(st.lists(event_strategy, max_size=12))
def test_any_attendance_gives_one_outcome_and_together_within_50_minutes(events):
    proposal = room.propose_outcome(events, starts_at=START, now=START + 60 * M)
    assert proposal.outcome in set(Outcome)
    assert timedelta() <= proposal.together <= 50 * M


# --- who is in the room now ---------------------------------------------------------------------

JOIN, LEAVE, DROP = AttendanceKind.JOIN, AttendanceKind.LEAVE, AttendanceKind.DISCONNECT


@pytest.mark.parametrize(
    ("events", "present"),
    [
        ((), False),
        ((ev(T, JOIN, 0),), True),
        ((ev(T, JOIN, 0), ev(T, LEAVE, 5)), False),
        ((ev(T, JOIN, 0), ev(T, DROP, 5)), False),
        ((ev(T, JOIN, 0), ev(T, DROP, 5), ev(T, JOIN, 6, "c2")), True),  # back after a drop
        ((ev(T, JOIN, 0), ev(T, JOIN, 1, "c2"), ev(T, LEAVE, 2)), True),  # one tab still open
        ((ev(P, JOIN, 0),), False),  # the other party does not count
        ((ev(T, LEAVE, 5), ev(T, JOIN, 0)), False),  # in time order, whatever the list's order
    ],
)
def test_a_party_is_present_while_one_of_its_connections_is_open(events, present):
    assert room.is_present(events, T) is present


# --- a server that stopped: its connections end with it, and gaps between lives are outages ---


def on(instance, party, kind, minute, connection="c1"):
    return AttendanceEvent(
        party, kind, START + minute * M, f"{party}-{connection}", instance=instance
    )


def life(instance, started, beat, stopped=None):
    return room.InstanceLife(
        instance,
        START + started * M,
        START + beat * M,
        None if stopped is None else START + stopped * M,
    )


def test_an_instance_has_stopped_once_it_says_so_or_falls_silent():
    now = START + 60 * M
    assert life("a", 0, 60, stopped=60).ended_at(now) == now
    assert life("a", 0, 59.5).ended_at(now) is None  # beat 30 s ago: still serving
    silent = now - room.SILENT_LIMIT - timedelta(seconds=1)
    assert room.InstanceLife("a", START, silent).ended_at(now) == silent  # at its last beat
    assert room.InstanceLife("a", START, now - room.SILENT_LIMIT).ended_at(now) is None
    # with no message queue only the instance asking can be serving rooms
    assert life("a", 0, 59.5).ended_at(now, alone=True) == START + 59.5 * M


def test_a_connection_on_a_stopped_instance_is_not_present():
    crashed = {"old": START + 5 * M}
    events = [on("old", T, JOIN, 0)]
    assert room.is_present(events, T) is True  # what the room said before instances were known
    assert room.is_present(events, T, crashed) is False
    assert room.is_present([*events, on("new", T, JOIN, 6, "c2")], T, crashed) is True
    assert room.is_present([ev(T, JOIN, 0)], T, crashed) is True  # recorded before 0022


def test_a_connection_cut_off_by_its_server_dropped_when_the_server_stopped():
    spans = room.presence(
        [on("old", P, JOIN, 0), on("new", P, JOIN, 20, "c2")],
        P,
        until=START + 50 * M,
        ended={"old": START + 12 * M},
    )
    assert [(s.start, s.end, s.dropped, s.cut_off) for s in spans] == [
        (START, START + 12 * M, True, True),
        (START + 20 * M, START + 50 * M, False, False),
    ]


def test_a_crash_that_cuts_the_session_short_is_the_providers_failure():
    both = [on("old", T, JOIN, -5), on("old", P, JOIN, 0)]
    crashed = {"old": START + 10 * M}
    proposal = room.propose_outcome(both, starts_at=START, now=START + 60 * M, ended=crashed)
    assert proposal.outcome is Outcome.TECH_FAILURE_PROVIDER
    assert proposal.reason == "The service stopped during the session and cut it short."
    assert proposal.together == 10 * M
    # without knowing the server stopped, the same records read as a whole session
    assert propose(*both).outcome is Outcome.ATTENDED


def test_time_lost_to_a_stopped_server_is_the_providers_not_the_patients():
    events = [
        on("old", T, JOIN, 0),
        on("old", P, JOIN, 0),
        on("old", P, D, 5),  # the patient's own drop: 3 minutes lost
        on("old", P, JOIN, 8, "c2"),
        on("new", T, JOIN, 25, "c3"),  # back 10 minutes after the crash at 15
        on("new", P, JOIN, 25, "c4"),
        on("new", T, D, 30, "c3"),
        on("new", P, D, 30, "c4"),  # then both dropped for good
    ]
    proposal = room.propose_outcome(
        events, starts_at=START, now=START + 60 * M, ended={"old": START + 15 * M}
    )
    assert proposal.together == 17 * M
    assert proposal.outcome is Outcome.TECH_FAILURE_PROVIDER  # 10 + 20 against 3 + 20


def test_a_patients_own_longer_drop_is_still_theirs_after_a_short_crash():
    events = [
        on("old", T, JOIN, 0),
        on("old", P, JOIN, 0),
        on("old", P, D, 5),  # the patient gone for 30 minutes
        on("old", P, JOIN, 35, "c2"),
        on("new", T, JOIN, 41, "c3"),  # the server down 40 to 41
        on("new", P, JOIN, 41, "c4"),
        on("new", T, L, 45, "c3"),
        on("new", P, L, 45, "c4"),
    ]
    proposal = room.propose_outcome(
        events, starts_at=START, now=START + 60 * M, ended={"old": START + 40 * M}
    )
    assert proposal.outcome is Outcome.TECH_FAILURE_PATIENT


@pytest.mark.parametrize(
    ("lives", "gaps"),
    [
        ([], []),
        ([life("a", -60, 60)], []),
        ([life("a", -60, 10), life("b", 15, 60)], [(10, 15)]),  # a crash, then a restart
        ([life("a", -60, 10, stopped=10), life("b", 10, 60)], []),  # a clean hand-over
        ([life("a", -60, 60), life("b", -30, 20), life("c", 25, 60)], []),  # a still served
        ([life("b", 15, 60), life("a", -60, 10), life("c", 30, 40, stopped=40)], [(10, 15)]),
        ([life("a", -60, 10)], []),  # known once something serves again (the one asking does)
    ],
)
def test_outages_are_the_gaps_between_the_instances_lives(lives, gaps):
    now = START + 60 * M
    assert room.outages(lives, now) == [(START + a * M, START + b * M) for a, b in gaps]


def test_a_crash_and_restart_ten_minutes_apart_is_an_outage_of_the_session():
    gaps = room.outages([life("a", -60, 20), life("b", 30, 60)], START + 60 * M)
    both = [
        on("a", T, JOIN, 0),
        on("a", P, JOIN, 0),
        on("b", T, JOIN, 30, "c2"),
        on("b", P, JOIN, 30, "c2"),
    ]
    proposal = room.propose_outcome(
        both, starts_at=START, now=START + 60 * M, outages=gaps, ended={"a": START + 20 * M}
    )
    assert proposal.outcome is Outcome.TECH_FAILURE_PROVIDER
    assert proposal.reason == "The service was down during the session."
    assert proposal.together == 40 * M  # the time they did have, for the record's minutes


life_strategy = st.builds(
    lambda name, start, length, stopped: room.InstanceLife(
        name,
        START + start * M,
        START + (start + length) * M,
        START + (start + length) * M if stopped else None,
    ),
    st.sampled_from("abcdef"),
    st.integers(min_value=-120, max_value=120),
    st.integers(min_value=0, max_value=90),
    st.booleans(),
)


@given(st.lists(life_strategy, max_size=8))
def test_outages_never_overlap_a_life_and_fill_every_gap_between_first_start_and_now(lives):
    now = START + 200 * M
    gaps = room.outages(lives, now)
    served = [(life.started_at, max(life.started_at, life.ended_at(now) or now)) for life in lives]
    for gap_start, gap_end in gaps:
        assert gap_start < gap_end
        assert all(end <= gap_start or start >= gap_end for start, end in served)
    if lives:
        first = min(start for start, _ in served)
        last = max(end for _, end in served)  # after the last life nothing is known yet
        covered = room._length(room._union(served)) + sum((b - a for a, b in gaps), timedelta())
        assert covered == last - first


@given(st.lists(event_strategy, max_size=12), st.integers(min_value=-20, max_value=70))
def test_a_server_stopping_never_adds_presence(events, stopped_minute):
    events = [AttendanceEvent(e.party, e.kind, e.at, e.connection, instance="x") for e in events]
    ended = {"x": START + stopped_minute * M}
    assert not (room.is_present(events, T, ended) and not room.is_present(events, T))
    with_crash = room.propose_outcome(events, starts_at=START, now=START + 60 * M, ended=ended)
    without = room.propose_outcome(events, starts_at=START, now=START + 60 * M)
    assert with_crash.together <= without.together
