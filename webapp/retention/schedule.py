"""The retention schedule: how long each kind of data is kept, and when a row falls due.

Pure: values in, values out; no Flask, no database. Periods come from configuration
(`webapp.config`, RETENTION_*), with these defaults and sources:

- clinical records: 20 years after the last contact, and never before the patient's 25th
  birthday (26th if they were 17 at the last contact). NHS Talking Therapies is a mental health
  service: the Records Management Code of Practice 2021 (NHS England), appendix II, keeps
  "mental health records, including psychology records" 20 years after the last contact (or 10
  years after death; the service does not record deaths, so the longer rule stands), and
  children's records until the 25th or 26th birthday. Patients here are 16 or over, so the 20
  years always decide; the birthday rule is kept so a changed period cannot undercut it.
- decided referrals that never became a patient (declined, signposted): the same 20 years from
  the decision, since a clinician assessed them.
- subject access requests: 3 years after completion (the Code: "subject access requests and
  disclosure correspondence", 3 years after closure).
- activity (pseudonymous page views): ACTIVITY_RETENTION_DAYS, 400 days (13 months), enough
  for a year-on-year monthly report; months, not years (issue #13).
- notifications sent about appointments: 24 months (an operational log, not the record).
- practitioner referrals the patient never finished: 90 days from receipt.
- single-use links (password reset, invitation): 30 days after they expire; unfinished
  self-referral drafts: as soon as they expire (they are encrypted and keyed to a browser).

A row is due when its clock started strictly before `now - period`: a row exactly one period
old is kept until the next run (the boundary is decided one way and tested).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

D = TypeVar("D", date, datetime)


def add_months(moment: D, months: int) -> D:
    """Calendar months, the day clamped to the month's end: 29 February + 12 months is 28
    February; 31 March - 1 month is 28 (or 29) February."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    if year < 1:
        raise ValueError("a date before year 1")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class Period:
    """A calendar period: 20 years from 29 February is 28 February (see `add_months`)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if min(self.years, self.months, self.days) < 0:
            raise ValueError("a retention period cannot be negative")

    def before(self, moment: D) -> D:
        return add_months(moment, -(self.years * 12 + self.months)) - timedelta(days=self.days)

    def describe(self) -> str:
        parts = [
            f"{n} {unit}{'' if n == 1 else 's'}"
            for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if n
        ]
        return ", ".join(parts) or "no time"


@dataclass(frozen=True)
class Rule:
    kind: str
    label: str
    period: Period
    starts: str  # what starts the clock, in words
    action: str  # "deleted", or "erased" (content deleted, the account anonymised)
    source: str

    def cutoff(self, now: datetime) -> datetime:
        return cutoff(now, self.period)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("retention arithmetic needs aware datetimes (UTC)")
    return moment


def cutoff(now: datetime, period: Period) -> datetime:
    """Rows whose clock started before this moment are due."""
    return period.before(_aware(now))


def is_due(started: datetime, now: datetime, period: Period) -> bool:
    """Strictly older than the period: exactly one period old is not yet due."""
    return _aware(started) < cutoff(now, period)


def clinical_record_due_on(last_contact: date, date_of_birth: date | None, years: int) -> date:
    """The first day a clinical record may be erased: `years` after the last contact, and not
    before the 25th birthday (26th when the patient was 17 at the last contact)."""
    if years < 0:
        raise ValueError("a retention period cannot be negative")
    due = add_months(last_contact, 12 * years)
    if date_of_birth is not None:
        if date_of_birth > last_contact:
            raise ValueError("the last contact cannot be before the date of birth")
        age_at_contact = age_on(date_of_birth, last_contact)
        birthday = add_months(date_of_birth, 12 * (26 if age_at_contact == 17 else 25))
        if (date_of_birth.month, date_of_birth.day) != (birthday.month, birthday.day):
            birthday += timedelta(days=1)  # born 29 February: 1 March, as `age_on` counts
        due = max(due, birthday)
    return due


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March."""
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)


# Configuration keys (webapp.config) for each kind's period, with their units.
SETTINGS: Mapping[str, tuple[str, str]] = {
    "clinical_records": ("RETENTION_CLINICAL_YEARS", "years"),
    "decided_referrals": ("RETENTION_CLINICAL_YEARS", "years"),
    "subject_access_requests": ("RETENTION_SUBJECT_ACCESS_YEARS", "years"),
    "activity_events": ("ACTIVITY_RETENTION_DAYS", "days"),
    "notifications": ("RETENTION_NOTIFICATION_MONTHS", "months"),
    "unfinished_referrals": ("RETENTION_UNFINISHED_REFERRAL_DAYS", "days"),
    "used_links": ("RETENTION_LINK_DAYS", "days"),
    "referral_drafts": ("", "days"),  # as soon as they expire
}

_RULES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "clinical_records",
        "Clinical records of patients (referral, questionnaires, appointments, session records, "
        "chat transcripts, notes, self-help, community membership)",
        "the last contact (latest appointment, referral decision or discharge)",
        "erased",
        "Records Management Code of Practice 2021, mental health records",
    ),
    (
        "decided_referrals",
        "Declined or signposted referrals that never became a patient",
        "the decision",
        "deleted",
        "Records Management Code of Practice 2021, mental health records",
    ),
    (
        "subject_access_requests",
        "Subject access requests",
        "completion",
        "deleted",
        "Records Management Code of Practice 2021, subject access requests",
    ),
    (
        "activity_events",
        "Activity tracking (pseudonymous page views)",
        "the page view",
        "deleted",
        "Issue #13: activity for months, not years",
    ),
    (
        "notifications",
        "Reminders and confirmations sent about appointments",
        "the message was created",
        "deleted",
        "Operational log; the appointment itself is the record",
    ),
    (
        "unfinished_referrals",
        "Practitioner referrals the patient never finished",
        "the referral was received",
        "deleted",
        "Not a record of care: the person never completed it",
    ),
    (
        "used_links",
        "Password reset and invitation links",
        "the link expired",
        "deleted",
        "Security tokens: kept only long enough to investigate misuse",
    ),
    (
        "referral_drafts",
        "Unfinished self-referrals (encrypted drafts)",
        "the draft expired",
        "deleted",
        "Never sent, so never a record",
    ),
)


def schedule(settings: Mapping[str, int]) -> tuple[Rule, ...]:
    """The rules, with periods from configuration (`settings` maps a config key to a number)."""
    rules = []
    for kind, label, starts, action, source in _RULES:
        key, unit = SETTINGS[kind]
        amount = int(settings[key]) if key else 0
        rules.append(
            Rule(
                kind=kind,
                label=label,
                period=Period(**{unit: amount}),
                starts=starts,
                action=action,
                source=source,
            )
        )
    return tuple(rules)
