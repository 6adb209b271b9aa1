"""With the rate limits kept in Redis and Redis down, sign-in still answers and is still
limited (each instance counts in its own memory). Run in a fresh interpreter: the limiter is
one per process, and pointing it at a dead Redis must not leak into the other tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import json, re, sys
from webapp import create_app
from webapp.config import TestConfig

config = type("C", (TestConfig,), {
    "SQLALCHEMY_DATABASE_URI": sys.argv[1],
    "RATELIMIT_STORAGE_URI": sys.argv[2],
    "PROPAGATE_TEST_ERRORS": False,
})
app = create_app(config)
from webapp.migrate import upgrade
with app.app_context():
    upgrade(sys.argv[1])
client = app.test_client()
page = client.get("/sign-in").get_data(as_text=True)
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
limit = int(app.config["SIGN_IN_RATE_LIMIT"].split()[0])
statuses = [
    client.post("/sign-in", data={
        "csrf_token": token, "email": "a@example.com", "password": "whatever-it-is",
    }).status_code
    for _ in range(limit + 1)
]
print(json.dumps({"limit": limit, "statuses": statuses}))
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sign_in_is_still_limited_in_memory_while_the_limit_store_is_down(tmp_path):
    run = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            "-c",
            SCRIPT,
            f"sqlite:///{tmp_path / 'app.db'}",
            f"redis://127.0.0.1:{closed_port()}/0",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "INSTANCE_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    limit = result["limit"]
    assert result["statuses"] == [200] * limit + [429]
