"""Community fixtures: patients in their access period, members with handles, a space, staff,
and signed-in clients (the fast sign-in of the session-room tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.sessions.conftest import fast_sign_in
from webapp.extensions import db, socketio
from webapp.models import CommunityMember, PatientProfile, Role, Shift, ShiftKind, Space, User

ORIGIN = "http://localhost"


def make_patient(*, access: bool = True, full_name: str | None = None) -> User:
    user = factories.make_user(Role.PATIENT, **({"full_name": full_name} if full_name else {}))
    now = datetime.now(UTC)
    user.patient_profile = PatientProfile(
        date_of_birth=date(1990, 1, 1),
        postcode="LS1 1AA",
        mobile_e164="+447700900001",
        access_starts_at=now - timedelta(days=30),
        access_ends_at=now + (timedelta(days=150) if access else -timedelta(days=1)),
    )
    db.session.commit()
    return user


def make_member(handle: str, **kwargs: Any) -> User:
    """A patient in their access period who has joined as `handle` (returns the User)."""
    user = make_patient(**kwargs)
    member = CommunityMember(
        user_id=user.id, handle=handle, house_rules_accepted_at=datetime.now(UTC)
    )
    db.session.add(member)
    db.session.commit()
    return user


def make_space(title: str = "Anxiety and worry") -> Space:
    space = Space(title=title, description="Talk about worry.")
    db.session.add(space)
    db.session.commit()
    return space


def put_on_shift(user: User, kind: ShiftKind, starts: datetime, hours: int = 8) -> Shift:
    shift = Shift(
        user_id=user.id, kind=kind, starts_at=starts, ends_at=starts + timedelta(hours=hours)
    )
    db.session.add(shift)
    db.session.commit()
    return shift


@pytest.fixture
def signed_in(app: Flask) -> Callable[[User], FlaskClient]:
    def _client(user: User) -> FlaskClient:
        client = app.test_client()
        fast_sign_in(client, user)
        return client

    return _client


@pytest.fixture
def space() -> Space:
    return make_space()


def post_thread(client: FlaskClient, space_id: int, title: str, body: str) -> Any:
    path = f"/community/spaces/{space_id}/new-thread"
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "title": title, "body": body})


def post_reply(client: FlaskClient, thread_id: int, body: str) -> Any:
    path = f"/community/threads/{thread_id}"
    token = csrf_token(client, path)
    return client.post(path, data={"csrf_token": token, "body": body})


def connect_queue(
    app: Flask,
    client: FlaskClient,
    *,
    token: str | None = None,
    fetch_token: bool = True,
    origin: str | None = ORIGIN,
) -> Any:
    if fetch_token:
        token = csrf_token(client, "/account")
    headers = {"Origin": origin} if origin else {}
    return socketio.test_client(
        app,
        namespace="/moderation",
        flask_test_client=client,
        headers=headers,
        auth={"csrf_token": token},
    )
