"""Charging rules: whether a booked session is charged to the commissioner.

Pure: values in, values out. No flask, no sqlalchemy and no other ``webapp`` module may be imported
here (an import-linter contract in ``pyproject.toml`` enforces it); time is always passed in.

The rules are the table in DOMAIN.md section 2 ("Charging"). The provider charges the
**commissioner** per session; NHS care is free to patients, so nothing here ever charges a patient.
Each booked session resolves to one :class:`Outcome`, and :func:`decide_charge` turns it into a
:class:`ChargeDecision`. A session that is not charged gives its funding back for future
allocation, so ``returns_funding`` is always ``not charged``.

Notice for a patient's cancellation is measured in real elapsed time, in UTC, from the moment the
cancellation is recorded to the booked start (DOMAIN.md section 2). The boundary is decided so:
notice of exactly :data:`NOTICE_PERIOD` (24 hours) counts as "24 hours' notice or less" and is
charged; anything more is free. A cancellation recorded after the start has negative notice and is
charged as a late cancellation.

:func:`attendance_code` maps an outcome to the national attendance code (DOMAIN.md section 5); the
decisions for outcomes the dataset does not name are documented there.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

NOTICE_PERIOD = timedelta(hours=24)
"""A patient's cancellation with this much notice or less is charged (DOMAIN.md section 2)."""


class Outcome(StrEnum):
    """How a booked session resolved: one per row of the DOMAIN.md section 2 charging table."""

    ATTENDED = "attended"
    PATIENT_CANCELLED = "patient_cancelled"
    PROVIDER_CANCELLED = "provider_cancelled"
    PATIENT_DNA = "patient_dna"
    THERAPIST_DNA = "therapist_dna"
    TECH_FAILURE_PROVIDER = "tech_failure_provider"
    TECH_FAILURE_PATIENT = "tech_failure_patient"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a session was or was not charged: a stable code for reports, and a plain sentence."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class ChargeDecision:
    """The result of :func:`decide_charge`. Charges fall on the commissioner, never the patient."""

    charged: bool
    returns_funding: bool
    reason: Reason


ATTENDED = Reason(
    "attended",
    "The session took place, so it is charged to the commissioner.",
)
PATIENT_CANCELLED_LATE = Reason(
    "patient_cancelled_late",
    "The patient cancelled with 24 hours’ notice or less, so it is charged to the commissioner.",
)
PATIENT_CANCELLED_EARLY = Reason(
    "patient_cancelled_early",
    "The patient cancelled with more than 24 hours’ notice, so it is not charged and its funding "
    "returns for future allocation.",
)
PROVIDER_CANCELLED = Reason(
    "provider_cancelled",
    "The provider cancelled the session, so it is not charged and its funding returns for future "
    "allocation.",
)
PATIENT_DNA = Reason(
    "patient_dna",
    "The patient did not attend, so it is charged to the commissioner.",
)
THERAPIST_DNA = Reason(
    "therapist_dna",
    "The therapist did not attend, so it is not charged and its funding returns to the pool for "
    "future allocation.",
)
TECH_FAILURE_PROVIDER = Reason(
    "tech_failure_provider",
    "A technical failure on the therapist’s or provider’s side stopped the session, so it is not "
    "charged and its funding returns for future allocation.",
)
TECH_FAILURE_PATIENT = Reason(
    "tech_failure_patient",
    "A technical failure on the patient’s side stopped the session, so it is charged to the "
    "commissioner.",
)

REASONS: tuple[Reason, ...] = (
    ATTENDED,
    PATIENT_CANCELLED_LATE,
    PATIENT_CANCELLED_EARLY,
    PROVIDER_CANCELLED,
    PATIENT_DNA,
    THERAPIST_DNA,
    TECH_FAILURE_PROVIDER,
    TECH_FAILURE_PATIENT,
)
"""Every reason :func:`decide_charge` can give, in table order, for reports "by reason"."""

# Whether each outcome is charged, straight from the DOMAIN.md section 2 table. A patient's
# cancellation is absent: it depends on the notice given, so decide_charge works it out.
_FIXED: dict[Outcome, tuple[bool, Reason]] = {
    Outcome.ATTENDED: (True, ATTENDED),
    Outcome.PROVIDER_CANCELLED: (False, PROVIDER_CANCELLED),
    Outcome.PATIENT_DNA: (True, PATIENT_DNA),
    Outcome.THERAPIST_DNA: (False, THERAPIST_DNA),
    Outcome.TECH_FAILURE_PROVIDER: (False, TECH_FAILURE_PROVIDER),
    Outcome.TECH_FAILURE_PATIENT: (True, TECH_FAILURE_PATIENT),
}

