"""Every Socket.IO namespace the app registers, found from the Socket.IO server itself, so a new
namespace is covered the moment it is registered:

- cross-site WebSocket hijacking: a connection from another site's page (a wrong Origin), or
  without the page's CSRF token, or with a wrong one, is refused, for every kind of account;
- junk to every event: hypothesis-generated payloads (wrong types, huge strings, nested
  dicts, missing keys, negative and huge numbers, extra arguments, unknown event names) sent as a
  connected, legitimate participant never raise on the server, every refusal is a clear
  `{"ok": False, "error": ...}` answer, and a refused event writes nothing.

Each namespace needs a way in for a legitimate participant (LEGITIMATE): the refusals above
mean something only if the same connection, from the site's own page, is let in. A namespace
without one fails `test_every_namespace_has_a_legitimate_way_in` until it is added.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests import factories
from tests.conftest import csrf_token
from tests.webapp.sessions.conftest import STARTS_AT, complete_questionnaires, fast_sign_in
from webapp.extensions import db, socketio
from webapp.models import Base, Role

ORIGIN = "http://localhost"
WRONG_ORIGINS = ["https://evil.example", "http://localhost.evil.example", "null"]
ALWAYS_WRITTEN = {"activity_events", "audit_events"}
LIFECYCLE = {"connect", "disconnect"}


def namespaces() -> list[str]:
    """Every namespace with a handler: class-based and decorator-based alike."""
    server = socketio.server
    names = set(server.namespace_handlers) | set(server.handlers)
    return sorted(name for name in names if name != "/")


def events(namespace: str) -> dict[str, Callable[..., Any]]:
    """The events a namespace handles, by name, each with its handler."""
    server = socketio.server
    found: dict[str, Callable[..., Any]] = {}
    handler = server.namespace_handlers.get(namespace)
    if handler is not None:
        for name, method in inspect.getmembers(handler, inspect.ismethod):
            if name.startswith("on_") and name[3:] not in LIFECYCLE:
                found[name[3:]] = method
    for name, function in server.handlers.get(namespace, {}).items():
        if name not in LIFECYCLE and name != "*":
            found[name] = function
    return found


# --- a legitimate participant of each namespace ------------------------------------------------


@contextmanager
def chat_participant(app: Flask) -> Iterator[tuple[FlaskClient, dict[str, Any]]]:
    """The patient of a booked session, a minute in, with the questionnaires done."""
    with time_machine.travel(STARTS_AT + timedelta(minutes=1), tick=False):
        patient = factories.make_user(Role.PATIENT)
        appointment = factories.make_appointment(
            patient, factories.make_therapist(), starts_at=STARTS_AT
        )
        complete_questionnaires(appointment)
        client = app.test_client()
        fast_sign_in(client, patient)
        yield client, {"appointment_id": appointment.id, "last_seen": 0}


@contextmanager
def moderator(app: Flask) -> Iterator[tuple[FlaskClient, dict[str, Any]]]:
    client = app.test_client()
    fast_sign_in(client, factories.make_user(Role.MODERATOR))
    yield client, {}


@contextmanager
def group_member(app: Flask) -> Iterator[tuple[FlaskClient, dict[str, Any]]]:
    """An enrolled member of a group, a minute into its first meeting."""
    from tests.webapp.groups import conftest as groups
    from webapp.groups import services

    with time_machine.travel(groups.STARTS_AT + timedelta(minutes=1), tick=False):
        group = groups.make_group(factories.make_therapist())
        member = groups.make_member("socket-member")
        services.request_place(member, group, now=groups.STARTS_AT)
        client = app.test_client()
        fast_sign_in(client, member)
        yield client, {"occurrence_id": groups.first_meeting(group).id, "last_seen": 0}


LEGITIMATE: dict[str, Callable[[Flask], Any]] = {
    "/chat": chat_participant,
    "/moderation": moderator,
    "/group": group_member,
}


def connect(
    app: Flask, client: FlaskClient, namespace: str, auth: dict[str, Any], **door: Any
) -> Any:
    """Connect as the site's page does (its Origin, its CSRF token), unless `door` says
    otherwise: origin=..., token=... (None: no token at all)."""
    token = door["token"] if "token" in door else csrf_token(client, "/account")
    origin = door.get("origin", ORIGIN)
    auth = {**auth, **({"csrf_token": token} if token is not None else {})}
    return socketio.test_client(
        app,
        namespace=namespace,
        flask_test_client=client,
        headers={"Origin": origin} if origin else {},
        auth=auth,
    )


def test_the_app_registers_the_namespaces_it_should():
    assert {"/chat", "/moderation"} <= set(namespaces())


def test_every_namespace_has_a_legitimate_way_in(app):
    missing = [name for name in namespaces() if name not in LEGITIMATE]
    assert not missing, f"add a legitimate participant to LEGITIMATE for {missing}"
    for namespace, participant in LEGITIMATE.items():
        with participant(app) as (client, auth):
            socket = connect(app, client, namespace, auth)
            assert socket.is_connected(namespace), namespace
            socket.disconnect(namespace)


def test_a_wrong_origin_or_a_missing_or_wrong_csrf_token_is_refused_by_every_namespace(app):
    """Each namespace's own participant, and every kind of account: refused at the door."""
    let_in = [(namespace, door) for namespace in namespaces() for door in _let_in(app, namespace)]
    assert let_in == []


