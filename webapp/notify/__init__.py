"""Email and SMS, each behind one interface. Backends come from configuration: "file" (the
default) writes each message to the outbox folder and logs it, "smtp" / "twilio" send it,
"recording" keeps messages in memory for tests."""

from __future__ import annotations

from flask import Flask, current_app

from webapp.notify.email import (
    EmailBackend,
    EmailMessage,
    FileEmailBackend,
    RecordingEmailBackend,
    SmtpEmailBackend,
)
from webapp.notify.sms import (
    DeliveryError,
    FileSmsBackend,
    RecordingSmsBackend,
    SmsBackend,
    SmsMessage,
    SmsReceipt,
    TwilioSmsBackend,
)

__all__ = [
    "DeliveryError",
    "EmailBackend",
    "EmailMessage",
    "SmsBackend",
    "SmsMessage",
    "SmsReceipt",
    "email_backend",
    "init_notify",
    "send_email",
    "send_sms",
    "sms_backend",
]


def _make_email_backend(app: Flask) -> EmailBackend:
    name = app.config["EMAIL_BACKEND"]
    if name == "file":
        return FileEmailBackend(app.config["EMAIL_OUTBOX_DIR"])
    if name == "smtp":
        return SmtpEmailBackend(
            host=app.config["SMTP_HOST"],
            port=app.config["SMTP_PORT"],
            username=app.config["SMTP_USERNAME"],
            password=app.config["SMTP_PASSWORD"],
            starttls=app.config["SMTP_STARTTLS"],
        )
    if name == "recording":
        return RecordingEmailBackend()
    raise RuntimeError(f"EMAIL_BACKEND must be file, smtp or recording, not {name!r}")


def _make_sms_backend(app: Flask) -> SmsBackend:
    name = app.config["SMS_BACKEND"]
    if name == "file":
        return FileSmsBackend(app.config["EMAIL_OUTBOX_DIR"])
    if name == "twilio":
        return TwilioSmsBackend(
            account_sid=app.config["TWILIO_ACCOUNT_SID"],
            auth_token=app.config["TWILIO_AUTH_TOKEN"],
            from_number=app.config["TWILIO_FROM_NUMBER"],
        )
    if name == "recording":
        return RecordingSmsBackend()
    raise RuntimeError(f"SMS_BACKEND must be file, twilio or recording, not {name!r}")


def init_notify(app: Flask) -> None:
    app.extensions["email_backend"] = _make_email_backend(app)
    app.extensions["sms_backend"] = _make_sms_backend(app)


def sms_backend() -> SmsBackend:
    backend: SmsBackend = current_app.extensions["sms_backend"]
    return backend


def send_sms(to: str, body: str) -> SmsReceipt:
    """Raises DeliveryError when the provider refuses; callers record the failure for staff."""
    return sms_backend().send(SmsMessage(to=to, body=body))


def email_backend() -> EmailBackend:
    backend: EmailBackend = current_app.extensions["email_backend"]
    return backend


def send_email(to: str, subject: str, body: str) -> None:
    email_backend().send(
        EmailMessage(sender=current_app.config["EMAIL_FROM"], to=to, subject=subject, body=body)
    )
