"""The monthly and quarterly commissioner reports, laid out from unrounded figures.

Pure: `Figures` holds what `webapp.reports.aggregates` computed (sums per group, medians);
`monthly` and `quarterly` turn them into a `Report` whose every cell is published (suppressed).
The contents are DOMAIN.md section 6 and the national measures of section 4 with equality
breakdowns; section keys and table keys are part of the stable JSON shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webapp.charging import REASONS
from webapp.referral.codes import REFUSAL_REASONS
from webapp.reports import figures as f
from webapp.reports.definitions import (
    ATTENDANCE_LABELS,
    DEFAULT_PAIR,
    DNA_CODE,
    DNA_DENOMINATOR_CODES,
    OUTCOME_CODES,
    PATIENT_CANCELLED_CODE,
    PROVIDER_CANCELLED_CODE,
    Period,
)
from webapp.reports.report import Column, Rate, Raw, Report, Section, Statistic, Table, table

LABEL = Column("label", "", "text")
COUNT = Column("count", "Number")
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
HOUR_BANDS = (
    (0, "Midnight to 6am"),
    (6, "6am to noon"),
    (12, "Noon to 6pm"),
    (18, "6pm to midnight"),
)
PEQ_ANSWERS = {
    "0": "Never",
    "1": "Rarely",
    "2": "Sometimes",
    "3": "Most of the time",
    "4": "At all times",
}
REASON_TEXT = {reason.code: reason.text for reason in REASONS}


@dataclass(frozen=True)
class Figures:
    """Unrounded figures for one period (see `webapp.reports.aggregates` for each query)."""

    referrals: f.Grouped
    refusals: Mapping[str, int]
    entered: f.Grouped
    wait_first_attended: float | None
    outcomes: f.Grouped
    waits: Mapping[str, float | None]
    attendance: f.Grouped
    profile: f.Grouped
    sessions_per_person: Mapping[int, int]
    attended_sessions: int
    charges: Sequence[tuple[bool, str, int]]
    community: Mapping[str, Any]
    activity: Mapping[str, Any]
    score_means: Mapping[str, tuple[float | None, float | None, int]] = field(default_factory=dict)
    experience: Mapping[str, int] = field(default_factory=dict)
    groups: Mapping[str, int] = field(default_factory=dict)  # see aggregates.groups
    voice: Mapping[str, Any] = field(default_factory=dict)  # see `_voice`; monthly only


def _rate(numerator: int, denominator: int) -> Raw:
    return Rate(numerator, denominator) if numerator <= denominator else ""


def _share(part: int, whole: int) -> Raw:
    return Rate(part, whole, of_parts=True) if part <= whole else ""


def _count_table(
    key: str, title: str, counts: Mapping[str, int], *, heading: str = "Number", chart: bool = True
) -> Table:
    return table(
        key,
        title,
        (LABEL, Column("count", heading)),
        [(label, (count,)) for label, count in counts.items()],
        chart="count" if chart else None,
    )


def _headline(figures: Figures) -> Table:
    o = figures.outcomes
    dna = _dna(figures.attendance)
    rows: list[tuple[str, Sequence[Raw]]] = [
        ("Referrals received", (figures.referrals.total("received"), "", "")),
        ("Entered treatment", (figures.entered.total("entered"), "", "")),
        ("Referrals ended", (o.total("ended"), "", "")),
        ("Finished a course of treatment", (o.total("finished"), o.total("ended"), "")),
        ("Ended after one treatment session only", (o.total("one_session"), "", "")),
        ("Not at caseness at the start", (o.total("not_caseness"), o.total("finished"), "")),
    ]
    for label, numerator, denominator in (
        ("Recovery", "recovered", "recovery_denominator"),
        ("Reliable improvement", "improved", "finished"),
        ("Reliable recovery", "reliably_recovered", "recovery_denominator"),
        ("Reliable deterioration", "deteriorated", "finished"),
        ("Finished courses with paired scores", "paired", "finished"),
        ("First treatment within 6 weeks", "within_6_weeks", "finished"),
        ("First treatment within 18 weeks", "within_18_weeks", "finished"),
    ):
        n, d = o.total(numerator), o.total(denominator)
        rows.append((label, (n, d, _rate(n, d))))
    rows.append(("Did not attend (DNA)", (dna[0], dna[1], _rate(*dna))))
    return table(
        "headline",
        "National measures",
        (
            LABEL,
            Column("number", "Number"),
            Column("out_of", "Out of"),
            Column("rate", "Rate", "rate"),
        ),
        rows,
        note=(
            "Recovery and reliable recovery are out of finished courses less those not at caseness "
            "at the start (a finished course without paired scores stays in and is not recovered). "
            "Standards: recovery 50%, paired scores 90%, 6 weeks 75%, 18 weeks 95%."
        ),
    )


def _dna(attendance: f.Grouped, dimension: f.Dimension | None = None) -> tuple[int, int]:
    by_code = attendance.by(f.ATTENDANCE, "appointments")
    dna = by_code.get(ATTENDANCE_LABELS[DNA_CODE], 0)
    return dna, sum(by_code.get(ATTENDANCE_LABELS[code], 0) for code in DNA_DENOMINATOR_CODES)


def _waits(figures: Figures) -> Table:
    finished = figures.outcomes.total("finished")
    entered = figures.entered.total("entered")
    w = figures.waits
    return table(
        "waits",
        "Waiting times (days, median)",
        (LABEL, Column("median_days", "Median days", "statistic"), Column("based_on", "Based on")),
        [
            (
                "Referral to first treatment session (courses finished)",
                (Statistic(w.get("referral_to_first_treatment"), finished), finished),
            ),
            (
                "Referral to first attended appointment (entered treatment)",
                (Statistic(figures.wait_first_attended, entered), entered),
            ),
            (
                "First to second treatment session (courses finished)",
                (Statistic(w.get("first_to_second_treatment"), finished), finished),
            ),
        ],
    )


def _breakdown(figures: Figures, dimension: f.Dimension) -> Table:
    """Every headline measure by one equality dimension."""
    o = figures.outcomes
    referrals = figures.referrals.by(dimension, "received")
    entered = figures.entered.by(dimension, "entered")
    sums = {key: o.by(dimension, key) for key in o.measures}
    rows = []
    for label in dimension.order():
        n = {key: sums[key].get(label, 0) for key in sums}
        dna, dna_of = _dna_by(figures.attendance, dimension, label)
        rows.append(
            (
                label,
                (
                    referrals.get(label, 0),
                    entered.get(label, 0),
                    n["finished"],
                    _rate(n["recovered"], n["recovery_denominator"]),
                    _rate(n["improved"], n["finished"]),
                    _rate(n["reliably_recovered"], n["recovery_denominator"]),
                    _rate(n["deteriorated"], n["finished"]),
                    _rate(n["within_6_weeks"], n["finished"]),
                    _rate(n["within_18_weeks"], n["finished"]),
                    _rate(dna, dna_of),
                ),
            )
        )
    columns = (
        LABEL,
        Column("referrals", "Referrals"),
        Column("entered", "Entered treatment"),
        Column("finished", "Finished"),
        Column("recovery", "Recovery", "rate"),
        Column("reliable_improvement", "Reliable improvement", "rate"),
        Column("reliable_recovery", "Reliable recovery", "rate"),
        Column("reliable_deterioration", "Reliable deterioration", "rate"),
        Column("within_6_weeks", "Within 6 weeks", "rate"),
        Column("within_18_weeks", "Within 18 weeks", "rate"),
        Column("dna", "DNA rate", "rate"),
    )
    return table(
        f"by_{dimension.key}",
        f"National measures by {dimension.title.lower()}",
        columns,
        rows,
        chart="referrals",
    )


def _dna_by(attendance: f.Grouped, dimension: f.Dimension, label: str) -> tuple[int, int]:
    index = [d.key for d in attendance.dimensions].index(dimension.key)
    dna = total = 0
    for row in attendance.rows:
        if dimension.label(row[index]) != label:
            continue
        code, count = str(row[0]), int(row[-1])  # type: ignore[call-overload]
        if code == DNA_CODE:
            dna += count
        if code in DNA_DENOMINATOR_CODES:
            total += count
    return dna, total


def _national(figures: Figures) -> Section:
    return Section(
        "national_measures",
        "National measures",
        (
            _headline(figures),
            _waits(figures),
            *(_breakdown(figures, dimension) for dimension in f.EQUALITY),
        ),
    )


def _referrals(figures: Figures) -> Section:
    received = figures.referrals.by(f.SOURCE, "received")
    entered = figures.entered.by(f.SOURCE, "entered")
    by_source = table(
        "referrals_by_source",
        "Referrals and take-up by source of referral",
        (LABEL, Column("received", "Referrals received"), Column("entered", "Entered treatment")),
        [(label, (received.get(label, 0), entered.get(label, 0))) for label in f.SOURCE.order()],
        chart="received",
    )
    refusals = _count_table(
        "refusals",
        "Refused at the eligibility check (never referrals)",
        {label: figures.refusals.get(code, 0) for code, label in REFUSAL_REASONS.items()},
        chart=False,
    )
    heard = _count_table(
        "heard_about", "How people heard of the service", figures.referrals.by(f.HEARD, "received")
    )
    sought = _count_table(
        "sought_help",
        "Sought help elsewhere (of referrals received)",
        {
            "From a GP": figures.referrals.total("sought_gp"),
            "From a therapist or counsellor": figures.referrals.total("sought_therapist"),
            "Medication": figures.referrals.total("sought_medication"),
        },
        chart=False,
    )
    return Section("referrals", "Referrals", (by_source, refusals, heard, sought))


def _take_up(figures: Figures) -> Section:
    per_person = figures.sessions_per_person
    people = sum(per_person.values())  # the same people the sessions are counted over
    sessions = figures.attended_sessions
    summary = table(
        "take_up",
        "People using therapy",
        (LABEL, Column("value", "Number")),
        [
            ("People with an attended appointment", (people,)),
            ("Attended appointments", (sessions,)),
            (
                "Attended appointments per person (mean)",
                (Statistic(sessions / people if people else None, people),),
            ),
        ],
    )
    distribution = _count_table(
        "sessions_per_person",
        "People by attended appointments in the period",
        {(f"{n} or more" if n == 6 else str(n)): per_person.get(n, 0) for n in (1, 2, 3, 4, 5, 6)},
        heading="People",
    )
    profile = tuple(
        _count_table(
            f"profile_{dimension.key}",
            f"People using therapy by {dimension.title.lower()}",
            figures.profile.by(dimension, "people"),
            heading="People",
            chart=dimension.key in ("age_band", "ethnicity"),
        )
        for dimension in (*f.EQUALITY, f.ISSUE, f.EMPLOYMENT, f.LIVING)
    )
    return Section("take_up", "Take-up and profile", (summary, distribution, *profile))


def _attendance(figures: Figures) -> Section:
    by_code = figures.attendance.by(f.ATTENDANCE, "appointments")
    with_outcome = sum(by_code.get(ATTENDANCE_LABELS[code], 0) for code in OUTCOME_CODES)
    codes = table(
        "attendance",
        "Appointments booked to start in the period, by attendance",
        (LABEL, Column("appointments", "Appointments")),
        [
            (ATTENDANCE_LABELS[code], (by_code.get(ATTENDANCE_LABELS[code], 0),))
            for code in ("5", "6", "7", "3", "2", "4")
        ],
        chart="appointments",
    )
    dna = _dna(figures.attendance)
    patient = by_code.get(ATTENDANCE_LABELS[PATIENT_CANCELLED_CODE], 0)
    provider = by_code.get(ATTENDANCE_LABELS[PROVIDER_CANCELLED_CODE], 0)
    rates = table(
        "attendance_rates",
        "DNA and cancellation rates",
        (
            LABEL,
            Column("number", "Number"),
            Column("out_of", "Out of"),
            Column("rate", "Rate", "rate"),
        ),
        [
            ("Did not attend (DNA)", (dna[0], dna[1], _rate(*dna))),
            (
                "Cancelled by or for the patient",
                (patient, with_outcome, _rate(patient, with_outcome)),
            ),
            ("Cancelled by the provider", (provider, with_outcome, _rate(provider, with_outcome))),
        ],
        note=(
            "DNA rate: code 3 out of codes 5, 6, 7 and 3. Cancellation rates: out of every "
            "appointment with a recorded attendance code."
        ),
    )
    return Section("attendance", "Attendance and cancellations", (codes, rates))


def _charges(figures: Figures) -> Section:
    rows = sorted(figures.charges, key=lambda r: (not r[0], r[1]))
    by_reason = table(
        "charges_by_reason",
        "Sessions charged and not charged, by reason",
        (LABEL, Column("charged", "Charged", "text"), Column("sessions", "Sessions")),
        [
            (REASON_TEXT.get(reason, reason), ("Yes" if charged else "No", count))
            for charged, reason, count in rows
        ],
        note="The monthly charging statement lists each session; these are published totals.",
    )
    totals = table(
        "charges_totals",
        "Sessions charged and not charged",
        (LABEL, Column("sessions", "Sessions")),
        [
            ("Charged", (sum(c for charged, _, c in rows if charged),)),
            ("Not charged", (sum(c for charged, _, c in rows if not charged),)),
        ],
        chart="sessions",
    )
    return Section("charges", "Sessions charged", (totals, by_reason))


def _community(figures: Figures) -> Section:
    c = figures.community
    acknowledged = int(c.get("acknowledged", 0))
    return Section(
        "community",
        "Community",
        (
            table(
                "community",
                "Community activity and moderation",
                (LABEL, Column("value", "Number")),
                [
                    ("Posts", (int(c["posts"]),)),
                    ("Posts held for a moderator", (int(c["held"]),)),
                    ("Risk alerts (posts and group meetings)", (int(c["alerts"]),)),
                    ("Posts flagged", (int(c["flags"]),)),
                    ("Posts reported by members", (int(c["reports"]),)),
                    ("Posts removed", (int(c["removed"]),)),
                    ("Alerts texted to the on-call clinician", (int(c["texted"]),)),
                    ("Escalated to the clinical lead", (int(c["escalated"]),)),
                    (
                        "Minutes to acknowledge a risk alert (median)",
                        (Statistic(c.get("median_minutes_to_acknowledge"), acknowledged),),
                    ),
                ],
                chart="value",
            ),
        ),
    )


def _activity(figures: Figures) -> Section:
    a = figures.activity
    visitors = int(a["visitors"])
    summary = table(
        "activity",
        "Use of the site",
        (LABEL, Column("value", "Number")),
        [
            ("Page views", (int(a["page_views"]),)),
            ("Visits by signed-in people", (int(a["visits"]),)),
            ("Signed-in people visiting", (visitors,)),
            ("Registered members (patients) visiting", (int(a["members"]),)),
            (
                "Visits per person (mean)",
                (Statistic(a["visits"] / visitors if visitors else None, visitors),),
            ),
            (
                "Minutes on the site per person (mean)",
                (Statistic(a["seconds"] / 60 / visitors if visitors else None, visitors),),
            ),
        ],
        note=(
            "From the site's own page-view events, pseudonymous; a visit ends after 30 minutes "
            "without a page view, and its time runs from its first to its last page view."
        ),
    )
    sections = _count_table(
        "page_views_by_section",
        "Most popular parts of the site (page views)",
        dict(sorted(((str(s), int(n)) for s, n in a["by_section"]), key=lambda x: -x[1])),
        heading="Page views",
    )
    modules = _count_table(
        "page_views_by_module",
        "Most viewed self-help modules",
        dict(
            sorted(
                ((str(m), int(n)) for s, m, n in a["by_module"] if s == "library" and m),
                key=lambda x: -x[1],
            )[:10]
        ),
        heading="Page views",
        chart=False,
    )
    roles = _count_table(
        "page_views_by_role",
        "Page views by role",
        {
            (str(r).replace("_", " ").capitalize() if r else "Not signed in"): int(n)
            for r, n in a["by_role"]
        },
        heading="Page views",
        chart=False,
    )
    weekday = dict.fromkeys(WEEKDAYS, 0)
    for day, n in a["by_weekday"]:
        weekday[WEEKDAYS[int(day)]] += int(n)
    hours = dict.fromkeys((label for _, label in HOUR_BANDS), 0)
    for hour, n in a["by_hour"]:
        label = next(label for start, label in reversed(HOUR_BANDS) if int(hour) >= start)
        hours[label] += int(n)
    return Section(
        "activity",
        "Use of the site",
        (
            summary,
            sections,
            modules,
            roles,
            _count_table(
                "page_views_by_weekday",
                "Page views by day of the week",
                weekday,
                heading="Page views",
            ),
            _count_table(
                "page_views_by_time", "Page views by time of day (UTC)", hours, heading="Page views"
            ),
        ),
    )


# --- the community's voice (issue #15) -------------------------------------------------------


@dataclass(frozen=True)
class ClosedConsultation:
    """A consultation that closed in the period, as counts only (never a handle or an answer)."""

    title: str
    kind: str  # "Poll" or "Survey"
    closed_on: str  # the day it closed, already written out
    respondents: int
    options: tuple[tuple[str, int], ...] = ()  # a poll's (option, people who chose it)


SUGGESTION_ROWS = (
    ("received", "Suggestions received"),
    ("new", "Waiting for a reply"),
    ("under_review", "Under review"),
    ("planned", "Planned"),
    ("done", "Done"),
    ("not_doing", "Not doing"),
    ("replied", "Replies given in the month"),
)


def _voice(figures: Figures) -> Section:
    """Consultations that closed in the month with their results, and suggestions by status.
    Option shares are of the poll's respondents (a multiple-choice poll's add up to more)."""
    closed: Sequence[ClosedConsultation] = figures.voice.get("consultations", ())
    suggestions: Mapping[str, int] = figures.voice.get("suggestions", {})
    consultations = table(
        "consultations",
        "Consultations closed this month",
        (
            LABEL,
            Column("kind", "Kind", "text"),
            Column("closed", "Closed", "text"),
            Column("respondents", "People who took part"),
        ),
        [(c.title, (c.kind, c.closed_on, c.respondents)) for c in closed],
        note="" if closed else "No consultation closed this month.",
    )
    results = table(
        "consultation_results",
        "Poll results",
        (LABEL, Column("chose", "People who chose it"), Column("share", "Share", "rate")),
        [
            (f"{c.title}: {label}", (count, _share(count, c.respondents)))
            for c in closed
            for label, count in c.options
        ],
        note="A share is of the poll's respondents, worked out from the rounded figures so that "
        "a hidden count cannot be worked out from the others; a poll allowing several answers "
        "can add up to more than 100%. Survey answers are read by staff and never published.",
    )
    labels = dict(SUGGESTION_ROWS)
    known = [key for key, _ in SUGGESTION_ROWS if key in suggestions]
    extra = sorted(key for key in suggestions if key not in labels)
    by_status = table(
        "suggestions",
        "Suggestions from the community",
        (LABEL, COUNT),
        [
            (labels.get(key, key.replace("_", " ").capitalize()), (int(suggestions[key]),))
            for key in (*known, *extra)
        ],
        note="Received in the month, by where each stands now.",
    )
    return Section("voice", "The community's voice", (consultations, results, by_status))


def monthly(period: Period, figures: Figures, generated_at: datetime) -> Report:
    return Report(
        period,
        generated_at,
        (
            _national(figures),
            _referrals(figures),
            _take_up(figures),
            _attendance(figures),
            _groups(figures),
            _charges(figures),
            _community(figures),
            _activity(figures),
            _voice(figures),
        ),
    )


def _groups(figures: Figures) -> Section:
    """Sessions delivered one-to-one and in groups, and members per delivered group session
    (issue #15)."""
    one_to_one = sum(
        figures.attendance.by(f.ATTENDANCE, "appointments").get(ATTENDANCE_LABELS[code], 0)
        for code in ("5", "6")
    )
    delivered, members = figures.groups.get("delivered", 0), figures.groups.get("members", 0)
    return Section(
        "groups",
        "One-to-one and group sessions",
        (
            table(
                "group_sessions",
                "Sessions delivered one-to-one and in groups",
                (LABEL, Column("value", "Number")),
                [
                    ("One-to-one sessions attended", (one_to_one,)),
                    ("Group sessions delivered", (delivered,)),
                    ("Group members attending, over all group sessions", (members,)),
                    (
                        "Members per group session (mean)",
                        (Statistic(members / delivered if delivered else None, delivered),),
                    ),
                ],
                note=(
                    "A group session is delivered when at least one member attended (code 5 or "
                    "6); each is one chargeable unit to the commissioner."
                ),
            ),
        ),
    )


def _first_and_last(figures: Figures) -> Table:
    rows = []
    for found in DEFAULT_PAIR:
        first, last, based_on = figures.score_means.get(found.code, (None, None, 0))
        rows.append((found.name, (Statistic(first, based_on), Statistic(last, based_on), based_on)))
    return table(
        "first_and_last_scores",
        "First and last scores (mean, finished courses with paired scores)",
        (
            LABEL,
            Column("first", "First score", "statistic"),
            Column("last", "Last score", "statistic"),
            Column("based_on", "Courses"),
        ),
        rows,
    )


def _experience(figures: Figures) -> Table:
    return _count_table(
        "helped_by_the_service",
        "Has the service helped you to understand and deal with your difficulties? "
        "(end of treatment)",
        {label: figures.experience.get(code, 0) for code, label in PEQ_ANSWERS.items()},
        heading="People",
    )


def _self_management(figures: Figures) -> Table:
    finished = figures.outcomes.total("finished")
    stepped = figures.outcomes.total("stepped_up")
    return table(
        "self_management",
        "Finished courses that did not step up to high intensity",
        (
            LABEL,
            Column("number", "Number"),
            Column("out_of", "Out of"),
            Column("rate", "Rate", "rate"),
        ),
        [("Did not step up", (finished - stepped, finished, _rate(finished - stepped, finished)))],
        note=(
            "GP visits after treatment are not recorded by the service, so the share who neither "
            "visit a GP nor step up cannot yet be given; this is the share who did not step up."
        ),
    )


def quarterly(period: Period, figures: Figures, generated_at: datetime) -> Report:
    outcomes = Section(
        "outcomes",
        "Outcomes",
        (_first_and_last(figures), _experience(figures), _self_management(figures)),
    )
    return Report(period, generated_at, (_national(figures), outcomes))
