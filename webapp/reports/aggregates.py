"""The commissioner reports' SQL: every figure is a COUNT, SUM or median computed by the database
over one period, grouped by the equality dimensions; no patient's rows are loaded into Python.

Read-only, for commissioners' reports (callers: `webapp.reports.compose`, the views and the
`flask report` command). National meanings are DOMAIN.md section 4 and agree with the pure
`webapp.pathway.episode` and `questionnaires.outcomes` (tests compare them on one dataset):

- attended: code 5 or 6; treatment session: attended and typed assessment-and-treatment or
  treatment;
- first and last scores per measure: at attended contacts, the last at a later contact than the
  first (window functions over each episode's scored contacts);
- finished: the referral ended in the period with at least 2 treatment sessions on or before its
  end date; entered treatment: the episode's first treatment session fell in the period.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
)

from webapp.extensions import db
from webapp.models import (
    ActivityEvent,
    Appointment,
    CareEpisode,
    ExperienceResponse,
    ItemKind,
    ModerationItem,
    Post,
    QuestionnaireResponse,
    Referral,
    RefusalCount,
    Resolution,
    StepChange,
    utcnow,
)
from webapp.reports import compose
from webapp.reports import figures as f
from webapp.reports.compose import Figures
from webapp.reports.definitions import (
    AGE_BANDS,
    ATTENDED_CODES,
    DEFAULT_PAIR,
    FINISHED_MINIMUM,
    TREATMENT_TYPES,
    WITHIN_6_WEEKS_DAYS,
    WITHIN_18_WEEKS_DAYS,
    Period,
    cut_off,
)
from webapp.reports.report import Report
from webapp.reports.sql import (
    born_by,
    day_of,
    days_between,
    hour_of,
    median,
    seconds_between,
    weekday_of,
)
from webapp.voice import queries as voice_queries

A = Appointment.__table__.c
E = CareEpisode.__table__.c
R = Referral.__table__.c
Q = QuestionnaireResponse.__table__.c


def _number(value: Decimal) -> int | float:
    """A threshold as a plain number SQLite can bind (it has no Decimal)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def age_band_of(born: Any, when: Any) -> ColumnElement[str]:
    """The age band (definitions.AGE_BANDS) on the UTC day of `when`."""
    whens = [
        (not_(born_by(born, when, literal_column(str(upper)))), label)
        for (_, label), (upper, _) in itertools.pairwise(AGE_BANDS)
    ]
    return case(*whens, else_=AGE_BANDS[-1][1])


def _equality(referral: Any = R) -> list[ColumnElement[Any]]:
    return [
        age_band_of(referral.date_of_birth, referral.received_at).label("age_band"),
        referral.gender.label("gender"),
        referral.ethnicity.label("ethnicity"),
    ]


def in_period(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.starts_at, column < period.ends_at)


def is_attended(table: Any = A) -> ColumnElement[bool]:
    return table.attendance_code.in_(sorted(ATTENDED_CODES))


def is_treatment(table: Any = A) -> ColumnElement[bool]:
    return and_(is_attended(table), table.appointment_type.in_(TREATMENT_TYPES))


def _grouped(
    statement: Select[Any], dimensions: Sequence[f.Dimension], measures: Sequence[str]
) -> f.Grouped:
    return f.Grouped.of(dimensions, measures, db.session.execute(statement).all())


def _scalar_float(statement: Select[Any]) -> float | None:
    value = db.session.execute(statement).scalar()
    return None if value is None else float(value)


# --- referrals ------------------------------------------------------------------------------


REFERRAL_MEASURES = ("received", "sought_gp", "sought_therapist", "sought_medication")


