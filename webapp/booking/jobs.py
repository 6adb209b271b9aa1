"""Huey tasks for booking: deliver one planned notification at its time. Thin and idempotent:
the service claims the row before sending, so a retry or a duplicate sends nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from huey import crontab
from sqlalchemy import select, update

from webapp.extensions import db
from webapp.jobs import app_task, application_context, huey
from webapp.models import NotificationAttempt, NotificationStatus

log = logging.getLogger(__name__)

UNQUEUED_GRACE = timedelta(minutes=2)
"""A scheduled message with no task this long after it was planned missed the queue (it was
down when the booking committed): the sweep enqueues it. Younger ones may still be being
enqueued by their own request."""


@app_task()
def send_notification(attempt_id: int) -> None:
    from webapp.booking import services

    services.deliver_notification(attempt_id, now=datetime.now(UTC), not_before_due=True)


@huey.periodic_task(crontab(minute="*/5"), name="fail_interrupted_notifications")
def fail_interrupted_notifications() -> None:
    from webapp.booking import services

    with application_context():
        services.fail_interrupted_notifications(now=datetime.now(UTC))


def schedule_notifications(attempt_ids: list[int], *, now: datetime) -> None:
    """Enqueue each attempt for its time and remember the task id, so that cancelling the
    booking can revoke it. Called after the booking's transaction has committed."""
    if not attempt_ids:
        return
    session = db.session()
    due = dict(
        session.execute(
            select(NotificationAttempt.id, NotificationAttempt.send_at).where(
                NotificationAttempt.id.in_(attempt_ids)
            )
        ).all()
    )
    if session.in_transaction():
        # End the read before enqueueing: with the queue slow or down (redis-py retries with
        # backoff), an open transaction would hold a pooled connection meanwhile, and enough of
        # them would starve every other page. (On SQLite the write must also come first.)
        session.commit()
    task_ids: dict[int, str] = {}
    for attempt_id in attempt_ids:
        if attempt_id not in due:
            continue
        try:
            if due[attempt_id] <= now:
                result = send_notification(attempt_id)
            else:
                result = send_notification.schedule(args=(attempt_id,), eta=due[attempt_id])
        except Exception:  # the queue (Redis) is down: the booking stands, the sweep enqueues
            if huey.immediate:
                raise  # (tests run jobs in place: an error there is the job's own)
            log.warning(
                "job queue unavailable: %d notification(s) left for the sweep",
                len(attempt_ids) - len(task_ids),
                exc_info=True,
            )
            break
        task_ids[attempt_id] = str(result.id)[:64]
    with db.transaction():
        for attempt_id, task_id in task_ids.items():
            session.execute(
                update(NotificationAttempt)
                .where(NotificationAttempt.id == attempt_id)
                .values(task_id=task_id)
            )


def revoke(task_ids: list[str]) -> None:
    """Revoke tasks of cancelled messages (the job also checks the row, so this is a saving,
    and is skipped while the queue is down)."""
    for task_id in task_ids:
        try:
            huey.revoke_by_id(task_id)
        except Exception:
            log.warning("job queue unavailable: %d task(s) not revoked", len(task_ids))
            return


@huey.periodic_task(crontab(minute="*/5"), name="enqueue_missed_notifications")
def enqueue_missed_notifications() -> None:
    with application_context():
        schedule_missed_notifications(now=datetime.now(UTC))


def schedule_missed_notifications(*, now: datetime) -> int:
    """Enqueue scheduled messages that never reached the queue (it was down when their booking
    committed). Were one enqueued twice, the job's claim on the row sends it once."""
    missed = list(
        db.session.scalars(
            select(NotificationAttempt.id)
            .where(
                NotificationAttempt.status == NotificationStatus.SCHEDULED,
                NotificationAttempt.task_id.is_(None),
                NotificationAttempt.created_at < now - UNQUEUED_GRACE,
            )
            .order_by(NotificationAttempt.id)
        )
    )
    if missed:
        log.info("enqueueing %d notification(s) that missed the queue", len(missed))
        schedule_notifications(missed, now=now)
    return len(missed)
