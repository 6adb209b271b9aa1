"""The charging rules of DOMAIN.md section 2 and the attendance codes of section 5."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp import charging
from webapp.charging import (
    NOTICE_PERIOD,
    REASONS,
    ChargeDecision,
    Outcome,
    Reason,
    attendance_code,
    decide_charge,
    notice_given,
    would_patient_cancellation_be_charged,
)

pytestmark = pytest.mark.pure

LONDON = ZoneInfo("Europe/London")
BOOKED = datetime(2025, 6, 10, 14, 0, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def cancel(notice: timedelta, *, booked: datetime = BOOKED) -> ChargeDecision:
    return decide_charge(
        Outcome.PATIENT_CANCELLED, booked_start=booked, cancelled_at=booked - notice
    )


def test_the_notice_period_is_24_hours() -> None:
    assert timedelta(hours=24) == NOTICE_PERIOD


# One test per row of the DOMAIN.md section 2 charging table.


def test_attended_session_is_charged() -> None:
    decision = decide_charge(Outcome.ATTENDED, booked_start=BOOKED)
    assert decision == ChargeDecision(charged=True, returns_funding=False, reason=charging.ATTENDED)


def test_patient_cancellation_with_more_than_24_hours_notice_is_not_charged() -> None:
    decision = cancel(timedelta(hours=48))
    assert decision == ChargeDecision(
        charged=False, returns_funding=True, reason=charging.PATIENT_CANCELLED_EARLY
    )


def test_patient_cancellation_with_24_hours_notice_or_less_is_charged() -> None:
    decision = cancel(timedelta(hours=3))
    assert decision == ChargeDecision(
        charged=True, returns_funding=False, reason=charging.PATIENT_CANCELLED_LATE
    )


def test_patient_did_not_attend_is_charged() -> None:
    decision = decide_charge(Outcome.PATIENT_DNA, booked_start=BOOKED)
    assert decision == ChargeDecision(
        charged=True, returns_funding=False, reason=charging.PATIENT_DNA
    )


def test_technical_failure_on_the_therapists_or_providers_side_is_not_charged() -> None:
    decision = decide_charge(Outcome.TECH_FAILURE_PROVIDER, booked_start=BOOKED)
    assert decision == ChargeDecision(
        charged=False, returns_funding=True, reason=charging.TECH_FAILURE_PROVIDER
    )


def test_technical_failure_on_the_patients_side_is_charged() -> None:
    decision = decide_charge(Outcome.TECH_FAILURE_PATIENT, booked_start=BOOKED)
    assert decision == ChargeDecision(
        charged=True, returns_funding=False, reason=charging.TECH_FAILURE_PATIENT
    )


def test_therapist_failed_to_attend_is_not_charged_and_returns_funding() -> None:
    decision = decide_charge(Outcome.THERAPIST_DNA, booked_start=BOOKED)
    assert decision == ChargeDecision(
        charged=False, returns_funding=True, reason=charging.THERAPIST_DNA
    )


def test_provider_cancellation_is_not_charged() -> None:
    decision = decide_charge(Outcome.PROVIDER_CANCELLED, booked_start=BOOKED)
    assert decision == ChargeDecision(
        charged=False, returns_funding=True, reason=charging.PROVIDER_CANCELLED
    )


@pytest.mark.parametrize(
    ("outcome", "notice", "charged"),
    [
        ("attended", None, True),
        ("patient_cancelled", timedelta(hours=25), False),
        ("patient_cancelled", timedelta(hours=24), True),
        ("patient_cancelled", timedelta(hours=1), True),
        ("patient_dna", None, True),
        ("tech_failure_provider", None, False),
        ("tech_failure_patient", None, True),
        ("therapist_dna", None, False),
        ("provider_cancelled", None, False),
    ],
)
def test_the_whole_table_accepts_string_outcomes_and_funding_returns_exactly_when_not_charged(
    outcome: str, notice: timedelta | None, charged: bool
) -> None:
    cancelled_at = None if notice is None else BOOKED - notice
    decision = decide_charge(outcome, booked_start=BOOKED, cancelled_at=cancelled_at)
    assert decision.charged is charged
    assert decision.returns_funding is (not charged)


def test_every_outcome_is_decided() -> None:
    for outcome in Outcome:
        decision = decide_charge(
            outcome, booked_start=BOOKED, cancelled_at=BOOKED - timedelta(days=2)
        )
        assert decision.reason in REASONS


def test_reasons_have_unique_codes_and_plain_english_sentences() -> None:
    codes = [reason.code for reason in REASONS]
    assert len(codes) == len(set(codes))
    for reason in REASONS:
        assert reason.text[0].isupper()
        assert reason.text.endswith(".")
        assert "patient is charged" not in reason.text


def test_no_reason_ever_charges_the_patient() -> None:
    # NHS care is free to patients: every charge falls on the commissioner (DOMAIN.md section 2).
    for reason in REASONS:
        if "charged to" in reason.text:
            assert "charged to the commissioner" in reason.text


def test_decisions_and_reasons_are_frozen() -> None:
    decision = decide_charge(Outcome.ATTENDED, booked_start=BOOKED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.charged = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.reason.code = "x"  # type: ignore[misc]
    assert isinstance(decision.reason, Reason)


# The exact boundary: 24 hours' notice or less is charged.


def test_patient_cancellation_with_exactly_24_hours_notice_is_charged() -> None:
    assert cancel(NOTICE_PERIOD).charged is True


def test_patient_cancellation_with_24_hours_and_1_microsecond_notice_is_not_charged() -> None:
    assert cancel(NOTICE_PERIOD + MICROSECOND).charged is False


def test_patient_cancellation_with_24_hours_less_1_microsecond_notice_is_charged() -> None:
    assert cancel(NOTICE_PERIOD - MICROSECOND).charged is True


def test_patient_cancellation_at_the_start_time_is_charged() -> None:
    assert cancel(timedelta(0)).charged is True


def test_patient_cancellation_recorded_after_the_start_is_charged_as_late() -> None:
    decision = cancel(-timedelta(minutes=10))
    assert decision.charged is True
    assert decision.reason == charging.PATIENT_CANCELLED_LATE


# Bad input.


def test_unknown_outcome_raises_naming_the_value() -> None:
    with pytest.raises(ValueError, match="'rescheduled'"):
        decide_charge("rescheduled", booked_start=BOOKED)


def test_outcome_name_instead_of_value_raises() -> None:
    with pytest.raises(ValueError, match="'ATTENDED'"):
        decide_charge("ATTENDED", booked_start=BOOKED)


def test_naive_booked_start_raises() -> None:
    with pytest.raises(ValueError, match="booked_start must be timezone-aware"):
        decide_charge(Outcome.ATTENDED, booked_start=datetime(2025, 6, 10, 14, 0))  # noqa: DTZ001 - the naive datetime is the point of the test


def test_naive_cancelled_at_raises() -> None:
    with pytest.raises(ValueError, match="cancelled_at must be timezone-aware"):
        decide_charge(
            Outcome.PATIENT_CANCELLED,
            booked_start=BOOKED,
            cancelled_at=datetime(2025, 6, 8, 14, 0),  # noqa: DTZ001 - the naive datetime is the point of the test
        )


def test_naive_cancelled_at_raises_even_when_the_outcome_ignores_it() -> None:
    with pytest.raises(ValueError, match="cancelled_at must be timezone-aware"):
        decide_charge(
            Outcome.ATTENDED,
            booked_start=BOOKED,
            cancelled_at=datetime(2025, 6, 8, 14, 0),  # noqa: DTZ001 - the naive datetime is the point of the test
        )


def test_patient_cancellation_without_cancelled_at_raises() -> None:
    with pytest.raises(ValueError, match="cancelled_at is required"):
        decide_charge(Outcome.PATIENT_CANCELLED, booked_start=BOOKED)


def test_cancelled_at_is_ignored_for_other_outcomes() -> None:
    far_ahead = BOOKED - timedelta(days=30)
    assert decide_charge(Outcome.ATTENDED, booked_start=BOOKED, cancelled_at=far_ahead).charged
    assert not decide_charge(
        Outcome.PROVIDER_CANCELLED, booked_start=BOOKED, cancelled_at=BOOKED
    ).charged


def test_notice_given_rejects_naive_datetimes() -> None:
    naive = datetime(2025, 6, 8, 14, 0)  # noqa: DTZ001 - the naive datetime is the point of the test
    with pytest.raises(ValueError, match="booked_start"):
        notice_given(naive, BOOKED)
    with pytest.raises(ValueError, match="cancelled_at"):
        notice_given(BOOKED, naive)


# Time zones and the UK clock changes: notice is real elapsed time, in UTC.


def test_notice_is_measured_in_utc_between_different_time_zones() -> None:
    booked = datetime(2025, 6, 10, 15, 0, tzinfo=LONDON)  # 14:00 UTC (BST)
    cancelled_at = datetime(2025, 6, 9, 10, 0, tzinfo=ZoneInfo("America/New_York"))  # 14:00 UTC
    assert notice_given(booked, cancelled_at) == timedelta(hours=24)
    assert decide_charge(
        "patient_cancelled", booked_start=booked, cancelled_at=cancelled_at
    ).charged


def test_london_summer_time_is_measured_against_utc() -> None:
    booked = datetime(2025, 6, 10, 15, 0, tzinfo=LONDON)
    just_over = datetime(2025, 6, 9, 13, 59, 59, tzinfo=UTC)
    assert notice_given(booked, just_over) == timedelta(hours=24, seconds=1)
    assert not would_patient_cancellation_be_charged(booked, just_over)


def test_fixed_offset_time_zones_are_accepted() -> None:
    booked = datetime(2025, 6, 10, 16, 0, tzinfo=timezone(timedelta(hours=2)))
    assert notice_given(booked, BOOKED) == timedelta(0)


def test_spring_forward_makes_same_wall_time_the_day_before_23_hours_notice_so_charged() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 30 March 2025 (the last Sunday of March).
    booked = datetime(2025, 3, 30, 10, 0, tzinfo=LONDON)  # 09:00 UTC, BST
    cancelled_at = datetime(2025, 3, 29, 10, 0, tzinfo=LONDON)  # 10:00 UTC, GMT
    assert notice_given(booked, cancelled_at) == timedelta(hours=23)
    assert decide_charge(
        Outcome.PATIENT_CANCELLED, booked_start=booked, cancelled_at=cancelled_at
    ).charged


def test_autumn_fall_back_makes_same_wall_time_day_before_25_hours_notice_not_charged() -> None:
    # Clocks go back at 01:00 UTC on Sunday 26 October 2025 (the last Sunday of October).
    booked = datetime(2025, 10, 26, 10, 0, tzinfo=LONDON)  # 10:00 UTC, GMT
    cancelled_at = datetime(2025, 10, 25, 10, 0, tzinfo=LONDON)  # 09:00 UTC, BST
    assert notice_given(booked, cancelled_at) == timedelta(hours=25)
    assert not decide_charge(
        Outcome.PATIENT_CANCELLED, booked_start=booked, cancelled_at=cancelled_at
    ).charged


def test_the_day_after_the_spring_change_is_a_whole_24_hours_so_charged() -> None:
    booked = datetime(2025, 3, 31, 10, 0, tzinfo=LONDON)
    cancelled_at = datetime(2025, 3, 30, 10, 0, tzinfo=LONDON)
    assert notice_given(booked, cancelled_at) == NOTICE_PERIOD
    assert would_patient_cancellation_be_charged(booked, cancelled_at)


def test_the_day_after_the_autumn_change_is_a_whole_24_hours_so_charged() -> None:
    booked = datetime(2025, 10, 27, 10, 0, tzinfo=LONDON)
    cancelled_at = datetime(2025, 10, 26, 10, 0, tzinfo=LONDON)
    assert notice_given(booked, cancelled_at) == NOTICE_PERIOD
    assert would_patient_cancellation_be_charged(booked, cancelled_at)


def test_ambiguous_autumn_hour_uses_fold_to_tell_the_two_01_30s_apart() -> None:
    first = datetime(2025, 10, 26, 1, 30, tzinfo=LONDON, fold=0)  # 00:30 UTC
    second = datetime(2025, 10, 26, 1, 30, tzinfo=LONDON, fold=1)  # 01:30 UTC
    assert notice_given(second, first) == timedelta(hours=1)


# The cancel screen's warning.


def test_cancel_screen_warns_when_cancelling_now_would_be_charged() -> None:
    assert would_patient_cancellation_be_charged(BOOKED, BOOKED - timedelta(hours=2))
    assert would_patient_cancellation_be_charged(BOOKED, BOOKED - NOTICE_PERIOD)


def test_cancel_screen_does_not_warn_with_more_than_24_hours_notice() -> None:
    assert not would_patient_cancellation_be_charged(BOOKED, BOOKED - NOTICE_PERIOD - MICROSECOND)


def test_cancel_screen_rejects_a_naive_now() -> None:
    with pytest.raises(ValueError, match="cancelled_at must be timezone-aware"):
        would_patient_cancellation_be_charged(BOOKED, datetime(2025, 6, 9, 14, 0))  # noqa: DTZ001 - the naive datetime is the point of the test


# National attendance codes (DOMAIN.md section 5).


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (Outcome.ATTENDED, "5"),
        (Outcome.PATIENT_CANCELLED, "2"),
        (Outcome.PROVIDER_CANCELLED, "4"),
        (Outcome.PATIENT_DNA, "3"),
        (Outcome.THERAPIST_DNA, "4"),
        (Outcome.TECH_FAILURE_PROVIDER, "4"),
        (Outcome.TECH_FAILURE_PATIENT, "2"),
    ],
)
def test_attendance_code_for_each_outcome(outcome: Outcome, code: str) -> None:
    assert attendance_code(outcome) == code
    assert attendance_code(outcome.value) == code


def test_attended_late_but_seen_is_code_6() -> None:
    assert attendance_code(Outcome.ATTENDED, late=True) == "6"
    assert attendance_code("attended", late=True) == "6"


def test_arrived_too_late_to_be_seen_is_code_7_and_charged_as_a_non_attendance() -> None:
    assert attendance_code(Outcome.PATIENT_DNA, late=True) == "7"
    start = datetime(2026, 3, 24, 9, tzinfo=UTC)
    assert decide_charge(Outcome.PATIENT_DNA, booked_start=start).charged


@pytest.mark.parametrize(
    "outcome", [o for o in Outcome if o not in (Outcome.ATTENDED, Outcome.PATIENT_DNA)]
)
def test_late_applies_only_to_an_attended_session_or_a_non_attendance(outcome: Outcome) -> None:
    with pytest.raises(ValueError, match=outcome.value):
        attendance_code(outcome, late=True)


def test_attendance_code_rejects_an_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="'future'"):
        attendance_code("future")


def test_therapist_no_show_and_provider_failure_never_count_as_a_patient_dna() -> None:
    # DNA rate = code 3 / codes 5, 6, 7 and 3 (DOMAIN.md section 4): only a patient's no-show is 3.
    dna = [outcome for outcome in Outcome if attendance_code(outcome) == "3"]
    assert dna == [Outcome.PATIENT_DNA]


# Properties.

ZONES = st.sampled_from(
    [
        UTC,
        LONDON,
        ZoneInfo("America/New_York"),
        ZoneInfo("Australia/Lord_Howe"),
        ZoneInfo("Asia/Kolkata"),
    ]
)
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1, tzinfo=UTC),
    max_value=datetime(2040, 1, 1, tzinfo=UTC),
    timezones=ZONES,
)


@settings(deadline=None, max_examples=300)
@given(
    booked=INSTANTS,
    offset=st.integers(min_value=-5_000_000, max_value=5_000_000),
    zone=ZONES,
)
def test_near_the_boundary_charged_exactly_when_notice_is_at_most_24_hours(
    booked: datetime, offset: int, zone: ZoneInfo
) -> None:
    notice = NOTICE_PERIOD + timedelta(microseconds=offset)
    cancelled_at = (booked.astimezone(UTC) - notice).astimezone(zone)
    decision = decide_charge(
        Outcome.PATIENT_CANCELLED, booked_start=booked, cancelled_at=cancelled_at
    )
    assert notice_given(booked, cancelled_at) == notice
    assert decision.charged is (offset <= 0)
    assert decision.returns_funding is (offset > 0)
    assert would_patient_cancellation_be_charged(booked, cancelled_at) is decision.charged


@settings(deadline=None, max_examples=300)
@given(
    booked=INSTANTS,
    notice=st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=60)),
    zone=ZONES,
)
def test_any_notice_is_charged_exactly_when_at_most_24_hours(
    booked: datetime, notice: timedelta, zone: ZoneInfo
) -> None:
    cancelled_at = (booked.astimezone(UTC) - notice).astimezone(zone)
    assert cancel_at(booked, cancelled_at).charged is (notice <= NOTICE_PERIOD)


def cancel_at(booked: datetime, cancelled_at: datetime) -> ChargeDecision:
    return decide_charge("patient_cancelled", booked_start=booked, cancelled_at=cancelled_at)


@settings(deadline=None, max_examples=300)
@given(
    year=st.integers(min_value=2000, max_value=2037),
    month=st.sampled_from([3, 10]),
    day=st.integers(min_value=23, max_value=31),
    hour=st.integers(min_value=0, max_value=23),
    minute=st.integers(min_value=0, max_value=59),
)
def test_same_wall_time_the_day_before_across_uk_clock_changes_is_measured_in_real_time(
    year: int, month: int, day: int, hour: int, minute: int
) -> None:
    booked_wall = datetime(year, month, day, hour, minute)  # noqa: DTZ001 - wall time, zone attached below
    cancelled_wall = booked_wall - timedelta(days=1)
    booked = booked_wall.replace(tzinfo=LONDON)
    cancelled_at = cancelled_wall.replace(tzinfo=LONDON)
    # Skip wall times that do not exist (the spring gap): they name no real moment.
    for moment in (booked, cancelled_at):
        if moment.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) != moment.replace(
            tzinfo=None
        ):
            return
    booked_offset = booked.utcoffset()
    cancelled_offset = cancelled_at.utcoffset()
    assert booked_offset is not None
    assert cancelled_offset is not None
    # One wall-clock day is 24 real hours, less the hour the clocks went forward in between (23 h,
    # charged) or plus the hour they went back (25 h, free).
    expected_notice = NOTICE_PERIOD + cancelled_offset - booked_offset
    assert notice_given(booked, cancelled_at) == expected_notice
    assert cancel_at(booked, cancelled_at).charged is (cancelled_offset <= booked_offset)
