"""Alert escalation as Huey jobs: `check_alert(item_id)` texts the on-call clinical lead if the
alert is due and still unacknowledged, then schedules its next look. Idempotent: the service
checks the alert's state and due time before sending, so a duplicate or early run sends nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from huey import crontab

from webapp.jobs import app_task, application_context, huey
from webapp.moderation_console import services


def utcnow() -> datetime:
    return datetime.now(UTC)


def _huey_eta(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)  # Huey (utc=True) takes naive UTC


def watch_alert(item_id: int, due_at: datetime, *, now: datetime) -> None:
    """Run the check at `due_at`: now if it is already due, else scheduled for then."""
    if due_at <= now:
        check_alert(item_id)
    else:
        check_alert.schedule(args=(item_id,), eta=_huey_eta(due_at))


@app_task()
def check_alert(item_id: int) -> None:
    now = utcnow()
    next_look = services.escalate_if_due(item_id, now=now)
    if next_look is not None:
        check_alert.schedule(args=(item_id,), eta=_huey_eta(max(next_look, now)))


@app_task(retries=3, retry_delay=60)
def text_clinical_escalation(post_id: int) -> None:
    """A moderator escalated this post: text the on-call clinical lead (once per escalation)."""
    services.text_escalation_if_owed(post_id, now=utcnow())


@huey.periodic_task(crontab(minute="*"), name="sweep_open_alerts")
def sweep_open_alerts() -> None:
    """A safety net each minute: look at every open alert, in case a scheduled check was lost
    (a worker's storage wiped, a deploy mid-schedule). Idempotent like `check_alert`."""
    with application_context():
        now = utcnow()
        for item_id in services.open_alert_ids():
            services.escalate_if_due(item_id, now=now)
