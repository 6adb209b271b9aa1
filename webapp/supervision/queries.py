"""Read-only questions for supervision: each figure per therapist, the episodes behind a figure,
and supervision meetings.

Every figure is defined once, as a query of the items it counts (one row per appointment,
episode, rating or flag, with the therapist it belongs to and its episode). The dashboard counts
them grouped by therapist (one query per figure, however many therapists); the list behind a
figure groups the same rows by episode. The national definitions are the commissioner reports'
(`webapp.reports.aggregates`: attended, DNA, finished, recovery, reliable improvement) and the
pathway's (`webapp.pathway.episode.needs_review`), never re-derived here.

Who sees what: the clinical lead every therapist's figures; a therapist only their own (another
therapist's id is a 404). A list of episodes only ever names episodes the viewer may open
(`webapp.pathway.queries`: a therapist's own patients); an item in an episode they may not see is
counted, never named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import abort
from sqlalchemy import Select, case, exists, func, literal, not_, or_, select
from sqlalchemy.orm import joinedload

from questionnaires.measures import GAD7, PHQ9
from webapp.clinical.queries import credentials_overview
from webapp.extensions import db
from webapp.models import (
    Appointment,
    CareEpisode,
    RiskFlag,
    Role,
    SessionRating,
    SessionRecord,
    SupervisionMeeting,
    User,
)
from webapp.reports import aggregates
from webapp.reports.definitions import (
    DNA_CODE,
    DNA_DENOMINATOR_CODES,
    OUTCOME_CODES,
    PATIENT_CANCELLED_CODE,
    PROVIDER_CANCELLED_CODE,
    Period,
)
from webapp.sessions.room import RECORD_WINDOW
from webapp.supervision import figures as rules
from webapp.supervision.figures import Counts, Window

REVIEW_MEASURES = (PHQ9, GAD7)  # the measures `needs_review` looks for a reliable fall on
A = Appointment.__table__.c
E = CareEpisode.__table__.c


@dataclass(frozen=True)
class Context:
    """What the figures depend on besides the data: the period, the moment, the settings."""

    window: Window
    now: datetime
    review_after: int
    warning_days: int

    @property
    def period(self) -> Period:
        return Period("months", self.window.start, self.window.end)


# --- who may see whom -----------------------------------------------------------------------


def therapists() -> list[User]:
    """Every active therapist, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.THERAPIST, User.is_active_account.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


def therapist_for(viewer: User, therapist_id: int) -> User:
    """A therapist whose figures the viewer may see: any for the clinical lead, only themself for
    a therapist; 404 otherwise (never a hint that the other exists)."""
    if viewer.role is Role.THERAPIST and viewer.id != therapist_id:
        abort(404)
    therapist = db.session.get(User, therapist_id)
    if therapist is None or therapist.role is not Role.THERAPIST:
        abort(404)
    return therapist


# --- the items each figure counts -----------------------------------------------------------


def _in_window(column: Any, context: Context) -> Any:
    return aggregates.in_period(column, context.period)


def _appointments(context: Context, codes: Iterable[str]) -> Select[Any]:
    return select(A.therapist_id.label("therapist_id"), A.episode_id.label("episode_id")).where(
        _in_window(A.starts_at, context), A.attendance_code.in_(sorted(codes))
    )


def _outcomes(context: Context, flag: str) -> Select[Any]:
    """Episodes ended in the period for which the reports' outcome flag holds."""
    facts = aggregates._episode_facts(context.period)
    condition = aggregates._outcome_flags(facts)[flag]
    return (
        select(E.therapist_id.label("therapist_id"), facts.c.episode_id.label("episode_id"))
        .select_from(facts.join(CareEpisode, E.id == facts.c.episode_id))
        .where(condition)
    )


def _no_improvement(context: Context) -> Select[Any]:
    """Open episodes with no reliable improvement after the set number of treatment sessions:
    `webapp.pathway.episode.needs_review` in SQL (a test holds the two together). At least that
    many treatment sessions, and on neither PHQ-9 nor GAD-7 a first score (at an attended
    contact) and a last (at a later one) that fell by the measure's reliable change. Scores are
    read as the reports read them: an index lookup per attended contact."""
    sessions = (  # counted for open episodes only, through the episode's appointments index
        select(A.episode_id, func.count().label("n"))
        .select_from(Appointment.__table__.join(CareEpisode, E.id == A.episode_id))
        .where(aggregates.is_treatment(), E.ended_on.is_(None))
        .group_by(A.episode_id)
        .subquery("treatment_counts")
    )
    candidates = (
        select(E.id.label("episode_id"), E.therapist_id)
        .select_from(CareEpisode.__table__.join(sessions, sessions.c.episode_id == E.id))
        .where(E.ended_on.is_(None), sessions.c.n >= context.review_after)
        .cte("review_candidates")
    )

    contacts = (
        select(
            A.episode_id, A.starts_at, *(aggregates.contact_total(m.code) for m in REVIEW_MEASURES)
        )
        .select_from(
            Appointment.__table__.join(candidates, candidates.c.episode_id == A.episode_id)
        )
        .where(aggregates.is_attended())
        .cte("review_contacts")
    )
    pivot = aggregates.first_and_last_totals(contacts, REVIEW_MEASURES, "review_")
    falls = [
        pivot.c[f"{m.code}_first"] - pivot.c[f"{m.code}_last"]
        >= aggregates._number(m.reliable_change or Decimal(0))
        for m in REVIEW_MEASURES
    ]
    improved = case((or_(*falls), True), else_=False)  # NULL (unpaired) counts as no fall
    return (
        select(
            candidates.c.therapist_id.label("therapist_id"),
            candidates.c.episode_id.label("episode_id"),
        )
        .select_from(candidates.outerjoin(pivot, pivot.c.episode_id == candidates.c.episode_id))
        .where(not_(improved))
    )


