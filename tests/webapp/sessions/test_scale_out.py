"""Two real app instances (gunicorn, one gevent worker each) sharing rooms through Redis: a
patient on one and their therapist on the other talk normally, a refused stranger hears a
clear error, and when Redis goes away the rooms are told, so that their pages ask for what they
missed. Redis (127.0.0.1:6379) and PostgreSQL (TEST_DATABASE_URL, or the local `test`
database) must run, as in CI; each run has its own Redis channel and its own schema."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import socketio
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from benchmarks import world
from webapp.config import normalise_database_url
from webapp.extensions import make_engine
from webapp.realtime import RELAY_CHECK_SECONDS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # websocket-client, at exit

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql+psycopg://127.0.0.1:5432/test"


def _needed(what: str, error: Exception) -> None:
    if os.environ.get("CI") == "true":
        raise error  # in CI a missing service fails the run, never skips it
    pytest.skip(f"{what} is not running: {error}")


@pytest.fixture(scope="module")
def shared_database() -> Iterator[str]:
    """Several instances share PostgreSQL (DESIGN.md, scale-out), in a schema of their own."""
    url = normalise_database_url(os.environ.get("TEST_DATABASE_URL") or POSTGRES_URL)
    schema = f"scale_out_{secrets.token_hex(4)}"
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as error:
        admin.dispose()
        _needed("PostgreSQL", error)
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def two_instances(
    tmp_path_factory: pytest.TempPathFactory, shared_database: str
) -> Iterator[tuple[list[int], Any]]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError as error:
        _needed("Redis", error)
    directory = tmp_path_factory.mktemp("scale-out")
    database_url = shared_database
    pairs = world.build_world(database_url, 2)
    env = world.server_environment(
        database_url,
        message_queue=REDIS_URL,
        channel=f"test-scale-out-{secrets.token_hex(6)}",
        instance_dir=directory,
    )
    ports = [world.free_port(), world.free_port()]
    processes = [
        world.start_instance(port, env, log=directory / f"instance-{port}.log") for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            world.wait_until_listening(port, process, timeout=90)  # slow on a loaded machine
        yield ports, pairs
    finally:
        world.stop(*processes)


@pytest.fixture
def instances_on_own_queue(
    tmp_path: Path, shared_database: str
) -> Iterator[tuple[list[int], world.SessionPair, world.OwnRedis]]:
    """Two instances sharing a redis-server of their own, which the test may stop and start."""
    queue = world.OwnRedis(world.free_port())
    try:
        url = queue.start()
    except (OSError, RuntimeError) as error:
        _needed("redis-server", error)
    (pair,) = world.build_world(shared_database, 1)
    env = world.server_environment(
        shared_database, message_queue=url, channel="test-relay-watch", instance_dir=tmp_path
    )
    ports = [world.free_port(), world.free_port()]
    processes = [
        world.start_instance(port, env, log=tmp_path / f"instance-{port}.log") for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            world.wait_until_listening(port, process, timeout=90)
        yield ports, pair, queue
    finally:
        world.stop(*processes)
        queue.stop()


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def client(
    port: int,
    person: world.Person,
    appointment_id: int,
    last_seen: int = 0,
    refusals: list[Any] | None = None,
    relays: list[Any] | None = None,
):
    sio = socketio.Client(reconnection=False, websocket_extra_options={"origin": world.SITE_ORIGIN})
    inbox: list[dict[str, Any]] = []
    arrived = threading.Event()

    @sio.on("relay", namespace="/chat")
    def on_relay(state: Any) -> None:
        if relays is not None:
            relays.append(state)

    @sio.on("connect_error", namespace="/chat")
    def on_refused(data: Any) -> None:
        if refusals is not None:
            refusals.append(data)

    @sio.on("chat", namespace="/chat")
    def on_chat(message: dict[str, Any]) -> None:
        inbox.append(message)
        arrived.set()

    sio.connect(
        f"http://127.0.0.1:{port}",
        namespaces=["/chat"],
        headers=person.headers(),
        auth=person.auth(appointment_id, last_seen),
        transports=["websocket"],
        wait_timeout=10,
    )
    return sio, inbox, arrived


def test_a_patient_and_therapist_on_different_instances_talk(two_instances):
    (port_a, port_b), pairs = two_instances
    pair = pairs[0]
    patient, patient_inbox, patient_got = client(port_a, pair.patient, pair.appointment_id)
    therapist, therapist_inbox, therapist_got = client(port_b, pair.therapist, pair.appointment_id)
    try:
        ack = patient.call(
            "send",
            {"client_id": "scale-out-0001", "body": "Hello from A"},
            namespace="/chat",
            timeout=10,
        )
        assert ack["ok"] and ack["message"]["sequence"] == 1
        assert therapist_got.wait(10), "the message did not cross to the other instance"
        assert [m["html"] for m in therapist_inbox] == ["Hello from A"]
        patient_got.clear()
        therapist.call(
            "send",
            {"client_id": "scale-out-0002", "body": "Hello from B"},
            namespace="/chat",
            timeout=10,
        )
        assert patient_got.wait(10)
        assert [m["sequence"] for m in patient_inbox] == [2]  # their own came in its ack
    finally:
        patient.disconnect()
        therapist.disconnect()

    # A reconnection to the other instance gets only what it missed.
    again, _inbox, _got = client(port_b, pair.patient, pair.appointment_id, last_seen=1)
    try:
        missed = again.call("resync", {"last_seen": 1}, namespace="/chat", timeout=10)
        assert [m["html"] for m in missed["messages"]] == ["Hello from B"]
    finally:
        again.disconnect()


def test_someone_elses_session_is_refused_with_a_clear_error(two_instances):
    (port_a, _port_b), pairs = two_instances
    refusals: list[Any] = []
    with pytest.raises(socketio.exceptions.ConnectionError) as error:
        client(port_a, pairs[1].patient, pairs[0].appointment_id, refusals=refusals)
    assert "failed to connect" in str(error.value)
    assert refusals == [{"message": "You cannot join this session."}]


def test_when_the_queue_goes_down_open_rooms_are_told_and_catch_up_by_asking(
    instances_on_own_queue,
):
    """Messages stop crossing between instances while Redis is down; each instance notices
    (webapp.realtime.RelayWatch) and tells its rooms, whose pages then ask for what they missed
    (static/room-common.js) until it is back."""
    (port_a, port_b), pair, queue = instances_on_own_queue
    relays: list[Any] = []
    patient, _inbox, _got = client(port_a, pair.patient, pair.appointment_id)
    therapist, _therapist_inbox, _arrived = client(
        port_b, pair.therapist, pair.appointment_id, relays=relays
    )
    try:
        queue.stop()
        told = wait_for(lambda: relays == [{"live": False}], RELAY_CHECK_SECONDS + 10)
        assert told, f"the room on the other instance was not told (got {relays})"
        ack = patient.call(
            "send", {"client_id": "relay-down-0001", "body": "Are you there?"}, namespace="/chat"
        )
        assert ack["ok"], "a message is still stored while the queue is down"
        missed = therapist.call("resync", {"last_seen": 0}, namespace="/chat")
        assert [m["html"] for m in missed["messages"]] == ["Are you there?"]

        queue.start()
        assert wait_for(lambda: relays[-1:] == [{"live": True}], RELAY_CHECK_SECONDS + 10)
    finally:
        patient.disconnect()
        therapist.disconnect()
