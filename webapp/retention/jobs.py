"""The nightly retention run (Huey periodic task): thin, idempotent (a second run the same
night finds nothing more due)."""

from __future__ import annotations

from datetime import UTC, datetime

from huey import crontab

from webapp.jobs import application_context, huey


@huey.periodic_task(crontab(hour="2", minute="30"), name="apply_retention")
def apply_retention_nightly() -> None:
    from webapp.retention import services

    with application_context():
        services.apply_schedule(now=datetime.now(UTC), trigger="schedule")