APPOINTMENT_FIGURES = {
    "sessions": ("5", "6"),
    "dna": (DNA_CODE,),
    "dna_base": DNA_DENOMINATOR_CODES,
    "cancelled": (PATIENT_CANCELLED_CODE, PROVIDER_CANCELLED_CODE),
    "booked": OUTCOME_CODES,
}
OUTCOME_FIGURES = {
    "finished": "finished",
    "recovered": "recovered",
    "improved": "improved",
    "recovery_base": "recovery_denominator",
}
ONE_BY_ONE = ("caseload", "no_improvement", "risk_flags", "low_ratings", "late_records")


def items(key: str, context: Context) -> Select[Any]:
    """The rows a figure counts: (therapist_id, episode_id), one per thing counted."""
    ratings = SessionRating.__table__.c
    records = SessionRecord.__table__.c
    flags = RiskFlag.__table__.c
    if key == "caseload":
        return select(E.therapist_id.label("therapist_id"), E.id.label("episode_id")).where(
            E.ended_on.is_(None)
        )
    if key in APPOINTMENT_FIGURES:
        return _appointments(context, APPOINTMENT_FIGURES[key])
    if key in OUTCOME_FIGURES:
        return _outcomes(context, OUTCOME_FIGURES[key])
    if key == "no_improvement":
        return _no_improvement(context)
    if key == "risk_flags":
        return (
            select(A.therapist_id.label("therapist_id"), A.episode_id.label("episode_id"))
            .select_from(RiskFlag.__table__.join(Appointment, A.id == flags.appointment_id))
            .where(flags.acknowledged_at.is_(None))
        )
    if key == "low_ratings":
        return (
            select(ratings.therapist_id.label("therapist_id"), A.episode_id.label("episode_id"))
            .select_from(SessionRating.__table__.join(Appointment, A.id == ratings.appointment_id))
            .where(ratings.total <= rules.LOW_RATING_TOTAL, _in_window(A.starts_at, context))
        )
    if key == "late_records":
        late = (
            select(records.therapist_id.label("therapist_id"), A.episode_id.label("episode_id"))
            .select_from(SessionRecord.__table__.join(Appointment, A.id == records.appointment_id))
            .where(records.is_late.is_(True), _in_window(A.starts_at, context))
        )
        missing = select(
            A.therapist_id.label("therapist_id"), A.episode_id.label("episode_id")
        ).where(
            _in_window(A.starts_at, context),
            A.attendance_code.in_(["5", "6"]),
            A.ends_at < context.now - RECORD_WINDOW,
            ~exists().where(records.appointment_id == A.id),
        )
        return late.union_all(missing)  # type: ignore[return-value]
    raise KeyError(key)


# --- the dashboard --------------------------------------------------------------------------


def counts(context: Context) -> dict[int | None, Counts]:
    """Every figure's count per therapist (None: items with no therapist, e.g. an episode not
    yet allocated): one grouped query for the appointments' figures, one for the outcomes (the
    reports' episode facts computed once), one each for the rest, however many therapists.
    Each agrees with `items`, which the lists behind the figures use."""
    found: dict[int | None, dict[str, int]] = defaultdict(dict)
    aggregates._tune_postgresql()
    for therapist_id, code, count in db.session.execute(
        select(A.therapist_id, A.attendance_code, func.count())
        .where(_in_window(A.starts_at, context))
        .group_by(A.therapist_id, A.attendance_code)
    ):
        for key, codes in APPOINTMENT_FIGURES.items():
            if code in codes:
                found[therapist_id][key] = found[therapist_id].get(key, 0) + int(count)
    facts = aggregates._episode_facts(context.period)
    flags = aggregates._outcome_flags(facts)
    for therapist_id, *values in db.session.execute(
        select(
            E.therapist_id,
            *(aggregates._count_if(flags[flag]) for flag in OUTCOME_FIGURES.values()),
        )
        .select_from(facts.join(CareEpisode, E.id == facts.c.episode_id))
        .group_by(E.therapist_id)
    ):
        for key, value in zip(OUTCOME_FIGURES, values, strict=True):
            found[therapist_id][key] = int(value)
    for key in ONE_BY_ONE:
        rows = items(key, context).subquery("items")
        for therapist_id, count in db.session.execute(
            select(rows.c.therapist_id, func.count()).group_by(rows.c.therapist_id)
        ):
            found[therapist_id][key] = int(count)
    for row in credentials_overview(0, now=context.now, warning_days=context.warning_days):
        found[row.therapist.id]["credentials"] = sum(s.state != "valid" for s in row.statuses)
    return {therapist_id: Counts(values) for therapist_id, values in found.items()}