def referrals(period: Period) -> f.Grouped:
    """Referrals received in the period, by source, equality dimensions and how they heard."""
    rows = (
        select(
            R.source_code.label("source"),
            *_equality(),
            R.heard_about,
            R.sought_help_gp,
            R.sought_help_therapist,
            R.sought_help_medication,
        )
        .where(in_period(R.received_at, period))
        .subquery("received")
    )
    keys = (rows.c.source, rows.c.age_band, rows.c.gender, rows.c.ethnicity, rows.c.heard_about)
    statement = select(
        *keys,
        func.count(),
        _count_if(rows.c.sought_help_gp.is_(True)),
        _count_if(rows.c.sought_help_therapist.is_(True)),
        _count_if(rows.c.sought_help_medication.is_(True)),
    ).group_by(*keys)
    return _grouped(statement, (f.SOURCE, *f.EQUALITY, f.HEARD), REFERRAL_MEASURES)


def refusals(period: Period) -> dict[str, int]:
    """Eligibility refusals by reason (never referrals; counted apart, DOMAIN.md section 4)."""
    rows = db.session.execute(
        select(RefusalCount.reason, func.sum(RefusalCount.count))
        .where(RefusalCount.day >= period.start, RefusalCount.day < period.end)
        .group_by(RefusalCount.reason)
    ).all()
    return {reason: int(total or 0) for reason, total in rows}


# --- entering treatment ---------------------------------------------------------------------


def _entered(period: Period) -> CTE:
    """Episodes whose first treatment session fell in the period, with the referral's facts."""
    earlier = Appointment.__table__.alias("earlier")
    first_in_period = (
        select(A.episode_id.label("episode_id"), func.min(A.starts_at).label("first_at"))
        .where(is_treatment(), in_period(A.starts_at, period), A.episode_id.is_not(None))
        .where(
            ~exists().where(
                earlier.c.episode_id == A.episode_id,
                is_treatment(earlier.c),
                earlier.c.starts_at < period.starts_at,
            )
        )
        .group_by(A.episode_id)
        .subquery("first_in_period")
    )
    attended = Appointment.__table__.alias("attended")
    first_attended = (
        select(func.min(attended.c.starts_at))
        .where(attended.c.episode_id == first_in_period.c.episode_id, is_attended(attended.c))
        .scalar_subquery()
    )
    return (
        select(
            first_in_period.c.episode_id,
            R.source_code.label("source"),
            *_equality(),
            days_between(R.received_at, first_attended).label("wait_first_attended"),
        )
        .select_from(
            first_in_period.join(CareEpisode, E.id == first_in_period.c.episode_id).join(
                Referral, R.id == E.referral_id
            )
        )
        .cte("entered")
    )


def entered(period: Period) -> tuple[f.Grouped, float | None]:
    """Episodes entering treatment by source and equality dimensions, and the median wait from
    referral to the first attended appointment of any type (the secondary wait)."""
    rows = _entered(period)
    keys = (rows.c.source, rows.c.age_band, rows.c.gender, rows.c.ethnicity)
    wait = median(select(rows.c.wait_first_attended)).scalar_subquery()
    found = db.session.execute(select(*keys, func.count(), wait).group_by(*keys)).all()
    grouped = f.Grouped.of((f.SOURCE, *f.EQUALITY), ("entered",), [row[:-1] for row in found])
    return grouped, (float(found[0][-1]) if found and found[0][-1] is not None else None)


# --- ended and finished courses: outcomes and waits ------------------------------------------


def contact_total(code: str) -> Any:
    """A contact's completed total on one measure, labelled with its code, read through the
    (appointment, instrument) unique index: a lookup per contact. (Joining the responses instead
    makes PostgreSQL scan all of them: 3 to 7 seconds over 1.4 million in
    benchmarks/reports.py.) For a select over appointments (`A`)."""
    return (
        select(Q.total)
        .where(
            Q.appointment_id == A.id,
            Q.instrument == code,
            Q.total.is_not(None),
            Q.completed_at.is_not(None),
        )
        .scalar_subquery()
        .label(code)
    )


