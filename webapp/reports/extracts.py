"""Record-level extracts the provider submits: the per-session digital therapy dataset and a
referral-level extract shaped after the national dataset's Referral, Care Contact and Coded
Assessment tables (DOMAIN.md section 6.4).

Read-only, for the clinical lead and admins only (never commissioners, who see aggregates).
Pseudonymous: a person is a keyed hash (`person_key`, keyed by ACTIVITY_KEY with its own
prefix, so it never matches an activity visitor key) and a referral its service request key;
no name, contact detail, date of birth, free text or clinical note is ever selected. Each
extract is one SQL select; rows stream out as they are read.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from flask import current_app
from sqlalchemy import Select, and_, case, func, or_, select

from webapp.exports import safe_cell
from webapp.extensions import db
from webapp.models import (
    Appointment,
    CareEpisode,
    ExperienceResponse,
    QuestionnaireResponse,
    Referral,
    SessionRating,
    SessionRecord,
)
from webapp.reports.aggregates import age_band_of, in_period, is_treatment
from webapp.reports.definitions import FINISHED_MINIMUM, Period
from webapp.reports.sql import day_of

A = Appointment.__table__.c
E = CareEpisode.__table__.c
R = Referral.__table__.c
Q = QuestionnaireResponse.__table__.c
SESSION_INSTRUMENTS = ("phq9", "gad7", "wsas", "phobia")
PEQ_ITEMS = (
    "listened",
    "helped_understand",
    "involved",
    "help_that_mattered",
    "confidence_in_therapist",
)  # fmt: skip  - never "comments": free text


def _key(kind: str, value: object) -> str:
    if value is None:
        return ""
    secret = str(current_app.config["ACTIVITY_KEY"]).encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:20]


@dataclass(frozen=True)
class Extract:
    key: str
    title: str
    columns: tuple[str, ...]
    statement: Select[Any]
    keyed: tuple[int, ...]  # column positions holding ids to replace with keyed hashes
    kinds: tuple[str, ...]

    def rows(self) -> Iterator[list[object]]:
        for row in db.session.execute(self.statement):
            values = list(row)
            for position, kind in zip(self.keyed, self.kinds, strict=True):
                values[position] = _key(kind, values[position])
            yield [_plain(value) for value in values]


def _plain(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return value


def _total(instrument: str) -> Any:
    return func.max(case((Q.instrument == instrument, Q.total))).label(instrument)


def sessions(period: Period) -> Extract:
    """Each appointment booked to start in the period with a recorded attendance code: its
    pre-session questionnaire totals, the therapist's record fields and the session rating."""
    scores = (
        select(Q.appointment_id, *(_total(code) for code in SESSION_INSTRUMENTS))
        .where(Q.instrument.in_(SESSION_INSTRUMENTS), Q.completed_at.is_not(None))
        .group_by(Q.appointment_id)
        .subquery("scores")
    )
    employment = (
        select(Q.appointment_id, QuestionnaireResponse.answers["status"].as_string().label("s"))
        .where(Q.instrument == "employment", Q.completed_at.is_not(None))
        .subquery("employment")
    )
    record = SessionRecord.__table__.c
    rating = SessionRating.__table__.c
    statement = (
        select(
            A.id,
            A.patient_id,
            A.episode_id,
            A.starts_at,
            A.attendance_code,
            A.appointment_type,
            func.coalesce(record.step_of_care, A.step_of_care),
            record.therapy_type,
            record.contact_minutes,
            *(scores.c[code] for code in SESSION_INSTRUMENTS),
            employment.c.s,
            rating.total,
            A.charged,
            A.charge_reason,
        )
        .select_from(
            Appointment.__table__.outerjoin(scores, scores.c.appointment_id == A.id)
            .outerjoin(employment, employment.c.appointment_id == A.id)
            .outerjoin(SessionRecord, record.appointment_id == A.id)
            .outerjoin(SessionRating, rating.appointment_id == A.id)
        )
        .where(in_period(A.starts_at, period), A.attendance_code != "0")
        .order_by(A.starts_at, A.id)
    )
    return Extract(
        "sessions",
        "Digital therapy dataset: sessions",
        (
            "session_key", "person_key", "service_request_key", "starts_at_utc",
            "attendance_code", "appointment_type", "step_of_care", "therapy_type",
            "contact_minutes", "phq9_total", "gad7_total", "wsas_total", "phobia_total",
            "employment_status", "session_rating_total", "charged", "charge_reason",
        ),
        statement,
        keyed=(0, 1, 2),
        kinds=("session", "person", "referral"),
    )  # fmt: skip