def credentials_of(therapist_id: int, context: Context) -> list[Any]:
    """One therapist's credential states (missing, expired, expiring, valid)."""
    for row in credentials_overview(0, now=context.now, warning_days=context.warning_days):
        if row.therapist.id == therapist_id:
            return row.statuses
    return []


# --- the episodes behind a figure -----------------------------------------------------------


@dataclass(frozen=True)
class EpisodeLine:
    episode: CareEpisode
    count: int  # the items of the figure in this episode (sessions, ratings, flags...)


PAGE_SIZE = 100


@dataclass(frozen=True)
class Behind:
    lines: list[EpisodeLine]  # this page's episodes, in the order they opened
    episodes: int  # every episode listed, on all pages
    not_shown: int  # items outside any episode the viewer may open (counted, never named)
    page: int
    pages: int


def _visible(viewer: User) -> Any:
    if viewer.role is Role.CLINICAL_LEAD:
        return literal(True)
    return E.therapist_id == viewer.id


def episodes_behind(
    key: str, context: Context, viewer: User, therapist_id: int | None, *, page: int = 1
) -> Behind:
    """The episodes behind one figure, for one therapist (None: the whole service), limited to
    the episodes the viewer may open, a page at a time. KeyError for a figure with no episodes.
    The per-episode counts are one grouped query; only the page's episodes are loaded."""
    if key not in rules.EPISODE_FIGURES and key not in rules.DENOMINATORS.values():
        raise KeyError(key)
    rows = items(key, context).subquery("items")
    mine = [] if therapist_id is None else [rows.c.therapist_id == therapist_id]
    visible = case((_visible(viewer), 1), else_=0)
    grouped = db.session.execute(
        select(rows.c.episode_id, func.count(), func.max(visible))
        .select_from(rows.outerjoin(CareEpisode, E.id == rows.c.episode_id))
        .where(*mine)
        .group_by(rows.c.episode_id, E.opened_at)
        .order_by(E.opened_at, rows.c.episode_id)
    ).all()  # one pass: the items outside any episode, or in one not visible, are counted too
    total = sum(int(count) for _, count, _ in grouped)
    per_episode = [
        (int(episode_id), int(count))
        for episode_id, count, shown in grouped
        if episode_id is not None and shown
    ]
    pages = max(1, -(-len(per_episode) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    chosen = dict(per_episode[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    episodes = db.session.scalars(
        select(CareEpisode)
        .where(CareEpisode.id.in_(list(chosen)))
        .options(joinedload(CareEpisode.patient), joinedload(CareEpisode.therapist))
    ).all()
    by_id = {episode.id: episode for episode in episodes}
    return Behind(
        lines=[EpisodeLine(by_id[episode_id], count) for episode_id, count in chosen.items()],
        episodes=len(per_episode),
        not_shown=total - sum(count for _, count in per_episode),
        page=page,
        pages=pages,
    )


# --- supervision meetings -------------------------------------------------------------------


def supervisors() -> list[User]:
    """Who can supervise: the clinical leads and the therapists (active accounts), by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role.in_([Role.CLINICAL_LEAD, Role.THERAPIST]),
                User.is_active_account.is_(True),
            )
            .order_by(User.full_name, User.id)
        )
    )


def case_choices(therapist_id: int) -> list[CareEpisode]:
    """The episodes a meeting about this therapist may discuss: their own, open first."""
    return list(
        db.session.scalars(
            select(CareEpisode)
            .where(CareEpisode.therapist_id == therapist_id)
            .order_by(CareEpisode.ended_on.is_not(None), CareEpisode.opened_at, CareEpisode.id)
        )
    )


def meetings_of(therapist_id: int) -> list[SupervisionMeeting]:
    """A therapist's supervision meetings, newest first."""
    return list(
        db.session.scalars(
            select(SupervisionMeeting)
            .where(SupervisionMeeting.therapist_id == therapist_id)
            .order_by(SupervisionMeeting.met_on.desc(), SupervisionMeeting.id.desc())
        )
    )


def frequencies(context: Context) -> dict[int, rules.Frequency]:
    """How often each therapist was supervised in the period, and when last (one query)."""
    dates: dict[int, list[Any]] = defaultdict(list)
    for therapist_id, met_on in db.session.execute(
        select(SupervisionMeeting.therapist_id, SupervisionMeeting.met_on).where(
            SupervisionMeeting.met_on < context.window.end
        )
    ):
        dates[therapist_id].append(met_on)
    return {
        therapist_id: rules.frequency(held, context.window.start, context.window.end)
        for therapist_id, held in dates.items()
    }