def first_and_last_totals(contacts: CTE, measures: Sequence[Any], prefix: str) -> Subquery:
    """Per episode of `contacts` (episode_id, starts_at and a `contact_total` column per
    measure): each measure's total at the contact where it was first scored and at the one
    where it was last scored, as `<code>_first` and `<code>_last`; the last only at a later
    contact than the first (DOMAIN.md section 4), else NULL. Used by the reports' outcomes and
    by supervision's review rule."""
    bounds = (
        select(
            contacts.c.episode_id,
            *(
                func.min(case((contacts.c[m.code].is_not(None), contacts.c.starts_at))).label(
                    f"{m.code}_first_at"
                )
                for m in measures
            ),
            *(
                func.max(case((contacts.c[m.code].is_not(None), contacts.c.starts_at))).label(
                    f"{m.code}_last_at"
                )
                for m in measures
            ),
        )
        .group_by(contacts.c.episode_id)
        .subquery(f"{prefix}bounds")
    )
    pivot_columns = []
    for found in measures:
        score = contacts.c[found.code]
        first_at, last_at = bounds.c[f"{found.code}_first_at"], bounds.c[f"{found.code}_last_at"]
        pivot_columns += [
            func.max(case((contacts.c.starts_at == first_at, score))).label(f"{found.code}_first"),
            func.max(
                case((and_(contacts.c.starts_at == last_at, last_at > first_at), score))
            ).label(f"{found.code}_last"),
        ]
    return (
        select(contacts.c.episode_id, *pivot_columns)
        .select_from(contacts.join(bounds, bounds.c.episode_id == contacts.c.episode_id))
        .group_by(contacts.c.episode_id)
        .subquery(f"{prefix}pivot")
    )


def _episode_facts(period: Period) -> CTE:
    """One row per episode whose referral ended in the period: its treatment sessions, first
    and last scores on the measure pair, and waits, from the episode's own appointments."""
    ended = (
        select(
            E.id.label("episode_id"),
            E.ended_on,
            R.received_at,
            *_equality(),
        )
        .select_from(CareEpisode.__table__.join(Referral, R.id == E.referral_id))
        .where(E.ended_on >= period.start, E.ended_on < period.end)
        .cte("ended")
    )
    sessions = (
        select(
            A.episode_id,
            A.starts_at,
            func.row_number()
            .over(partition_by=A.episode_id, order_by=(A.starts_at, A.id))
            .label("rn"),
            case((day_of(A.starts_at) <= ended.c.ended_on, 1), else_=0).label("by_end"),
        )
        .select_from(Appointment.__table__.join(ended, ended.c.episode_id == A.episode_id))
        .where(is_treatment())
        .subquery("sessions")
    )
    per_episode = (
        select(
            sessions.c.episode_id,
            func.sum(sessions.c.by_end).label("by_end"),
            func.count().label("sessions"),
            func.max(case((sessions.c.rn == 1, sessions.c.starts_at))).label("first_at"),
            func.max(case((sessions.c.rn == 2, sessions.c.starts_at))).label("second_at"),
        )
        .group_by(sessions.c.episode_id)
        .subquery("per_episode")
    )

    contacts = (
        select(A.episode_id, A.starts_at, *(contact_total(m.code) for m in DEFAULT_PAIR))
        .select_from(Appointment.__table__.join(ended, ended.c.episode_id == A.episode_id))
        .where(is_attended())
        .cte("contacts")
    )
    pivot_sq = first_and_last_totals(contacts, DEFAULT_PAIR, "")
    return (
        select(
            ended.c.episode_id,
            ended.c.age_band,
            ended.c.gender,
            ended.c.ethnicity,
            func.coalesce(per_episode.c.sessions, 0).label("sessions"),
            case((func.coalesce(per_episode.c.by_end, 0) >= FINISHED_MINIMUM, 1), else_=0).label(
                "finished"
            ),
            days_between(ended.c.received_at, per_episode.c.first_at).label("wait"),
            days_between(per_episode.c.first_at, per_episode.c.second_at).label("hidden_wait"),
            *(pivot_sq.c[f"{m.code}_{which}"] for m in DEFAULT_PAIR for which in ("first", "last")),
        )
        .select_from(
            ended.outerjoin(per_episode, per_episode.c.episode_id == ended.c.episode_id).outerjoin(
                pivot_sq, pivot_sq.c.episode_id == ended.c.episode_id
            )
        )
        .cte("facts")
    )


