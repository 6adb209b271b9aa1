"""Huey tasks for groups: every five minutes, send the group reminders that are due (each
once); every hour, offer places that came free where nobody was told."""

from __future__ import annotations

from datetime import UTC, datetime

from huey import crontab

from webapp.jobs import application_context, huey


@huey.periodic_task(crontab(minute="*/5"), name="send_group_reminders")
def send_group_reminders() -> None:
    from webapp.groups import reminders

    with application_context():
        reminders.send_due(datetime.now(UTC))


@huey.periodic_task(crontab(minute="17"), name="offer_free_group_places")
def offer_free_group_places() -> None:
    from webapp.groups import services

    with application_context():
        services.offer_free_places_everywhere(now=datetime.now(UTC))
