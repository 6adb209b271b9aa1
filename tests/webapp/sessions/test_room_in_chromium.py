"""The room page in a real browser (Debian chromium, driven over the DevTools protocol): the page's
CSP lets chat.js reach its own websocket, messages go both ways escaped and linkified, and a message
typed while the server is down is kept and sent once it is back. Skipped where chromium is missing
(CI installs it)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
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


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Browser, world.SessionPair, int, Callable[[], None]]]:
    database_url = f"sqlite:///{tmp_path / 'room.db'}"
    pair = world.build_world(database_url, 1)[0]
    port, debug_port = world.free_port(), world.free_port()
    env = world.server_environment(database_url, instance_dir=tmp_path)
    env.update({"SOCKETIO_ASYNC_MODE": "threading", "SITE_URL": f"http://127.0.0.1:{port}"})
    servers = [_serve(port, env, tmp_path / "app.log")]
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
        world.wait_until_listening(port, servers[0], timeout=90)  # slow on a loaded machine

    try:
        world.wait_until_listening(port, servers[0], timeout=90)
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
        yield browser, pair, port, restart
        browser.socket.close()
    finally:
        chrome.terminate()
        chrome.wait(timeout=10)
        world.stop(servers[0])


def test_the_room_works_in_chromium_and_keeps_what_was_typed_while_offline(room):
    browser, pair, port, restart = room
    status = "document.getElementById('chat-status').textContent"
    assert browser.wait_for(f"{status} === 'Connected.' && {status}")
    assert browser.value("document.getElementById('chat-clock').textContent").count(":") == 1

    therapist_got: list[Any] = []
    therapist = socketio.Client(
        reconnection=False, websocket_extra_options={"origin": f"http://127.0.0.1:{port}"}
    )
    therapist.on("chat", therapist_got.append, namespace="/chat")
    therapist.connect(
        f"http://127.0.0.1:{port}",
        namespaces=["/chat"],
        headers=pair.therapist.headers(),
        auth=pair.therapist.auth(pair.appointment_id),
        transports=["websocket"],
    )
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
    sequences = browser.wait_for(
        "(() => { const s = [...document.querySelectorAll('#chat-messages li[data-sequence]')]"
        ".map(li => li.dataset.sequence); return s.length === 3 && s.join(','); })()"
    )
    assert sequences == "1,2,3"  # in order, nothing twice, the offline message sent once back