OUTCOME_MEASURES = (
    "ended",
    "one_session",
    "finished",
    "paired",
    "not_caseness",
    "recovery_denominator",
    "recovered",
    "improved",
    "deteriorated",
    "reliably_recovered",
    "within_6_weeks",
    "within_18_weeks",
    "stepped_up",
)


def _outcome_flags(facts: CTE) -> dict[str, ColumnElement[bool]]:
    """The national definitions as SQL over one episode's facts (DOMAIN.md section 4)."""
    first = {m.code: facts.c[f"{m.code}_first"] for m in DEFAULT_PAIR}
    last = {m.code: facts.c[f"{m.code}_last"] for m in DEFAULT_PAIR}
    finished = facts.c.finished == 1
    paired = and_(*(first[m.code].is_not(None) for m in DEFAULT_PAIR)) & and_(
        *(last[m.code].is_not(None) for m in DEFAULT_PAIR)
    )
    caseness = or_(*(first[m.code] >= _number(cut_off(m)) for m in DEFAULT_PAIR))
    below_at_end = and_(*(last[m.code] < _number(cut_off(m)) for m in DEFAULT_PAIR))
    falls = [
        first[m.code] - last[m.code] >= _number(m.reliable_change or Decimal(0))
        for m in DEFAULT_PAIR
    ]
    rises = [
        last[m.code] - first[m.code] >= _number(m.reliable_change or Decimal(0))
        for m in DEFAULT_PAIR
    ]
    # NULL-safe: CASE WHEN treats an unknown comparison as false, and `paired` is never NULL.
    at_caseness = case((caseness, True), else_=False)
    recovered = and_(finished, paired, at_caseness, below_at_end)
    improved = and_(finished, paired, or_(*falls), not_(or_(*rises)))
    stepped_up = exists().where(
        StepChange.episode_id == facts.c.episode_id,
        StepChange.from_step == "2",
        StepChange.to_step == "3",
    )
    return {
        "ended": literal(True),
        "one_session": facts.c.sessions == 1,
        "finished": finished,
        "paired": and_(finished, paired),
        "not_caseness": and_(finished, paired, not_(at_caseness)),
        "recovery_denominator": and_(finished, or_(at_caseness, not_(paired))),
        "recovered": recovered,
        "improved": improved,
        "deteriorated": and_(finished, paired, or_(*rises), not_(or_(*falls))),
        "reliably_recovered": and_(recovered, improved),
        "within_6_weeks": and_(finished, facts.c.wait <= WITHIN_6_WEEKS_DAYS),
        "within_18_weeks": and_(finished, facts.c.wait <= WITHIN_18_WEEKS_DAYS),
        "stepped_up": and_(finished, stepped_up),
    }


def outcomes(period: Period) -> tuple[f.Grouped, dict[str, float | None]]:
    """Ended and finished courses with recovery, reliable change and waits, by equality; and
    the medians over finished courses of the wait from referral to first treatment session and
    from first to second session (the hidden wait), and each measure's mean first and last
    score over finished courses with paired scores (`<code>_first`, `<code>_last`). One
    statement: the facts are a CTE that the sums, medians and means share."""
    facts = _episode_facts(period)
    flags = _outcome_flags(facts)
    finished = facts.c.finished == 1
    extras = {
        "referral_to_first_treatment": median(select(facts.c.wait).where(finished)),
        "first_to_second_treatment": median(select(facts.c.hidden_wait).where(finished)),
    }
    for m in DEFAULT_PAIR:
        for which in ("first", "last"):
            extras[f"{m.code}_{which}"] = select(func.avg(facts.c[f"{m.code}_{which}"])).where(
                flags["paired"]
            )
    keys = (facts.c.age_band, facts.c.gender, facts.c.ethnicity)
    rows = db.session.execute(
        select(
            *keys,
            *(_count_if(flags[key]) for key in OUTCOME_MEASURES),
            *(statement.scalar_subquery() for statement in extras.values()),
        ).group_by(*keys)
    ).all()
    grouped = f.Grouped.of(f.EQUALITY, OUTCOME_MEASURES, [row[: -len(extras)] for row in rows])
    values = rows[0][-len(extras) :] if rows else (None,) * len(extras)
    return grouped, {
        key: None if value is None else float(value)
        for key, value in zip(extras, values, strict=True)
    }