def experience(period: Period) -> Extract:
    """Each treatment PEQ completed in the period (per completed treatment), answers by item."""
    x = ExperienceResponse.__table__.c
    statement = (
        select(
            x.patient_id,
            x.completed_at,
            *(ExperienceResponse.answers[item].as_string() for item in PEQ_ITEMS),
        )
        .where(x.instrument == "peq_treatment", in_period(x.completed_at, period))
        .order_by(x.completed_at, x.id)
    )
    return Extract(
        "experience",
        "Digital therapy dataset: patient experience (end of treatment)",
        ("person_key", "completed_at_utc", *PEQ_ITEMS),
        statement,
        keyed=(0,),
        kinds=("person",),
    )


def _active(period: Period) -> Any:
    """Referrals with an episode open at some point in the period."""
    return and_(
        R.received_at < period.ends_at,
        or_(E.ended_on.is_(None), E.ended_on >= period.start),
    )


def referrals(period: Period) -> Extract:
    """One row per referral active in the period (the national Referral table's shape)."""
    treatment = (
        select(
            A.episode_id,
            func.min(A.starts_at).label("first_at"),
            func.count().label("sessions"),
        )
        .where(is_treatment())
        .group_by(A.episode_id)
        .subquery("treatment")
    )
    by_end = (
        select(A.episode_id, func.count().label("n"))
        .select_from(Appointment.__table__.join(CareEpisode, E.id == A.episode_id))
        .where(is_treatment(), day_of(A.starts_at) <= E.ended_on)
        .group_by(A.episode_id)
        .subquery("by_end")
    )
    statement = (
        select(
            E.id,
            E.patient_id,
            R.received_at,
            R.source_code,
            age_band_of(R.date_of_birth, R.received_at),
            R.gender,
            R.ethnicity,
            R.employment_status,
            E.current_step,
            treatment.c.first_at,
            func.coalesce(treatment.c.sessions, 0),
            E.ended_on,
            E.end_code,
            case((func.coalesce(by_end.c.n, 0) >= FINISHED_MINIMUM, "Y"), else_="N"),
        )
        .select_from(
            CareEpisode.__table__.join(Referral, R.id == E.referral_id)
            .outerjoin(treatment, treatment.c.episode_id == E.id)
            .outerjoin(by_end, by_end.c.episode_id == E.id)
        )
        .where(_active(period))
        .order_by(E.id)
    )
    return Extract(
        "referrals",
        "Referrals",
        (
            "service_request_key", "person_key", "referral_received_utc", "source_of_referral",
            "age_band_at_referral", "gender", "ethnic_category", "employment_status",
            "step_of_care", "first_treatment_utc", "treatment_sessions", "end_date",
            "end_code", "finished_course",
        ),
        statement,
        keyed=(0, 1),
        kinds=("referral", "person"),
    )  # fmt: skip


