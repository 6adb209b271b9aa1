"""Email (and, later, SMS) behind one interface. The backend comes from configuration:
"file" (the default) writes each message to the outbox folder and logs it, "smtp" sends it,
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

__all__ = ["EmailBackend", "EmailMessage", "email_backend", "init_notify", "send_email"]


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


def init_notify(app: Flask) -> None:
    app.extensions["email_backend"] = _make_email_backend(app)


def email_backend() -> EmailBackend:
    backend: EmailBackend = current_app.extensions["email_backend"]
    return backend


def send_email(to: str, subject: str, body: str) -> None:
    email_backend().send(
        EmailMessage(sender=current_app.config["EMAIL_FROM"], to=to, subject=subject, body=body)
    )
