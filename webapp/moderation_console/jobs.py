"""Alert escalation as Huey jobs: `check_alert(item_id)` texts the on-call clinical lead if the
alert is due and still unacknowledged, then schedules its next look. Idempotent: the service
checks the alert's state and due time before sending, so a duplicate or early run sends nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask, current_app
from huey import crontab

from webapp.extensions import socketio
from webapp.jobs import app_task, application_context, huey
from webapp.moderation_console import services

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _huey_eta(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)  # Huey (utc=True) takes naive UTC


def watch_alert(item_id: int, due_at: datetime, *, now: datetime) -> None:
    """Run the check at `due_at`: now if it is already due, else scheduled for then. With the
    queue (Redis) down the alert must not wait for it, nor the person who posted see an error:
    this process watches the alert itself (`watch_here`); the sweep takes over once the queue is
    back, and the check's claim keeps the two from texting twice."""
    try:
        if due_at <= now:
            check_alert(item_id)
        else:
            check_alert.schedule(args=(item_id,), eta=_huey_eta(due_at))
    except Exception:
        if huey.immediate:
            raise  # (tests run jobs in place: an error there is the job's own)
        log.warning("job queue unavailable: alert %s watched by this process", item_id)
        socketio.start_background_task(watch_here, current_app._get_current_object(), item_id)


def watch_here(app: Flask, item_id: int) -> None:
    """The queue's stand-in for one alert: look when it is due, and at each next look, until it
    is acknowledged or resolved. A process that stops takes this with it; the sweep remains."""
    try:
        while True:
            with app.app_context():
                next_look = services.escalate_if_due(item_id, now=utcnow())
            if next_look is None:
                return
            socketio.sleep(max(0.0, (next_look - utcnow()).total_seconds()))
    except Exception:
        log.exception("watching alert %s in this process failed; the sweep remains", item_id)


def text_escalation(subject_type: str, subject_id: int, *, now: datetime) -> None:
    """Text the on-call clinical lead about a moderator's escalation of a post or a group
    message: through the queue, or from here at once when the queue is down (the text is owed
    once, so it is never doubled)."""
    try:
        text_clinical_escalation(subject_id, subject_type)
    except Exception:
        if huey.immediate:
            raise
        log.warning(
            "job queue unavailable: escalation of %s %s texted from here", subject_type, subject_id
        )
        services.text_escalation_if_owed(subject_type, subject_id, now=now)


@app_task()
def check_alert(item_id: int) -> None:
    now = utcnow()
    next_look = services.escalate_if_due(item_id, now=now)
    if next_look is not None:
        check_alert.schedule(args=(item_id,), eta=_huey_eta(max(next_look, now)))


@app_task(retries=3, retry_delay=60)
def text_clinical_escalation(subject_id: int, subject_type: str = services.POST) -> None:
    """A moderator escalated this post (or group message): text the on-call clinical lead, once
    per escalation. (`subject_type` comes second, so jobs queued before it existed still run.)"""
    services.text_escalation_if_owed(subject_type, subject_id, now=utcnow())


@huey.periodic_task(crontab(minute="*"), name="sweep_open_alerts")
def sweep_open_alerts() -> None:
    """A safety net each minute: look at every open alert, in case a scheduled check was lost
    (a worker's storage wiped, a deploy mid-schedule). Idempotent like `check_alert`."""
    with application_context():
        now = utcnow()
        for item_id in services.open_alert_ids():
            services.escalate_if_due(item_id, now=now)
