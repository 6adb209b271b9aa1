"""Huey tasks for booking: deliver one planned notification at its time. Thin and idempotent:
the service claims the row before sending, so a retry or a duplicate sends nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from webapp.extensions import db
from webapp.jobs import app_task, huey
from webapp.models import NotificationAttempt


@app_task()
def send_notification(attempt_id: int) -> None:
    from webapp.booking import services

    services.deliver_notification(attempt_id, now=datetime.now(UTC))


def schedule_notifications(attempt_ids: list[int], *, now: datetime) -> None:
    """Enqueue each attempt for its time and remember the task id, so that cancelling the
    booking can revoke it. Called after the booking's transaction has committed."""
    for attempt_id in attempt_ids:
        attempt = db.session.get(NotificationAttempt, attempt_id)
        if attempt is None:
            continue
        if attempt.send_at <= now:
            result = send_notification(attempt_id)
        else:
            result = send_notification.schedule(args=(attempt_id,), eta=attempt.send_at)
        task_id = getattr(result, "id", None)
        if task_id and attempt.task_id != task_id:
            with db.transaction():
                attempt.task_id = str(task_id)[:64]


def revoke(task_ids: list[str]) -> None:
    """Revoke tasks of cancelled messages (the job also checks the row, so this is a saving)."""
    for task_id in task_ids:
        huey.revoke_by_id(task_id)