def score_means(
    grouped: f.Grouped, extras: dict[str, float | None]
) -> dict[str, tuple[float | None, float | None, int]]:
    """Mean first and last score per measure over finished courses with paired scores."""
    paired = grouped.total("paired")
    return {
        m.code: (extras.get(f"{m.code}_first"), extras.get(f"{m.code}_last"), paired)
        for m in DEFAULT_PAIR
    }


# --- appointments: attendance, take-up and charges ------------------------------------------


def _with_referral(rows: Any) -> Any:
    """Aggregate rows with an episode_id column, joined to the episode's referral (if any)."""
    return rows.outerjoin(CareEpisode, E.id == rows.c.episode_id).outerjoin(
        Referral, R.id == E.referral_id
    )


def attendance(period: Period) -> f.Grouped:
    """Appointments booked to start in the period by attendance code and equality dimension.
    Counted per episode first, so the referral's dimensions are worked out once per episode."""
    per_episode = (
        select(A.episode_id, A.attendance_code, func.count().label("n"))
        .where(in_period(A.starts_at, period))
        .group_by(A.episode_id, A.attendance_code)
        .subquery("per_episode")
    )
    rows = (
        select(per_episode.c.attendance_code, per_episode.c.n, *_equality())
        .select_from(_with_referral(per_episode))
        .subquery("booked")
    )
    keys = (rows.c.attendance_code, rows.c.age_band, rows.c.gender, rows.c.ethnicity)
    statement = select(*keys, func.sum(rows.c.n)).group_by(*keys)
    return _grouped(statement, (f.ATTENDANCE, *f.EQUALITY), ("appointments",))


def take_up(period: Period) -> tuple[f.Grouped, dict[int, int], int]:
    """People with an attended appointment in the period: their profile (each person once, by
    their latest episode's referral), how many attended sessions each had (people per count, 6
    meaning 6 or more) and all their attended sessions (counted, not rebuilt from the bands,
    which would count 10 as 6)."""
    per_person = (
        select(
            A.patient_id,
            func.max(A.episode_id).label("episode_id"),
            func.count().label("sessions"),
        )
        .where(in_period(A.starts_at, period), is_attended())
        .group_by(A.patient_id)
        .cte("per_person")
    )
    seen = (
        select(
            *_equality(),
            R.issue_type,
            R.employment_status,
            R.living_status,
        )
        .select_from(_with_referral(per_person))
        .subquery("seen")
    )
    keys = (
        seen.c.age_band,
        seen.c.gender,
        seen.c.ethnicity,
        seen.c.issue_type,
        seen.c.employment_status,
        seen.c.living_status,
    )
    profile = _grouped(
        select(*keys, func.count()).group_by(*keys),
        (*f.EQUALITY, f.ISSUE, f.EMPLOYMENT, f.LIVING),
        ("people",),
    )
    band = case((per_person.c.sessions >= 6, 6), else_=per_person.c.sessions)
    rows = db.session.execute(
        select(band, func.count(), func.sum(per_person.c.sessions)).group_by(band)
    ).all()
    counts = {int(sessions): int(people) for sessions, people, _total in rows}
    return profile, counts, sum(int(total) for _band, _people, total in rows)


def charges(period: Period) -> list[tuple[bool, str, int]]:
    """Sessions booked to start in the period with a charge decision, by charged and reason."""
    rows = db.session.execute(
        select(A.charged, A.charge_reason, func.count())
        .where(in_period(A.starts_at, period), A.charged.is_not(None))
        .group_by(A.charged, A.charge_reason)
    ).all()
    return [(bool(charged), reason or "", int(count)) for charged, reason, count in rows]


