"""Fixtures for session rooms: a booked pair at a fixed time, signed-in clients for each, and
Socket.IO test clients that connect the way the page does (cookie, Origin, CSRF token)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask, session
from flask.testing import FlaskClient
from flask_login import login_user
from flask_socketio import SocketIOTestClient

import questionnaires
from tests import factories
from tests.conftest import csrf_token
from webapp.extensions import db, socketio
from webapp.models import Appointment, QuestionnaireResponse, RiskFlag, Role, User
from webapp.security import start_signed_in_session

STARTS_AT = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
ORIGIN = "http://localhost"


def complete_questionnaires(appointment: Appointment) -> None:
    for code in questionnaires.PRE_SESSION_SET:
        db.session.add(
            QuestionnaireResponse(
                patient_id=appointment.patient_id,
                appointment_id=appointment.id,
                instrument=code,
                instrument_version="1",
                answers={},
                completed_at=appointment.starts_at - timedelta(hours=1),
            )
        )
    db.session.commit()


def raise_risk_flag(appointment: Appointment) -> RiskFlag:
    response = db.session.query(QuestionnaireResponse).filter_by(
        appointment_id=appointment.id
    ).first() or QuestionnaireResponse(
        patient_id=appointment.patient_id,
        appointment_id=appointment.id,
        instrument="phq9",
        instrument_version="1",
    )
    db.session.add(response)
    db.session.flush()
    flag = RiskFlag(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        response_id=response.id,
        code="phq9_item9",
        description="Thoughts of self-harm",
    )
    db.session.add(flag)
    db.session.commit()
    return flag


@dataclass
class Pair:
    patient: User
    therapist: User
    appointment: Appointment
    patient_client: FlaskClient
    therapist_client: FlaskClient
    clock: Any

    def move_to(self, moment: datetime) -> None:
        """Move the clock; both people have kept their pages open (their sign-ins stay live)."""
        self.clock.move_to(moment)
        fast_sign_in(self.patient_client, self.patient)
        fast_sign_in(self.therapist_client, self.therapist)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(STARTS_AT - timedelta(minutes=15), tick=False) as traveller:
        yield traveller


@pytest.fixture
def pair(app: Flask, clock: Any) -> Pair:
    """A patient and therapist with a booked, ready session at STARTS_AT; both signed in."""
    patient = factories.make_user(Role.PATIENT)
    therapist = factories.make_therapist()
    appointment = factories.make_appointment(patient, therapist, starts_at=STARTS_AT)
    complete_questionnaires(appointment)
    patient_client, therapist_client = app.test_client(), app.test_client()
    fast_sign_in(patient_client, patient)
    fast_sign_in(therapist_client, therapist)
    return Pair(patient, therapist, appointment, patient_client, therapist_client, clock)


def fast_sign_in(client: FlaskClient, user: User) -> None:
    """What a completed sign-in leaves in the session, without the slow password hash check
    (the sign-in itself is tested in tests/webapp/auth). Refreshed, it also marks the person
    as active now."""
    app = client.application
    with app.test_request_context(environ_base=client.environ_base):
        login_user(user)
        start_signed_in_session()
        values = dict(session)
    with client.session_transaction() as stored:
        stored.clear()
        stored.update(values)
        stored.permanent = True


def connect(
    app: Flask,
    client: FlaskClient,
    appointment_id: int | None,
    *,
    token: str | None = None,
    fetch_token: bool = True,
    origin: str | None = ORIGIN,
    last_seen: Any = 0,
) -> SocketIOTestClient:
    """Connect to /chat as the room page does, with the page's CSRF token unless told
    `fetch_token=False` (then `token` is sent as given)."""
    if fetch_token:
        token = csrf_token(client, "/account")
    headers = {"Origin": origin} if origin else {}
    auth = {"appointment_id": appointment_id, "csrf_token": token, "last_seen": last_seen}
    socket = socketio.test_client(
        app, namespace="/chat", flask_test_client=client, headers=headers, auth=auth
    )
    OPEN_SOCKETS.append(socket)
    return socket


OPEN_SOCKETS: list[SocketIOTestClient] = []


@pytest.fixture(autouse=True)
def _close_sockets() -> Iterator[None]:
    """Disconnect every test socket at the end of its test, inside its transaction: otherwise
    the server's end-of-session timer of a socket left open could close it during a later test
    whose clock is past that room's end."""
    yield
    while OPEN_SOCKETS:
        socket = OPEN_SOCKETS.pop()
        if socket.is_connected("/chat"):
            socket.disconnect("/chat")


def received(socket: SocketIOTestClient) -> dict[str, list[Any]]:
    """Everything the socket was sent since last asked, by event name, in order."""
    events: dict[str, list[Any]] = {}
    for event in socket.get_received("/chat"):
        events.setdefault(event["name"], []).append(event["args"][0])
    return events


def send(socket: SocketIOTestClient, body: str, client_id: str) -> Any:
    return socket.emit(
        "send", {"client_id": client_id, "body": body}, namespace="/chat", callback=True
    )
