"""How long the supervision dashboard's figures take over the reports benchmark's year.

Generates the same year as `benchmarks/reports.py` (100,000 referrals, each an episode of care
shared among 200 therapists, about a million appointments and 1.5 million PHQ-9/GAD-7 totals) in
a schema of its own in PostgreSQL (`bench_supervision`, dropped afterwards unless --keep), then
times, as of 30 June 2026 over the 3 months to June: every figure for every therapist
(`webapp.supervision.queries.counts`, what the clinical lead's page runs), and the episodes
behind the whole service's "sessions delivered" and "no reliable improvement" figures.

    .venv/bin/python benchmarks/supervision.py --database-url postgresql://127.0.0.1:5432/test
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from benchmarks.reports import generate, on_the_year, timed
from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db
from webapp.migrate import upgrade
from webapp.models import Role, User
from webapp.supervision import figures as rules
from webapp.supervision import queries

SCHEMA = "bench_supervision"
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def run(url: str, referrals: int, repeats: int, *, reuse: bool) -> None:
    if not reuse:
        upgrade(url)
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        if not reuse:
            generate(referrals)
        context = queries.Context(
            window=rules.window(date(2026, 6, 30), 3), now=NOW, review_after=6, warning_days=30
        )
        lead = User(id=0, role=Role.CLINICAL_LEAD, email="", full_name="")
        counts = queries.counts(context)
        service = rules.total(counts.values())
        print(
            f"{len(counts)} therapists; April to June 2026: caseload {service['caseload']:,}, "
            f"sessions {service['sessions']:,}, finished {service['finished']:,}, recovery "
            f"{service.rate('recovered').text}, no reliable improvement "
            f"{service['no_improvement']:,}"
        )
        load = lambda: ", ".join(f"{x:.1f}" for x in os.getloadavg())  # noqa: E731
        seconds = timed(lambda: queries.counts(context), repeats)
        print(
            f"every figure for every therapist: {seconds:.2f} s "
            f"(median of {repeats}; load {load()})"
        )
        first = db.session.scalar(
            select(User.id).where(User.role == Role.THERAPIST).order_by(User.id)
        )
        seconds = timed(lambda: queries.episodes_behind("sessions", context, lead, first), repeats)
        print(f"one therapist's sessions, by episode: {seconds:.2f} s (load {load()})")
        seconds = timed(lambda: queries.episodes_behind("sessions", context, lead, None), repeats)
        print(f"the service's sessions, by episode: {seconds:.2f} s (load {load()})")
        seconds = timed(
            lambda: queries.episodes_behind("no_improvement", context, lead, None), repeats
        )
        print(f"the service's episodes needing review: {seconds:.2f} s (load {load()})")
    assert db.engine is not None
    db.engine.dispose()


def main() -> None:
    on_the_year(__doc__.splitlines()[0], SCHEMA, run)


if __name__ == "__main__":
    main()
