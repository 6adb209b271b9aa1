"""The room page in a real browser (Debian chromium, driven over the DevTools protocol): the page's
CSP lets chat.js reach its own websocket, messages go both ways escaped and linkified, a message
typed while the server is down is kept and sent once it is back, and messages that never reach the
page by themselves (a gap in the numbers, or the queue between instances down) are asked for.
Skipped where chromium is missing (CI installs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import socketio
import websocket

from benchmarks import world

CHROMIUM = shutil.which("chromium") or "chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed"),
]


def _serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`flask run` in threading mode: what `make run` serves."""
    flask = str(Path(sys.executable).with_name("flask"))
    command = [flask, "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


class Browser:
    def __init__(self, debugger_url: str) -> None:
        self.socket = websocket.create_connection(debugger_url, suppress_origin=True, timeout=20)
        self.number = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.number += 1
        self.socket.send(json.dumps({"id": self.number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.number:
                return message  # type: ignore[no-any-return]

    def value(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"]["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.value(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"never true: {expression}")


def shown_sequences(browser: Browser, count: int, timeout: float = 15) -> str:
    """The page's message numbers in the order shown, once it shows `count` of them."""
    return browser.wait_for(  # type: ignore[no-any-return]
        "(() => { const s = [...document.querySelectorAll('#chat-messages li[data-sequence]')]"
        f".map(li => li.dataset.sequence); return s.length === {count} && s.join(','); }})()",
        timeout=timeout,
    )


@contextmanager
def _room(
    tmp_path: Path, settings: dict[str, str], instances: int = 1
) -> Iterator[tuple[Browser, world.SessionPair, list[int], Callable[[], None]]]:
    """The patient's room page in chromium, served by the first of `instances` app instances
    sharing one SQLite file, each with `settings` over the defaults."""
    database_url = f"sqlite:///{tmp_path / 'room.db'}"
    pair = world.build_world(database_url, 1)[0]
    ports, debug_port = [world.free_port() for _ in range(instances)], world.free_port()
    port = ports[0]
    env = world.server_environment(database_url, instance_dir=tmp_path)
    env.update({"SOCKETIO_ASYNC_MODE": "threading", "SITE_URL": f"http://127.0.0.1:{port}"})
    env.update(settings)
    servers = [_serve(each, env, tmp_path / f"app-{each}.log") for each in ports]
    chrome = subprocess.Popen(  # noqa: S603 - our own command line
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--remote-debugging-port={debug_port}",
            f"--user-agent={world.USER_AGENT}",  # the cookie's sign-in was for this browser
            f"--user-data-dir={tmp_path / 'chromium'}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def restart() -> None:
        world.stop(servers[0])
        time.sleep(1)
        servers[0] = _serve(port, env, tmp_path / "app-again.log")
        world.wait_until_listening(  # slow on a loaded machine
            port, servers[0], timeout=90, log=tmp_path / "app-again.log"
        )

    try:
        for each, server in zip(ports, servers, strict=True):
            world.wait_until_listening(each, server, timeout=90, log=tmp_path / f"app-{each}.log")
        deadline = time.monotonic() + 20
        while True:
            try:
                address = f"http://127.0.0.1:{debug_port}/json"
                with urllib.request.urlopen(address) as answer:
                    tabs = json.load(answer)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        page = next(tab for tab in tabs if tab["type"] == "page")
        browser = Browser(page["webSocketDebuggerUrl"])
        browser.call("Network.enable")
        browser.call(
            "Network.setCookie",
            name="session",
            value=pair.patient.cookie,
            url=f"http://127.0.0.1:{port}/",
        )
        browser.call("Page.navigate", url=f"http://127.0.0.1:{port}/sessions/{pair.appointment_id}")
        yield browser, pair, ports, restart
        browser.socket.close()
    finally:
        chrome.terminate()
        chrome.wait(timeout=10)
        world.stop(*servers)


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Browser, world.SessionPair, int, Callable[[], None]]]:
    with _room(tmp_path, {}) as (browser, pair, ports, restart):
        yield browser, pair, ports[0], restart


def therapist_client(port: int, pair: world.SessionPair, site: int) -> tuple[Any, list[Any]]:
    """The therapist in the same room, as a python-socketio client on the instance at `port`."""
    got: list[Any] = []
    therapist = socketio.Client(
        reconnection=False, websocket_extra_options={"origin": f"http://127.0.0.1:{site}"}
    )
    therapist.on("chat", got.append, namespace="/chat")
    therapist.connect(
        f"http://127.0.0.1:{port}",
        namespaces=["/chat"],
        headers=pair.therapist.headers(),
        auth=pair.therapist.auth(pair.appointment_id),
        transports=["websocket"],
    )
    return therapist, got


def test_the_room_works_in_chromium_and_keeps_what_was_typed_while_offline(room):
    browser, pair, port, restart = room
    status = "document.getElementById('chat-status').textContent"
    assert browser.wait_for(f"{status} === 'Connected.' && {status}")
    assert browser.value("document.getElementById('chat-clock').textContent").count(":") == 1

    therapist, therapist_got = therapist_client(port, pair, port)
    browser.value(
        "const box = document.getElementById('chat-input');"
        "box.value = 'Hello <b>there</b>, see https://www.nhs.uk';"
        "document.getElementById('chat-form').requestSubmit()"
    )
    deadline = time.monotonic() + 10
    while not therapist_got and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "&lt;b&gt;there&lt;/b&gt;" in therapist_got[0]["html"]
    therapist.call("send", {"client_id": "therapist-0001", "body": "Hello back"}, namespace="/chat")
    therapist.disconnect()
    assert browser.wait_for(
        "document.getElementById('chat-messages').innerText.includes('Hello back')"
    )

    # While the server is down the box keeps what was typed and says it is reconnecting.
    worker = threading.Thread(target=restart)
    worker.start()
    browser.wait_for(
        "document.getElementById('chat-status').textContent.startsWith('Reconnecting')"
    )
    browser.value(
        "document.getElementById('chat-input').value = 'typed while offline';"
        "document.getElementById('chat-form').requestSubmit()"
    )
    assert browser.value("document.getElementById('chat-input').value") == "typed while offline"
    worker.join()
    assert browser.wait_for(f"{status} === 'Connected.' && {status}", timeout=30)
    browser.value("document.getElementById('chat-form').requestSubmit()")
    # In order, nothing twice, the offline message sent once it was back.
    assert shown_sequences(browser, 3) == "1,2,3"


def test_messages_reach_the_page_from_another_instance_while_the_queue_is_down(tmp_path):
    """Two instances whose message queue (Redis) is not there: the patient's page on the first
    is told so at its door and asks for missed messages every few seconds, so a message the
    therapist sends on the second instance (stored, but never relayed) still arrives."""
    nowhere = f"redis://127.0.0.1:{world.free_port()}/0"
    with _room(tmp_path, {"SOCKETIO_MESSAGE_QUEUE": nowhere}, instances=2) as room:
        browser, pair, (port_a, port_b), _restart = room
        status = "document.getElementById('chat-status').textContent"
        assert browser.wait_for(f"{status} === 'Connected.' && {status}")
        therapist, _got = therapist_client(port_b, pair, port_a)
        try:
            ack = therapist.call(
                "send",
                {"client_id": "therapist-relay-01", "body": "Sent from the other instance"},
                namespace="/chat",
            )
            assert ack["ok"]
            assert browser.wait_for(
                "document.getElementById('chat-messages').innerText"
                ".includes('Sent from the other instance')",
                timeout=10,
            )
        finally:
            therapist.disconnect()


def test_the_page_asks_for_a_message_it_can_tell_it_missed(tmp_path):
    """A message that never reaches the page (here: sent on another instance with no queue
    between them) shows as a gap once a later one arrives; the page asks for it."""
    with _room(tmp_path, {}, instances=2) as (browser, pair, (port_a, port_b), _restart):
        status = "document.getElementById('chat-status').textContent"
        assert browser.wait_for(f"{status} === 'Connected.' && {status}")
        elsewhere, _got = therapist_client(port_b, pair, port_a)
        here, _got_here = therapist_client(port_a, pair, port_a)
        try:
            for client, client_id, body in (
                (elsewhere, "therapist-gap-0001", "lost on the way"),
                (here, "therapist-gap-0002", "the one after"),
            ):
                ack = client.call("send", {"client_id": client_id, "body": body}, namespace="/chat")
                assert ack["ok"]
            assert shown_sequences(browser, 2, timeout=10) == "1,2"
        finally:
            elsewhere.disconnect()
            here.disconnect()
