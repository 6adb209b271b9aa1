"""How long one monthly (and one quarterly) commissioner report takes over a year of activity.

Generates, in a schema of its own in PostgreSQL (`bench_reports`, dropped afterwards unless
--keep), a year of activity (July 2025 to June 2026) with INSERT ... SELECT generate_series:
100,000 referrals, each an episode of care with 2 to 24 appointments (about a million in all,
with national attendance codes, appointment types and charge decisions), PHQ-9 and GAD-7
totals at most attended appointments (about 1.6 million), step changes, 1.2 million page-view
events and a community with posts and moderation alerts. Then it times
`webapp.reports.aggregates.build` for March 2026 and for its quarter (median of --repeats),
as `flask report monthly --month 2026-03` runs it.

    .venv/bin/python benchmarks/reports.py --database-url postgresql://127.0.0.1:5432/test_reports

--keep leaves the schema in place and --reuse times the reports again on it without generating.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from benchmarks import world
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.migrate import upgrade
from webapp.reports import aggregates
from webapp.reports.definitions import Period

SCHEMA = "bench_reports"
THERAPISTS = 200

# Each statement is one INSERT ... SELECT; :referrals is the number of referrals.
GENERATE = [
    (
        "therapists and patients",
        """
        INSERT INTO users (email, full_name, role, is_active_account, session_token, created_at,
                           failed_sign_ins)
        SELECT 't' || g || '@bench.example', 'Therapist ' || g, CAST('therapist' AS role), true,
               md5('t' || g), now(), 0
        FROM generate_series(1, CAST(:therapists AS int)) g
        UNION ALL
        SELECT 'p' || g || '@bench.example', 'Patient ' || g, CAST('patient' AS role), true,
               md5('p' || g), now(), 0
        FROM generate_series(1, CAST(:referrals AS int)) g
        """,
    ),
    (
        "referrals",
        """
        INSERT INTO referrals (id, reference, source_code, received_at, status, decision_reason,
            full_name, date_of_birth, email, postcode, gp_practice, issue_details, issue_type,
            gender, ethnicity, employment_status, living_status, heard_about, sought_help_gp,
            sought_help_therapist, sought_help_medication, heard_about_other, sms_reminders,
            email_reminders, accessibility_needs, language, needs_interpreter, patient_id)
        SELECT g, 'B' || lpad(g::text, 8, '0'),
               (ARRAY['B1','B1','B1','A1','A1','A3','D1','M5','G3','H2'])[1 + g % 10],
               TIMESTAMPTZ '2025-07-01 00:00+00'
                 + (g::float8 / :referrals) * INTERVAL '364 days' + (g % 9) * INTERVAL '1 hour',
               'accepted', '', 'Referred ' || g,
               DATE '1950-01-01' + g * 7919 % 20000, 'r' || g || '@bench.example', 'LS1 4AP',
               '', '',
               (ARRAY['low_mood','worry','stress','panic','social_anxiety','other'])[1 + g % 6],
               (ARRAY['1','2','2','3','Z'])[1 + g % 5],
               (ARRAY['A','A','A','B','C','D','H','J','K','M','N','R','S','Z'])[1 + g % 14],
               (ARRAY['01','01','02','03','04','08','ZZ'])[1 + g % 7],
               (ARRAY['01','02','03','04','ZZ'])[1 + g % 5],
               (ARRAY['gp','ptws','jobcentre','poster','community','employer','other'])[1 + g % 7],
               g % 3 = 0, g % 5 = 0, g % 4 = 0, '', true, true, '', 'English', false,
               (SELECT id FROM users WHERE email = 'p' || g || '@bench.example')
        FROM generate_series(1, CAST(:referrals AS int)) g
        """,
    ),
    (
        "episodes",
        """
        INSERT INTO care_episodes (id, referral_id, patient_id, therapist_id, state, opened_at,
                                   current_step, ended_on, end_code)
        SELECT r.id, r.id, r.patient_id,
               (SELECT min(id) FROM users WHERE role = 'therapist')
                 + r.id % CAST(:therapists AS int),
               CASE WHEN e.ended_on IS NULL THEN 'in_treatment' ELSE 'discharged' END,
               r.received_at + INTERVAL '2 days', '2', e.ended_on,
               CASE WHEN e.ended_on IS NULL THEN NULL ELSE '46' END
        FROM referrals r
        CROSS JOIN LATERAL (
            SELECT CASE WHEN d <= DATE '2026-06-30' THEN d END AS ended_on
            FROM (SELECT CAST(r.received_at AT TIME ZONE 'UTC' AS DATE) + 7 + r.id % 60
                         + 7 * (1 + r.id * 7919 % 23) + 3 AS d) ends
        ) e
        """,
    ),
    (
        "appointments",
        """
        INSERT INTO appointments (patient_id, therapist_id, starts_at, ends_at, status,
            attendance_code, created_at, reschedule_count, episode_id, appointment_type,
            step_of_care, charged, charge_reason, outcome)
        SELECT e.patient_id, e.therapist_id, s.starts_at, s.starts_at + INTERVAL '50 minutes',
               CASE WHEN s.starts_at > TIMESTAMPTZ '2026-06-30 00:00+00' THEN 'booked'
                    ELSE 'closed' END,
               c.code, s.starts_at - INTERVAL '10 days', 0, e.id,
               CASE WHEN n = 1 THEN
                      CASE WHEN e.id % 2 = 0 THEN 'assessment' ELSE 'assessment_and_treatment' END
                    WHEN n % 11 = 0 THEN 'review' ELSE 'treatment' END,
               CASE WHEN e.id % 4 = 0 THEN '3' ELSE '2' END,
               c.code IN ('5', '6', '3', '7', '2') AND c.late,
               CASE c.code WHEN '5' THEN 'attended' WHEN '6' THEN 'attended'
                           WHEN '7' THEN 'patient_dna' WHEN '3' THEN 'patient_dna'
                           WHEN '2' THEN CASE WHEN c.late THEN 'patient_cancelled_late'
                                              ELSE 'patient_cancelled_early' END
                           WHEN '4' THEN 'provider_cancelled' END,
               CASE c.code WHEN '5' THEN 'attended' WHEN '6' THEN 'attended'
                           WHEN '3' THEN 'patient_dna' WHEN '7' THEN 'patient_dna'
                           WHEN '2' THEN 'patient_cancelled' WHEN '4' THEN 'provider_cancelled'
                           END
        FROM care_episodes e
        JOIN referrals r ON r.id = e.referral_id
        CROSS JOIN LATERAL generate_series(1, 2 + e.id * 7919 % 23) n
        CROSS JOIN LATERAL (
            SELECT r.received_at + (7 + e.id % 60 + 7 * (n - 1)) * INTERVAL '1 day'
                   + (e.id % 8) * INTERVAL '1 hour' AS starts_at
        ) s
        CROSS JOIN LATERAL (
            SELECT CASE WHEN x < 0.80 THEN '5' WHEN x < 0.83 THEN '6' WHEN x < 0.90 THEN '3'
                        WHEN x < 0.95 THEN '2' WHEN x < 0.98 THEN '4' ELSE '7' END AS code,
                   x > 0.5 AS late
            FROM (SELECT (hashint4(e.id * 31 + n) & 65535) / 65536.0 AS x) u
        ) c
        WHERE s.starts_at < TIMESTAMPTZ '2026-07-01 00:00+00'
        """,
    ),
    (
        "PHQ-9 and GAD-7 totals",
        """
        INSERT INTO questionnaire_responses (patient_id, appointment_id, instrument,
            instrument_version, answers, started_at, updated_at, completed_at, total, risk_flags)
        SELECT a.patient_id, a.id, m.instrument, '1', '{}', a.starts_at, a.starts_at,
               a.starts_at - INTERVAL '1 hour',
               greatest(0, least(m.top, m.start - a.n * m.fall + (hashint4(a.id) & 3))), '[]'
        FROM (
            SELECT id, patient_id, starts_at, attendance_code,
                   row_number() OVER (PARTITION BY episode_id ORDER BY starts_at) AS n
            FROM appointments
        ) a
        CROSS JOIN (VALUES ('phq9', 27, 17, 1), ('gad7', 21, 13, 1)) m(instrument, top, start, fall)
        WHERE a.attendance_code IN ('5', '6') AND hashint4(a.id) % 10 <> 0
        """,
    ),
    (
        "step changes",
        """
        INSERT INTO step_changes (episode_id, from_step, to_step, changed_on, reason, recorded_at)
        SELECT id, '2', '3', CAST(opened_at AT TIME ZONE 'UTC' AS DATE) + 30, '', opened_at
        FROM care_episodes WHERE id % 9 = 0
        """,
    ),
    (
        "page views",
        """
        INSERT INTO activity_events (occurred_at, section, module, role, visitor_key, visit_key)
        SELECT TIMESTAMPTZ '2025-07-01 00:00+00' + (g / 100) * INTERVAL '43 minutes'
                 + (g % 100) * INTERVAL '20 seconds',
               (ARRAY['library','patient','community','measures','booking','sessions'])[1 + g % 6],
               CASE WHEN g % 6 = 0 THEN (ARRAY['worry-time','sleep','panic','low-mood'])[1 + g % 4]
               END,
               'patient', md5('v' || (g / 100) % 20000), md5('k' || g / 100)
        FROM generate_series(0, 1199999) g
        """,
    ),
    (
        "community",
        """
        WITH members AS (
            INSERT INTO community_members (user_id, handle, joined_at, house_rules_accepted_at,
                                           warnings)
            SELECT patient_id, 'member' || id, opened_at, opened_at, 0
            FROM care_episodes WHERE id % 20 = 0 RETURNING user_id
        ), space AS (
            INSERT INTO community_spaces (title, description, position)
            VALUES ('Talk', '', 0) RETURNING id
        )
        INSERT INTO community_threads (space_id, author_id, title, created_at)
        SELECT (SELECT id FROM space), user_id, 'Thread', TIMESTAMPTZ '2025-07-01 00:00+00'
               + (hashint4(user_id) & 1023) * INTERVAL '8 hours'
        FROM members
        """,
    ),
    (
        "posts",
        """
        INSERT INTO community_posts (thread_id, author_id, body, is_opening, status,
                                     is_clinical_risk, created_at)
        SELECT t.id, t.author_id, 'A post', n = 1,
               CAST(CASE WHEN (t.id + n) % 40 = 0 THEN 'held' ELSE 'visible' END AS post_status),
               (t.id + n) % 40 = 0, t.created_at + n * INTERVAL '3 hours'
        FROM community_threads t CROSS JOIN generate_series(1, 10) n
        """,
    ),
    (
        "moderation alerts",
        """
        INSERT INTO moderation_items (post_id, kind, is_clinical_risk, rule_ids, created_at,
                                      acknowledged_at, escalations_sent)
        SELECT id, CAST('alert' AS moderation_item_kind), true, '[]', created_at,
               created_at + (2 + id % 15) * INTERVAL '1 minute', CASE WHEN id % 15 > 10 THEN 1
               ELSE 0 END
        FROM community_posts WHERE status = 'held'
        """,
    ),
]


def generate(referrals: int) -> None:
    session = db.session()
    started = time.perf_counter()
    for name, statement in GENERATE:
        step = time.perf_counter()
        result = session.execute(
            text(statement), {"referrals": referrals, "therapists": THERAPISTS}
        )
        session.commit()
        print(f"  {name}: {result.rowcount:,} rows in {time.perf_counter() - step:.1f} s")
    session.execute(text("ANALYZE"))
    session.commit()
    print(f"generated in {time.perf_counter() - started:.1f} s")


def timed(build: Callable[[], object], repeats: int) -> float:
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        build()
        durations.append(time.perf_counter() - started)
        db.session.rollback()
    return statistics.median(durations)


def run(url: str, referrals: int, repeats: int, *, reuse: bool = False) -> None:
    if not reuse:
        upgrade(url)
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        if not reuse:
            generate(referrals)
        now = datetime.now(UTC)
        month, quarter = Period.month(2026, 3), Period.quarter(2026, 1)
        report = aggregates.build(month, now)
        finished = report.table("headline").cell("Finished a course of treatment", "number")
        recovery = report.table("headline").cell("Recovery", "rate")
        appointments = db.session.execute(text("SELECT count(*) FROM appointments")).scalar()
        print(
            f"{referrals:,} referrals, {appointments:,} appointments; March 2026: "
            f"{finished} finished, recovery {recovery}"
        )
        seconds = timed(lambda: aggregates.build(month, now), repeats)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"monthly report (March 2026): {seconds:.2f} s (median of {repeats}; load {load})")
        seconds = timed(lambda: aggregates.build(quarter, now), repeats)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"quarterly report (2026 Q1): {seconds:.2f} s (median of {repeats}; load {load})")
    assert db.engine is not None
    db.engine.dispose()


def on_the_year(description: str, schema: str, run: Timing) -> None:
    """The command line of a benchmark over the generated year (this one and
    benchmarks/supervision.py): `run` times what it measures in `schema` of its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL")
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--reuse", action="store_true", help="time again on a schema --keep kept")
    args = parser.parse_args()
    with world.own_schema(
        args.database_url, schema, reuse=args.reuse, keep=args.keep
    ) as schema_url:
        run(schema_url, args.referrals, args.repeats, reuse=args.reuse)


class Timing(Protocol):
    def __call__(self, url: str, referrals: int, repeats: int, *, reuse: bool) -> None: ...


def main() -> None:
    on_the_year(__doc__.splitlines()[0], SCHEMA, run)


if __name__ == "__main__":
    main()
