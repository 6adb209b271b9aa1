"""Read-only: retention runs and their reports, for the admin."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import RetentionRun


def recent_runs(limit: int = 30) -> list[RetentionRun]:
    return list(
        db.session.scalars(
            select(RetentionRun).order_by(RetentionRun.started_at.desc()).limit(limit)
        )
    )


def run_or_404(run_id: int) -> RetentionRun:
    run = db.session.get(RetentionRun, run_id)
    if run is None:
        abort(404)
    return run