# National attendance codes (DOMAIN.md section 5). Attended is 5, or 6 when the caller says the
# patient arrived late but was seen. The dataset has no code for a therapist's no-show or for a
# technical failure, so these are decided here:
# - therapist_dna -> 4: the provider failed to deliver the session, which is what "cancelled or
#   postponed by the provider" records; 3 would wrongly count it in the patient's DNA rate.
# - tech_failure_provider -> 4: the same reasoning; the session was lost on the provider's side.
# - tech_failure_patient -> 2: the session was lost for a reason on the patient's side, as with a
#   late cancellation "by or for the patient" (also code 2, also charged). The patient tried to
#   attend, so 3 ("did not attend without warning") would wrongly raise their DNA rate, and 7
#   ("arrived late and not seen") does not describe a failed connection.
_ATTENDANCE_CODES: dict[Outcome, str] = {
    Outcome.ATTENDED: "5",
    Outcome.PATIENT_CANCELLED: "2",
    Outcome.PROVIDER_CANCELLED: "4",
    Outcome.PATIENT_DNA: "3",
    Outcome.THERAPIST_DNA: "4",
    Outcome.TECH_FAILURE_PROVIDER: "4",
    Outcome.TECH_FAILURE_PATIENT: "2",
}
# Arriving late: seen, the session was attended (6); too late to be seen (7), the patient did
# not attend in time, so it is charged as their non-attendance (the charging table's DNA row),
# while its own code keeps it out of the DNA rate's numerator (DOMAIN.md section 4).
_LATE_CODES = {Outcome.ATTENDED: "6", Outcome.PATIENT_DNA: "7"}


def _outcome(value: Outcome | str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        expected = ", ".join(o.value for o in Outcome)
        raise ValueError(f"unknown outcome {value!r}; expected one of {expected}") from None


def _require_aware(name: str, value: datetime) -> None:
    # Python's own definition of "aware": a tzinfo that gives an offset for this datetime.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def notice_given(booked_start: datetime, cancelled_at: datetime) -> timedelta:
    """Real time from recording the cancellation to the booked start; negative if after the start.

    Both datetimes must be aware. They are converted to UTC before subtracting: Python subtracts
    two datetimes that share a tzinfo by wall-clock time, which would count the night the clocks
    change as 24 hours instead of 23 or 25.
    """
    _require_aware("booked_start", booked_start)
    _require_aware("cancelled_at", cancelled_at)
    return booked_start.astimezone(UTC) - cancelled_at.astimezone(UTC)


def decide_charge(
    outcome: Outcome | str,
    *,
    booked_start: datetime,
    cancelled_at: datetime | None = None,
) -> ChargeDecision:
    """Decide whether a session with this outcome is charged to the commissioner.

    ``outcome`` is an :class:`Outcome` or its string value; anything else raises ``ValueError``.
    ``booked_start`` and, when given, ``cancelled_at`` must be aware (``ValueError`` if naive).
    ``cancelled_at`` is required for a patient's cancellation and ignored for other outcomes.
    """
    resolved = _outcome(outcome)
    _require_aware("booked_start", booked_start)
    if cancelled_at is not None:
        _require_aware("cancelled_at", cancelled_at)
    if resolved is Outcome.PATIENT_CANCELLED:
        if cancelled_at is None:
            raise ValueError("cancelled_at is required when the patient cancelled")
        is_late = notice_given(booked_start, cancelled_at) <= NOTICE_PERIOD
        charged, reason = (
            (True, PATIENT_CANCELLED_LATE) if is_late else (False, PATIENT_CANCELLED_EARLY)
        )
    else:
        charged, reason = _FIXED[resolved]
    return ChargeDecision(charged=charged, returns_funding=not charged, reason=reason)


def would_patient_cancellation_be_charged(booked_start: datetime, now: datetime) -> bool:
    """Whether cancelling now would be charged; the cancel screen warns before the patient confirms.

    The warning is about the commissioner's charge and the session's funding: the patient pays
    nothing either way.
    """
    return decide_charge(
        Outcome.PATIENT_CANCELLED, booked_start=booked_start, cancelled_at=now
    ).charged


def attendance_code(outcome: Outcome | str, *, late: bool = False) -> str:
    """The national attendance code for an outcome (DOMAIN.md section 5).

    ``late=True`` says the patient arrived late: seen (attended, code 6) or too late to be seen
    (patient_dna, code 7); it is a ``ValueError`` for any other outcome. See the comments on
    ``_ATTENDANCE_CODES`` and ``_LATE_CODES`` for the codes chosen where the dataset has none.
    """
    resolved = _outcome(outcome)
    if late:
        if resolved not in _LATE_CODES:
            raise ValueError(
                f"late applies only to an attended session or a patient's non-attendance, "
                f"not {resolved.value}"
            )
        return _LATE_CODES[resolved]
    return _ATTENDANCE_CODES[resolved]