def groups(period: Period) -> dict[str, int]:
    """Group meetings starting in the period that were delivered, and the members who attended
    them (codes 5 and 6)."""
    from webapp.models import GroupAttendance, GroupOccurrence, OccurrenceStatus

    occurrences, attendances = GroupOccurrence.__table__, GroupAttendance.__table__
    o, a = occurrences.c, attendances.c
    delivered = and_(in_period(o.starts_at, period), o.status == OccurrenceStatus.DELIVERED.value)
    meetings = db.session.execute(
        select(func.count()).select_from(occurrences).where(delivered)
    ).scalar_one()
    members = db.session.execute(
        select(func.count())
        .select_from(attendances.join(occurrences, o.id == a.occurrence_id))
        .where(delivered, a.code.in_(["5", "6"]))
    ).scalar_one()
    return {"delivered": int(meetings), "members": int(members)}


# --- community and activity -----------------------------------------------------------------


def community(period: Period) -> dict[str, int | float | None]:
    """Posts, held posts, alerts, acknowledgement and escalations in the period. Alerts,
    their texts, acknowledgement and escalations count group meetings' alerts too."""
    items = ModerationItem.__table__.c
    posts = db.session.execute(
        select(func.count()).select_from(Post).where(in_period(Post.created_at, period))
    ).scalar_one()
    in_month = in_period(items.created_at, period)
    row = db.session.execute(
        select(
            _count_if(
                and_(
                    items.kind.in_([ItemKind.HOLD.value, ItemKind.ALERT.value]),
                    items.post_id.is_not(None),  # a group meeting's alert holds no post
                )
            ),
            _count_if(items.kind == ItemKind.ALERT.value),
            _count_if(items.kind == ItemKind.FLAG.value),
            _count_if(items.kind == ItemKind.REPORT.value),
            _count_if(and_(items.kind == ItemKind.ALERT.value, items.escalations_sent > 0)),
            _count_if(items.escalated_to_clinical_at.is_not(None)),
            _count_if(items.resolution == Resolution.REMOVED.value),
            _count_if(and_(items.kind == ItemKind.ALERT.value, items.acknowledged_at.is_not(None))),
        ).where(in_month)
    ).one()
    acknowledge = _scalar_float(
        median(
            select(seconds_between(items.created_at, items.acknowledged_at) / 60.0).where(
                in_month,
                items.kind == ItemKind.ALERT.value,
                items.acknowledged_at.is_not(None),
            )
        )
    )
    keys = ("held", "alerts", "flags", "reports", "texted", "escalated", "removed", "acknowledged")
    return {"posts": int(posts), **{k: int(v) for k, v in zip(keys, row, strict=True)}} | {
        "median_minutes_to_acknowledge": acknowledge
    }


def activity(period: Period) -> dict[str, Any]:
    """Page views by section, module, role, weekday and hour (one grouped pass, folded per
    dimension); visits, visitors, registered members and time on site (a pass over visits)."""
    ev = ActivityEvent.__table__.c
    in_month = in_period(ev.occurred_at, period)
    weekday, hour = weekday_of(ev.occurred_at), hour_of(ev.occurred_at)
    keys = (ev.section, ev.module, ev.role, weekday, hour)
    rows = db.session.execute(select(*keys, func.count()).where(in_month).group_by(*keys)).all()

    def fold(*positions: int) -> list[tuple[Any, ...]]:
        sums: dict[tuple[Any, ...], int] = {}
        for row in rows:
            key = tuple(row[p] for p in positions)
            sums[key] = sums.get(key, 0) + int(row[-1])
        return [(*key, count) for key, count in sums.items()]

    visits = (
        select(
            ev.visitor_key,
            seconds_between(func.min(ev.occurred_at), func.max(ev.occurred_at)).label("seconds"),
            func.max(case((ev.role == "patient", ev.visitor_key))).label("member"),
        )
        .where(in_month, ev.visit_key.is_not(None))
        .group_by(ev.visit_key, ev.visitor_key)
        .subquery("visits")
    )
    visit_count, visitors, members, seconds = db.session.execute(
        select(
            func.count(),
            func.count(func.distinct(visits.c.visitor_key)),
            func.count(func.distinct(visits.c.member)),
            func.coalesce(func.sum(visits.c.seconds), 0),
        )
    ).one()
    return {
        "by_section": fold(0),
        "by_module": fold(0, 1),
        "by_role": fold(2),
        "by_weekday": fold(3),
        "by_hour": fold(4),
        "page_views": sum(int(row[-1]) for row in rows),
        "visits": int(visit_count),
        "visitors": int(visitors),
        "members": int(members),
        "seconds": float(seconds or 0),
    }


