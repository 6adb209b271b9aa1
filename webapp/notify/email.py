"""Email backends. Each takes a plain-text message; none knows about Flask."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Protocol
from uuid import uuid4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailMessage:
    sender: str
    to: str
    subject: str
    body: str
    attachments: tuple[tuple[str, str, bytes], ...] = field(default=())  # (filename, mime, data)

    def to_mime(self) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self.sender
        mime["To"] = self.to
        mime["Subject"] = self.subject
        mime.set_content(self.body)
        for filename, content_type, data in self.attachments:
            maintype, subtype = content_type.split("/", 1)
            mime.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        return mime


class EmailBackend(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FileEmailBackend:
    """Development default: one .eml file per message in the outbox folder."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = Path(outbox)

    def send(self, message: EmailMessage) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.outbox / f"{stamp}-{uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message.to_mime()))
        log.info("email to %s (%s) written to %s", message.to, message.subject, path)


class SmtpEmailBackend:
    def __init__(
        self, *, host: str, port: int, username: str, password: str, starttls: bool
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls = starttls

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message.to_mime())


class RecordingEmailBackend:
    """Keeps messages in memory, for tests."""

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.outbox.append(message)
