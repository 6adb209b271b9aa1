"""Fixtures for group sessions: a weekly group run by a therapist at a fixed time, patients with
community handles, signed-in clients, and Socket.IO clients for `/group` that connect the way the
room page does (cookie, Origin, CSRF token)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.sessions.conftest import ORIGIN, fast_sign_in
from webapp.extensions import db, socketio
from webapp.groups import services
from webapp.models import CommunityMember, Group, GroupAccess, GroupOccurrence, User

# Tuesday 5 June 2029, 18:30 UK time (BST): 17:30 UTC.
FIRST = date(2029, 6, 5)
STARTS_AT = datetime(2029, 6, 5, 17, 30, tzinfo=UTC)
NAMESPACE = "/group"


def make_member(handle: str, **overrides: Any) -> User:
    patient = factories.make_patient(**overrides)
    db.session.add(
        CommunityMember(
            user_id=patient.id,
            handle=handle,
            joined_at=STARTS_AT,
            house_rules_accepted_at=STARTS_AT,
        )
    )
    db.session.commit()
    return patient


def make_group(
    facilitator: User, *, capacity: int = 3, access: GroupAccess = GroupAccess.OPEN
) -> Group:
    plan = services.GroupPlan(
        title="Six-week stress course",
        description="Learn ways to manage stress.",
        access=access,
        capacity=capacity,
        first_date=FIRST,
        local_time=time(18, 30),
        weeks=6,
        duration_minutes=60,
    )
    return services.create_group(facilitator, plan, now=STARTS_AT - timedelta(days=14))


def first_meeting(group: Group) -> GroupOccurrence:
    return min(
        db.session.query(GroupOccurrence).filter_by(group_id=group.id), key=lambda o: o.starts_at
    )


@dataclass
class World:
    app: Flask
    facilitator: User
    group: Group
    meeting: GroupOccurrence
    members: list[User]
    clients: dict[int, FlaskClient] = field(default_factory=dict)

    def client(self, user: User) -> FlaskClient:
        if user.id not in self.clients:
            self.clients[user.id] = self.app.test_client()
            fast_sign_in(self.clients[user.id], user)
        return self.clients[user.id]


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(STARTS_AT + timedelta(minutes=1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(app: Flask, clock: Any) -> World:
    """A therapist's group with three enrolled members (handles calm-river, blue-heron,
    quiet-oak), its first meeting open now."""
    facilitator = factories.make_therapist(full_name="Dr Tessa Facilitator")
    group = make_group(facilitator)
    members = [
        make_member("calm-river", full_name="Alice Realname"),
        make_member("blue-heron", full_name="Bob Realname"),
        make_member("quiet-oak", full_name="Cara Realname"),
    ]
    for member in members:
        services.request_place(member, group, now=STARTS_AT - timedelta(days=7))
    return World(app, facilitator, group, first_meeting(group), members)


def connect(
    world: World,
    user: User | None,
    *,
    occurrence_id: int | None = None,
    client: FlaskClient | None = None,
    origin: str | None = ORIGIN,
    token: str | None = None,
    fetch_token: bool = True,
    last_seen: Any = 0,
) -> SocketIOTestClient:
    client = client or (world.client(user) if user else world.app.test_client())
    if fetch_token:
        token = csrf_token(client, "/account" if user else "/sign-in")
    auth = {
        "occurrence_id": world.meeting.id if occurrence_id is None else occurrence_id,
        "csrf_token": token,
        "last_seen": last_seen,
    }
    socket = socketio.test_client(
        world.app,
        namespace=NAMESPACE,
        flask_test_client=client,
        headers={"Origin": origin} if origin else {},
        auth=auth,
    )
    OPEN_SOCKETS.append(socket)
    return socket


OPEN_SOCKETS: list[SocketIOTestClient] = []


@pytest.fixture(autouse=True)
def _close_sockets() -> Iterator[None]:
    yield
    while OPEN_SOCKETS:
        socket = OPEN_SOCKETS.pop()
        if socket.is_connected(NAMESPACE):
            socket.disconnect(NAMESPACE)


def received(socket: SocketIOTestClient) -> dict[str, list[Any]]:
    events: dict[str, list[Any]] = {}
    for event in socket.get_received(NAMESPACE):
        events.setdefault(event["name"], []).append(event["args"][0])
    return events


def send(socket: SocketIOTestClient, body: str, client_id: str) -> Any:
    return socket.emit(
        "send", {"client_id": client_id, "body": body}, namespace=NAMESPACE, callback=True
    )
