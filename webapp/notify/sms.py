"""SMS backends. "file" (the development default) appends each message to a local log,
"twilio" sends through Twilio's API, "recording" keeps messages in memory for tests."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164, e.g. +447700900123
    body: str


@dataclass(frozen=True)
class SmsReceipt:
    provider_id: str


class DeliveryError(RuntimeError):
    """The provider refused or could not take the message; the caller logs it for staff.
    `permanent` says trying again cannot help (an invalid or unsubscribed number)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> SmsReceipt: ...


class FileSmsBackend:
    """Development default: one JSON line per message in the outbox folder."""

    def __init__(self, outbox: Path) -> None:
        self.path = Path(outbox) / "sms.jsonl"

    def send(self, message: SmsMessage) -> SmsReceipt:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sent_at = datetime.now(UTC).isoformat()
        with self.path.open("a", encoding="utf-8") as log_file:
            record = {"to": message.to, "body": message.body, "at": sent_at}
            log_file.write(json.dumps(record) + "\n")
        log.info("SMS to %s written to %s", message.to, self.path)
        return SmsReceipt(provider_id=f"file-{sent_at}")


class RecordingSmsBackend:
    """Keeps messages in memory, for tests; `fail_next` makes the next send fail."""

    def __init__(self) -> None:
        self.outbox: list[SmsMessage] = []
        self.fail_next = False

    def send(self, message: SmsMessage) -> SmsReceipt:
        if self.fail_next:
            self.fail_next = False
            raise DeliveryError("recording backend told to fail")
        self.outbox.append(message)
        return SmsReceipt(provider_id=f"recorded-{len(self.outbox)}")


class TwilioSmsBackend:
    """Sends through Twilio. `http_client` lets tests pass a `twilio.http.HttpClient` twin."""

    def __init__(
        self, *, account_sid: str, auth_token: str, from_number: str, http_client: Any = None
    ) -> None:
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number

    def send(self, message: SmsMessage) -> SmsReceipt:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            created = self.client.messages.create(
                to=message.to, from_=self.from_number, body=message.body
            )
        except TwilioRestException as error:
            # A 4xx other than "too many requests" is a refusal of this message as it stands.
            permanent = 400 <= error.status < 500 and error.status != 429
            raise DeliveryError(str(error), permanent=permanent) from error
        except TwilioException as error:
            raise DeliveryError(str(error)) from error
        return SmsReceipt(provider_id=str(created.sid))
