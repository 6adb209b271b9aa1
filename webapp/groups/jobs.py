"""Huey task for groups: every five minutes, send the group reminders that are due (each once)."""

from __future__ import annotations

from datetime import UTC, datetime

from huey import crontab

from webapp.jobs import application_context, huey


@huey.periodic_task(crontab(minute="*/5"), name="send_group_reminders")
def send_group_reminders() -> None:
    from webapp.groups import reminders

    with application_context():
        reminders.send_due(datetime.now(UTC))