# --- quarterly extras -----------------------------------------------------------------------


def experience(period: Period) -> dict[str, int]:
    """Treatment PEQs completed in the period by their answer to "Has the service helped you to
    understand and deal with your difficulties?" (how far people credit the service)."""
    x = ExperienceResponse.__table__.c
    answer = ExperienceResponse.answers["helped_understand"].as_string()
    rows = db.session.execute(
        select(answer, func.count())
        .where(
            x.instrument == "peq_treatment",
            x.completed_at.is_not(None),
            in_period(x.completed_at, period),
        )
        .group_by(answer)
    ).all()
    return {("" if value is None else str(value)): int(count) for value, count in rows}


# --- the community's voice -------------------------------------------------------------------


def voice(period: Period) -> dict[str, Any]:
    """Consultations closed in the period with their counts, and suggestions by status (the
    voice package's own queries; a handful of consultations, so one query each is fine). One
    due to close later this month is still open: it is left out until it has closed."""
    now = utcnow()
    closed = [
        compose.ClosedConsultation(
            title=found.title,
            kind=found.kind.value.capitalize(),
            closed_on=f"{found.closes_at:%-d %B %Y}",
            respondents=found.respondents,
            options=tuple((o.label, o.count) for o in found.poll.options) if found.poll else (),
        )
        for found in voice_queries.consultation_summary(period.starts_at, period.ends_at)
        if found.closes_at <= now
    ]
    return {
        "consultations": closed,
        "suggestions": voice_queries.suggestion_counts(period.starts_at, period.ends_at),
    }


# --- the whole report -----------------------------------------------------------------------


def _tune_postgresql() -> None:
    """For this transaction only: no JIT, and room to sort in memory. The window and CASE
    queries here are short but estimated huge, so PostgreSQL's JIT spent 9 of a query's 14
    seconds compiling (benchmarks/reports.py), and small sorts spilled to disk."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '32MB'"))


def collect(period: Period) -> Figures:
    """Every figure a report of this period needs, each from its own aggregate query."""
    _tune_postgresql()
    entered_rows, wait_first_attended = entered(period)
    profile, sessions_per_person, attended_sessions = take_up(period)
    outcome_rows, median_waits = outcomes(period)
    quarterly = period.kind == "quarterly"
    return Figures(
        referrals=referrals(period),
        refusals=refusals(period),
        entered=entered_rows,
        wait_first_attended=wait_first_attended,
        outcomes=outcome_rows,
        waits=median_waits,
        attendance=attendance(period),
        profile=profile,
        sessions_per_person=sessions_per_person,
        attended_sessions=attended_sessions,
        charges=[] if quarterly else charges(period),
        community={} if quarterly else community(period),
        activity={} if quarterly else activity(period),
        score_means=score_means(outcome_rows, median_waits) if quarterly else {},
        experience=experience(period) if quarterly else {},
        groups={} if quarterly else groups(period),
        voice={} if quarterly else voice(period),
    )


def build(period: Period, now: datetime) -> Report:
    """The published report for a month or a quarter."""
    figures = collect(period)
    if period.kind == "quarterly":
        return compose.quarterly(period, figures, now)
    return compose.monthly(period, figures, now)