def care_contacts(period: Period) -> Extract:
    """Each appointment in the period of a referral (the national Care Contact table's shape)."""
    record = SessionRecord.__table__.c
    statement = (
        select(
            A.episode_id,
            A.id,
            A.starts_at,
            A.attendance_code,
            A.appointment_type,
            func.coalesce(record.step_of_care, A.step_of_care),
            record.therapy_type,
            record.contact_minutes,
            A.cancelled_by_role,
        )
        .select_from(Appointment.__table__.outerjoin(SessionRecord, record.appointment_id == A.id))
        .where(in_period(A.starts_at, period), A.episode_id.is_not(None))
        .order_by(A.starts_at, A.id)
    )
    return Extract(
        "care_contacts",
        "Care contacts",
        (
            "service_request_key", "care_contact_key", "care_contact_utc", "attendance_code",
            "appointment_type", "step_of_care", "therapy_type", "contact_minutes",
            "cancelled_by",
        ),
        statement,
        keyed=(0, 1),
        kinds=("referral", "session"),
    )  # fmt: skip


def coded_assessments(period: Period) -> Extract:
    """Each scored questionnaire at a contact in the period (the Coded Assessment table's shape)."""
    statement = (
        select(A.episode_id, A.id, A.starts_at, Q.instrument, Q.total, Q.completed_at)
        .select_from(QuestionnaireResponse.__table__.join(Appointment, A.id == Q.appointment_id))
        .where(
            in_period(A.starts_at, period),
            A.episode_id.is_not(None),
            Q.total.is_not(None),
            Q.completed_at.is_not(None),
        )
        .order_by(A.starts_at, A.id, Q.instrument)
    )
    return Extract(
        "coded_assessments",
        "Coded assessments",
        (
            "service_request_key", "care_contact_key", "care_contact_utc", "assessment_tool",
            "score", "completed_utc",
        ),
        statement,
        keyed=(0, 1),
        kinds=("referral", "session"),
    )  # fmt: skip


def group_contacts(period: Period) -> Extract:
    """Each member's attendance at a recorded group meeting starting in the period (issue #15):
    a group contact, with the meeting's length and whether it was delivered (one chargeable unit
    to the commissioner, never a charge to the patient)."""
    from webapp.models import Group, GroupAttendance, GroupOccurrence, OccurrenceStatus

    o, a = GroupOccurrence.__table__.c, GroupAttendance.__table__.c
    statement = (
        select(
            o.id,
            o.group_id,
            a.patient_id,
            o.starts_at,
            a.code,
            Group.__table__.c.duration_minutes,
            o.status == OccurrenceStatus.DELIVERED.value,
        )
        .select_from(
            GroupAttendance.__table__.join(GroupOccurrence, o.id == a.occurrence_id).join(
                Group, Group.__table__.c.id == o.group_id
            )
        )
        .where(in_period(o.starts_at, period))
        .order_by(o.starts_at, o.id, a.patient_id)
    )
    return Extract(
        "group_contacts",
        "Digital therapy dataset: group contacts",
        (
            "group_session_key", "group_key", "person_key", "starts_at_utc", "attendance_code",
            "contact_minutes", "group_session_delivered",
        ),
        statement,
        keyed=(0, 1, 2),
        kinds=("group_session", "group", "person"),
    )  # fmt: skip


EXTRACTS = {
    "sessions": sessions,
    "experience": experience,
    "referrals": referrals,
    "care-contacts": care_contacts,
    "coded-assessments": coded_assessments,
    "group-contacts": group_contacts,
}


def to_csv(extract: Extract) -> Iterator[str]:
    """The extract as CSV, a line at a time, every cell guarded against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(extract.columns)
    for row in extract.rows():
        writer.writerow([safe_cell(cell) for cell in row])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xlsx(extracts: Sequence[Extract]) -> bytes:
    """Every extract as a sheet of one workbook."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    for extract in extracts:
        sheet = workbook.add_worksheet(extract.key)
        sheet.write_row(0, 0, extract.columns)
        for number, row in enumerate(extract.rows(), start=1):
            for column, cell in enumerate(row):
                value = safe_cell(cell)
                if isinstance(value, int | float):
                    sheet.write_number(number, column, value)
                else:
                    sheet.write_string(number, column, str(value))
    workbook.close()
    return buffer.getvalue()
