"""Which messages an appointment gets, when, on which channel, and what they say.

Called by the booking services (planning, inside their transaction) and by the delivery job
(sending). The patient receives, by email and by text as they chose:
- a confirmation on booking (the email carries a calendar invite),
- a reminder the day before, at the same time on the patient's own clock (so a clock change
  between the two days does not shift it), and one an hour before,
- a cancellation notice when the provider cancels (with a calendar cancellation).
Times in messages are shown in the patient's own time zone. Confirmation and cancellation
emails always go (they are the record of the booking); reminders follow the patient's choices;
texts go only to patients who gave a mobile number and asked for texts. Nothing in a message
names a condition or a treatment: a text or an email may be read by someone else.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app

from webapp import local_datetime, local_time
from webapp.booking.ics import CalendarEvent, calendar
from webapp.models import (
    Appointment,
    NotificationAttempt,
    NotificationChannel,
    NotificationKind,
    PatientProfile,
)
from webapp.notify import DeliveryError, EmailMessage, email_backend, send_sms

log = logging.getLogger(__name__)

REMINDER_KINDS = (NotificationKind.REMINDER_24H, NotificationKind.REMINDER_1H)


def patient_zone(profile: PatientProfile | None) -> str:
    zone = profile.timezone if profile is not None else "Europe/London"
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        return "Europe/London"
    return zone


def send_time(kind: NotificationKind, starts_at: datetime, zone: str, now: datetime) -> datetime:
    """When a message of this kind is due, in UTC."""
    if kind is NotificationKind.REMINDER_24H:
        # The same wall-clock time the day before, on the patient's clock (Python adds days to
        # an aware datetime on its wall clock; astimezone then gives the real moment).
        local = starts_at.astimezone(ZoneInfo(zone))
        return (local - timedelta(days=1)).astimezone(UTC)
    if kind is NotificationKind.REMINDER_1H:
        return starts_at - timedelta(hours=1)
    return now


def channels(kind: NotificationKind, profile: PatientProfile | None) -> list[NotificationChannel]:
    chosen: list[NotificationChannel] = []
    always_email = kind in (NotificationKind.CONFIRMATION, NotificationKind.CANCELLATION)
    if always_email or profile is None or profile.email_reminders:
        chosen.append(NotificationChannel.EMAIL)
    if profile is not None and profile.sms_reminders and profile.mobile_e164:
        chosen.append(NotificationChannel.SMS)
    return chosen


@dataclass(frozen=True)
class MessagePlan:
    """What a booking made now would send, in words for the patient before they book."""

    confirmation: tuple[NotificationChannel, ...]
    reminders: tuple[NotificationKind, ...]  # those whose time is still to come
    reminder_channels: tuple[NotificationChannel, ...]


def message_plan(
    starts_at: datetime, profile: PatientProfile | None, *, now: datetime
) -> MessagePlan:
    """The messages `plan_notifications` would plan for a booking made now (the same rules)."""
    zone = patient_zone(profile)
    return MessagePlan(
        confirmation=tuple(channels(NotificationKind.CONFIRMATION, profile)),
        reminders=tuple(
            kind for kind in REMINDER_KINDS if send_time(kind, starts_at, zone, now) > now
        ),
        reminder_channels=tuple(channels(NotificationKind.REMINDER_1H, profile)),
    )


def plan_notifications(
    appointment: Appointment,
    *,
    now: datetime,
    kinds: list[NotificationKind] | None = None,
) -> list[NotificationAttempt]:
    """The messages a new booking needs (or the given kinds); reminders already due are
    skipped, so booking for this afternoon sends no "tomorrow" reminder."""
    profile = appointment.patient.patient_profile
    zone = patient_zone(profile)
    planned: list[NotificationAttempt] = []
    for kind in kinds or [NotificationKind.CONFIRMATION, *REMINDER_KINDS]:
        due = send_time(kind, appointment.starts_at, zone, now)
        if kind in REMINDER_KINDS and due <= now:
            continue
        for channel in channels(kind, profile):
            planned.append(
                NotificationAttempt(
                    appointment_id=appointment.id, kind=kind, channel=channel, send_at=due
                )
            )
    return planned


@dataclass(frozen=True)
class Sent:
    provider_id: str | None = None
    error: str | None = None
    is_permanent: bool = False  # trying again cannot help


def _site() -> str:
    return str(current_app.config["SITE_URL"]).rstrip("/")


def _texts(attempt: NotificationAttempt, zone: str) -> tuple[str, str, str]:
    """(email subject, email body, text message) for one attempt."""
    appointment = attempt.appointment
    profile = appointment.therapist.therapist_profile
    therapist = profile.display_name if profile else appointment.therapist.full_name
    when = local_datetime(appointment.starts_at, zone)
    link = f"{_site()}/booking/appointments"
    service = current_app.config["SERVICE_NAME"]
    kind = attempt.kind
    if kind is NotificationKind.CONFIRMATION:
        subject = "Your appointment is booked"
        lead = f"Your online session with {therapist} is booked for {when}."
        sms = f"{service}: your session with {therapist} is booked for {when}."
    elif kind is NotificationKind.REMINDER_24H:
        subject = "Reminder: your appointment is tomorrow"
        lead = f"This is a reminder of your online session with {therapist} on {when}."
        sms = f"{service}: reminder of your session with {therapist} on {when}."
    elif kind is NotificationKind.REMINDER_1H:
        at = local_time(appointment.starts_at, zone)
        subject = "Your appointment starts in 1 hour"
        lead = f"Your online session with {therapist} starts at {at} today ({when})."
        sms = f"{service}: your session with {therapist} starts at {at}. Sign in to join: {link}"
    else:
        subject = "Your appointment has been cancelled"
        lead = (
            f"We are sorry: the service has cancelled your online session with {therapist} on "
            f"{when}. It does not count as one of your sessions."
        )
        sms = f"{service}: sorry, your session on {when} has been cancelled. Sign in to rebook."
    body = (
        f"{lead}\n\nThe session lasts 50 minutes. To see, change or cancel your appointments, "
        f"sign in at {link}\n\nIf you need help now, call 111 (option 2 for mental health), "
        "or 999 in an emergency. Samaritans: 116 123.\n"
    )
    return subject, body, sms


def _invite(attempt: NotificationAttempt, now: datetime) -> tuple[tuple[str, str, bytes], ...]:
    if attempt.kind not in (NotificationKind.CONFIRMATION, NotificationKind.CANCELLATION):
        return ()
    appointment = attempt.appointment
    host = urlsplit(_site()).hostname or "localhost"
    event = CalendarEvent(
        uid=f"appointment-{appointment.id}@{host}",
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=f"{current_app.config['SERVICE_NAME']} appointment",
        description=f"Your online session. Sign in at {_site()} to join.",
        url=f"{_site()}/booking/appointments",
        cancelled=attempt.kind is NotificationKind.CANCELLATION,
    )
    return (("appointment.ics", "text/calendar", calendar(event, stamp=now)),)


def send(attempt: NotificationAttempt, *, now: datetime) -> Sent:
    """Send one message; a refusal is returned as an error (the job records it), not raised."""
    patient = attempt.appointment.patient
    profile = patient.patient_profile
    subject, body, sms = _texts(attempt, patient_zone(profile))
    try:
        if attempt.channel is NotificationChannel.SMS:
            if profile is None or not profile.mobile_e164:
                return Sent(error="no mobile number", is_permanent=True)
            receipt = send_sms(profile.mobile_e164, sms)
            return Sent(provider_id=receipt.provider_id[:64])
        email_backend().send(
            EmailMessage(
                sender=current_app.config["EMAIL_FROM"],
                to=patient.email,
                subject=subject,
                body=body,
                attachments=_invite(attempt, now),
            )
        )
        return Sent()
    except (DeliveryError, smtplib.SMTPException, OSError) as error:
        log.warning("notification %s (%s) failed: %s", attempt.id, attempt.channel, error)
        is_permanent = isinstance(error, DeliveryError) and error.permanent
        return Sent(error=str(error)[:500] or type(error).__name__, is_permanent=is_permanent)
