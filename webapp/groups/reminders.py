"""Reminders of group meetings, as for one-to-one sessions (webapp/booking/reminders.py): the day
before at the same time on the member's own clock, and an hour before; by email and by text as
they chose. A periodic job sends what is due to every enrolled member, each at most once: the
`group_reminders` row is claimed (its primary key refuses a second) before the message goes.
Messages name neither the group nor its subject: a text may be read by someone else."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp import local_datetime, local_time
from webapp.booking.reminders import REMINDER_KINDS, channels, patient_zone, send_time
from webapp.extensions import db
from webapp.models import (
    EnrolmentStatus,
    GroupEnrolment,
    GroupOccurrence,
    GroupReminder,
    NotificationChannel,
    NotificationKind,
    OccurrenceStatus,
    User,
)
from webapp.notify import DeliveryError, send_email, send_sms

log = logging.getLogger(__name__)
LOOK_AHEAD = timedelta(hours=26)  # the day-before reminder on any clock, with room to spare


def due(now: datetime) -> list[tuple[GroupOccurrence, User, NotificationKind]]:
    """(meeting, member, kind) for every reminder due now and not yet sent. A reminder whose
    time passed is still sent while the meeting has not started (the job may have been down);
    the day-before one is skipped once the hour-before one is due."""
    rows = db.session.execute(
        select(GroupOccurrence, User)
        .join(
            GroupEnrolment,
            (GroupEnrolment.group_id == GroupOccurrence.group_id)
            & (GroupEnrolment.status == EnrolmentStatus.ENROLLED),
        )
        .join(User, User.id == GroupEnrolment.patient_id)
        .where(
            GroupOccurrence.status == OccurrenceStatus.SCHEDULED,
            GroupOccurrence.starts_at > now,
            GroupOccurrence.starts_at <= now + LOOK_AHEAD,
            User.is_active_account.is_(True),
        )
    ).all()
    sent = {
        (r.occurrence_id, r.patient_id, r.kind)
        for r in db.session.scalars(
            select(GroupReminder).where(
                GroupReminder.occurrence_id.in_({o.id for o, _ in rows} or {0})
            )
        )
    }
    found = []
    for occurrence, user in rows:
        zone = patient_zone(user.patient_profile)
        kinds = [
            kind
            for kind in REMINDER_KINDS
            if send_time(kind, occurrence.starts_at, zone, now) <= now
            and (occurrence.id, user.id, kind.value) not in sent
        ]
        if NotificationKind.REMINDER_1H in kinds:
            kinds = [NotificationKind.REMINDER_1H]
        found += [(occurrence, user, kind) for kind in kinds]
    return found


def _claim(occurrence: GroupOccurrence, user: User, kind: NotificationKind, now: datetime) -> bool:
    if db.session().in_transaction():
        db.session.commit()
    try:
        with db.transaction():
            db.session.add(
                GroupReminder(
                    occurrence_id=occurrence.id, patient_id=user.id, kind=kind.value, sent_at=now
                )
            )
    except IntegrityError:
        return False
    if kind is NotificationKind.REMINDER_1H:  # the day-before one is no longer wanted
        try:
            with db.transaction():
                db.session.add(
                    GroupReminder(
                        occurrence_id=occurrence.id,
                        patient_id=user.id,
                        kind=NotificationKind.REMINDER_24H.value,
                        sent_at=now,
                    )
                )
        except IntegrityError:
            pass
    return True


def send_due(now: datetime) -> int:
    """Send every reminder due now; how many were sent."""
    count = 0
    for occurrence, user, kind in due(now):
        if not _claim(occurrence, user, kind, now):
            continue
        profile = user.patient_profile
        zone = patient_zone(profile)
        service = current_app.config["SERVICE_NAME"]
        link = f"{str(current_app.config['SITE_URL']).rstrip('/')}/groups/"
        if kind is NotificationKind.REMINDER_1H:
            lead = f"your group session starts at {local_time(occurrence.starts_at, zone)}"
        else:
            lead = f"your group session is on {local_datetime(occurrence.starts_at, zone)}"
        for channel in channels(kind, profile):
            try:
                if channel is NotificationChannel.EMAIL:
                    send_email(
                        user.email,
                        "Reminder: your group session",
                        f"A reminder: {lead}. Sign in to join the group room: {link}",
                    )
                elif profile is not None and profile.mobile_e164:
                    send_sms(profile.mobile_e164, f"{service}: {lead}. Sign in to join: {link}")
            except DeliveryError:
                log.exception("group reminder %s for meeting %s failed", kind, occurrence.id)
        count += 1
    return count