def _let_in(app: Flask, namespace: str) -> list[dict[str, Any]]:
    doors: list[dict[str, Any]] = [
        *({"origin": origin} for origin in WRONG_ORIGINS),
        {"token": None},
        {"token": ""},
        {"token": "not-a-token"},
    ]
    people = []
    if namespace in LEGITIMATE:
        people.append(LEGITIMATE[namespace](app))
    for role in Role:
        client = app.test_client()
        fast_sign_in(client, factories.make_user(role))
        people.append(_as_is(client))
    let_in = []
    for person in people:
        with person as (client, auth):
            for door in doors:
                socket = connect(app, client, namespace, auth, **door)
                if socket.is_connected(namespace):
                    let_in.append(door)
                    socket.disconnect(namespace)
    return let_in


@contextmanager
def _as_is(client: FlaskClient) -> Iterator[tuple[FlaskClient, dict[str, Any]]]:
    yield client, {}


# --- junk to every event ----------------------------------------------------------------------

GET_KEY = re.compile(r"""\.get\(\s*["'](\w+)["']""")


def payload_keys(namespace: str) -> list[str]:
    """The keys the namespace's handlers read from what they are sent (`data.get("...")`), so
    the junk has the right keys with the wrong values as well as wrong keys."""
    keys: set[str] = set()
    for handler in [*events(namespace).values()]:
        keys |= set(GET_KEY.findall(inspect.getsource(handler)))
    return sorted(keys)


def junk(keys: list[str]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([-1, 0, 1, 2**31, 2**63, -(2**63)]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=40),
        st.sampled_from(["x" * 100_000, "<script>alert(1)</script>", "\x00", "1", "-1"]),
        st.binary(max_size=20),
    )
    key = st.sampled_from(keys) if keys else st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(key | st.text(max_size=8), inner, max_size=5)
        ),
        max_leaves=12,
    )


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name not in ALWAYS_WRITTEN
    }


def _is_clear_answer(ack: Any) -> bool:
    if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
        return False
    return ack["ok"] or (isinstance(ack.get("error"), str) and bool(ack["error"].strip()))


@pytest.mark.parametrize("namespace", sorted(LEGITIMATE))
def test_junk_to_every_event_never_breaks_the_server_or_half_writes(app, namespace):
    from webapp.extensions import limiter

    handled = events(namespace)
    assert handled, f"{namespace} handles no events"
    keys = payload_keys(namespace)
    problems: list[str] = []
    with LEGITIMATE[namespace](app) as (client, auth):
        socket = connect(app, client, namespace, auth)
        assert socket.is_connected(namespace)

        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],  # problems are collected, not raised: nothing to shrink
            suppress_health_check=list(HealthCheck),
        )
        @given(
            event=st.sampled_from(sorted(handled)) | st.text(min_size=1, max_size=12),
            arguments=st.lists(junk(keys), max_size=3),
        )
        def send_junk(event: str, arguments: list[Any]) -> None:
            if event in LIFECYCLE or not socket.is_connected(namespace):
                return
            before = _row_counts()
            try:
                ack = socket.emit(event, *arguments, namespace=namespace, callback=True)
            except Exception as error:  # the server raised: the worst answer there is
                problems.append(f"{event}{arguments!r:.200}: {type(error).__name__}: {error}")
                return
            finally:
                db.session.rollback()  # see the committed state, not a stale snapshot
                app.extensions["chat_message_rate"].reset()
                limiter.reset()
            if event not in handled:
                refused = True  # nothing handles it: it must change nothing
            elif not _is_clear_answer(ack):
                problems.append(f"{event}{arguments!r:.200}: unclear answer {ack!r:.200}")
                return
            else:
                refused = not ack["ok"]
            if refused:
                after = _row_counts()
                changed = {t: (before[t], n) for t, n in after.items() if before[t] != n}
                if changed:
                    problems.append(f"{event}{arguments!r:.200}: refused, wrote {changed}")

        try:
            send_junk()
        finally:
            if socket.is_connected(namespace):
                socket.disconnect(namespace)
    assert problems == []


def test_an_event_that_raises_answers_with_a_plain_error_and_a_door_that_raises_refuses(
    app, monkeypatch
):
    from webapp.errors import SOCKET_ERROR
    from webapp.moderation_console import queries

    def broken(*_args: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    with moderator(app) as (client, auth):
        socket = connect(app, client, "/moderation", auth)
        monkeypatch.setattr(queries, "open_queue_item", broken)
        ack = socket.emit("acknowledge", {"item_id": 1}, namespace="/moderation", callback=True)
        assert ack == {"ok": False, "error": SOCKET_ERROR, "code": "server"}
        socket.disconnect("/moderation")
        monkeypatch.setattr(queries, "open_queue", broken)
        assert not connect(app, client, "/moderation", auth).is_connected("/moderation")


@pytest.mark.parametrize("namespace", sorted(LEGITIMATE))
def test_a_type_error_at_the_door_is_a_fault_not_a_second_try_without_the_token(
    app, monkeypatch, namespace
):
    """Flask-SocketIO runs a connect handler again without `auth` when it raises TypeError;
    every door is guarded (`realtime.connect_handler`), so a bug is not turned into a second
    half-run and a refusal for a missing CSRF token."""
    handler = socketio.server.namespace_handlers[namespace]
    module = inspect.getmodule(type(handler))
    calls: list[Any] = []

    def broken(auth: Any) -> Any:
        calls.append(auth)
        raise TypeError("a bug")

    monkeypatch.setattr(module, "door_problem", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    with LEGITIMATE[namespace](app) as (client, auth):
        assert not connect(app, client, namespace, auth).is_connected(namespace)
    assert len(calls) == 1 and calls[0] is not None
