"""Texts through Twilio's own client, with a real `twilio.http.HttpClient` subclass that
returns canned responses instead of going to the network (not a mock of twilio itself)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response

from tests.factories import make_bookable_therapist, make_patient
from webapp.booking import services
from webapp.extensions import db
from webapp.models import NotificationAttempt, NotificationChannel, NotificationStatus
from webapp.notify import DeliveryError, SmsMessage, TwilioSmsBackend

ACCOUNT = "AC" + "0" * 32


class CannedTwilio(HttpClient):
    """Answers each request with the next canned (status, body) and records what was sent."""

    def __init__(self, *answers: tuple[int, dict[str, Any]]) -> None:
        super().__init__(logging.getLogger("tests.twilio"), is_async=False)
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):  # type: ignore[no-untyped-def]
        self.requests.append({"method": method, "url": url, "data": data})
        status, body = self.answers.pop(0)
        return Response(status, json.dumps(body), headers={})


def sent(sid: str = "SM" + "1" * 32) -> tuple[int, dict[str, Any]]:
    return 201, {"sid": sid, "status": "queued", "account_sid": ACCOUNT, "to": "+447700900123"}


def refused() -> tuple[int, dict[str, Any]]:
    return 400, {
        "code": 21211,
        "message": "The 'To' number is not a valid phone number.",
        "status": 400,
        "more_info": "https://www.twilio.com/docs/errors/21211",
    }


def backend(http: CannedTwilio) -> TwilioSmsBackend:
    return TwilioSmsBackend(
        account_sid=ACCOUNT, auth_token="fake-token", from_number="+447700900000", http_client=http
    )


def test_a_text_is_posted_to_twilio_and_returns_its_sid():
    http = CannedTwilio(sent())
    receipt = backend(http).send(SmsMessage(to="+447700900123", body="Hello"))
    assert receipt.provider_id == "SM" + "1" * 32
    [request] = http.requests
    assert request["method"] == "POST" and request["url"].endswith(
        f"/Accounts/{ACCOUNT}/Messages.json"
    )
    assert request["data"]["To"] == "+447700900123" and request["data"]["Body"] == "Hello"


def test_a_refusal_becomes_a_delivery_error():
    with pytest.raises(DeliveryError, match="not a valid phone number"):
        backend(CannedTwilio(refused())).send(SmsMessage(to="+44", body="Hello"))


def test_a_refused_reminder_is_logged_with_its_error(app, monkeypatch):
    http = CannedTwilio(refused())
    now = datetime(2026, 3, 23, 8, tzinfo=UTC)
    with app.app_context():
        monkeypatch.setitem(app.extensions, "sms_backend", backend(http))
        therapist, patient = make_bookable_therapist(), make_patient(email=False)
        import time_machine

        with time_machine.travel(now, tick=False):
            appointment = services.book_appointment(
                patient.id, therapist.id, datetime(2026, 3, 24, 9, tzinfo=UTC), now=now
            )
        attempt = (
            db.session.query(NotificationAttempt)
            .filter_by(appointment_id=appointment.id, channel=NotificationChannel.SMS)
            .order_by(NotificationAttempt.id)
            .first()
        )
        assert attempt.status is NotificationStatus.FAILED
        assert "not a valid phone number" in attempt.error
        assert len(http.requests) == 1


def test_a_busy_twilio_is_tried_again_later(app, monkeypatch):
    busy = (503, {"code": 20503, "message": "Service unavailable", "status": 503})
    http = CannedTwilio(busy, sent())
    now = datetime(2026, 3, 23, 8, tzinfo=UTC)
    with app.app_context():
        monkeypatch.setitem(app.extensions, "sms_backend", backend(http))
        therapist, patient = make_bookable_therapist(), make_patient(email=False)
        import time_machine

        with time_machine.travel(now, tick=False):
            appointment = services.book_appointment(
                patient.id, therapist.id, datetime(2026, 3, 24, 9, tzinfo=UTC), now=now
            )
        attempt = (
            db.session.query(NotificationAttempt)
            .filter_by(appointment_id=appointment.id, channel=NotificationChannel.SMS)
            .order_by(NotificationAttempt.id)
            .first()
        )
        assert attempt.status is NotificationStatus.SCHEDULED and attempt.tries == 1
        later = now + timedelta(minutes=5)
        assert services.deliver_notification(attempt.id, now=later) is NotificationStatus.SENT
        assert len(http.requests) == 2
