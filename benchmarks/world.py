"""A world of booked, ready session pairs, app instances to serve it, and signed-in cookies.

Shared by `benchmarks/chat.py` and the two-instance test (tests/webapp/sessions/
test_scale_out.py). Rows are written straight to the database (no app object in this process,
so a test's own app is left alone); each person gets the session cookie a completed sign-in
would leave, signed with the instances' SECRET_KEY, and the CSRF token their room page would
carry. Never used against a real deployment: the keys here are fake and published.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask_login.utils import _create_identifier
from flask_wtf.csrf import generate_csrf
from sqlalchemy import insert, text

import questionnaires
from webapp.config import normalise_database_url
from webapp.extensions import make_engine
from webapp.migrate import upgrade
from webapp.models import Appointment, QuestionnaireResponse, Role, User

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "load-run-only-not-secret"  # noqa: S105 - a plainly fake key for local load runs
ENCRYPTION_KEY = "bG9hZC1ydW4tb25seS1mYWtlLWtleS0zMi1ieXRlcyE="
SITE_ORIGIN = "http://chat.test"
USER_AGENT = "talking-therapies-load-run"
REMOTE_ADDR = "127.0.0.1"


@contextmanager
def own_schema(
    database_url: str, schema: str, *, reuse: bool = False, keep: bool = False
) -> Iterator[str]:
    """A PostgreSQL schema of the benchmark's own, made afresh (or, with `reuse`, the one a
    `keep` run left) and dropped afterwards unless `keep`; yields the database URL that puts
    it first on the search path."""
    url = normalise_database_url(database_url)
    admin = make_engine(url)
    if not reuse:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        if not keep:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@dataclass(frozen=True)
class Person:
    user_id: int
    cookie: str
    csrf_token: str

    def headers(self) -> dict[str, str]:
        """The browser's headers. (websocket-client sets Origin itself: pass it
        `websocket_extra_options={"origin": SITE_ORIGIN}`; aiohttp takes it from here.)"""
        return {"Cookie": f"session={self.cookie}", "User-Agent": USER_AGENT}

    def auth(self, appointment_id: int, last_seen: int = 0) -> dict[str, Any]:
        return {
            "appointment_id": appointment_id,
            "csrf_token": self.csrf_token,
            "last_seen": last_seen,
        }


@dataclass(frozen=True)
class SessionPair:
    appointment_id: int
    patient: Person
    therapist: Person


def build_world(
    database_url: str, pairs: int, *, starts_at: datetime | None = None
) -> list[SessionPair]:
    """Migrate the database and add `pairs` sessions in progress (started a minute ago), each
    with its questionnaires complete; return everyone's cookies."""
    upgrade(database_url)
    starts_at = starts_at or datetime.now(UTC) - timedelta(minutes=1)
    tag = secrets.token_hex(4)
    engine = make_engine(database_url)
    users: list[dict[str, Any]] = []
    for number in range(pairs):
        for role in (Role.PATIENT, Role.THERAPIST):
            users.append(
                {
                    "email": f"{role.value}{number}-{tag}@load.example",
                    "full_name": f"Load {role.label} {number}",
                    "role": role,
                    "is_active_account": True,
                    "session_token": secrets.token_urlsafe(32),
                    "failed_sign_ins": 0,
                    "created_at": starts_at,
                }
            )
    with engine.begin() as connection:
        connection.execute(insert(User), users)
        ids = dict(
            connection.execute(
                User.__table__.select()
                .with_only_columns(User.email, User.id)
                .where(User.email.like(f"%-{tag}@load.example"))
            ).all()
        )
        appointments = [
            {
                "patient_id": ids[f"patient{n}-{tag}@load.example"],
                "therapist_id": ids[f"therapist{n}-{tag}@load.example"],
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=50),
                "status": "booked",
                "attendance_code": "0",
                "created_at": starts_at,
            }
            for n in range(pairs)
        ]
        connection.execute(insert(Appointment), appointments)
        rows = connection.execute(
            Appointment.__table__.select()
            .with_only_columns(Appointment.id, Appointment.patient_id, Appointment.therapist_id)
            .where(Appointment.patient_id.in_([a["patient_id"] for a in appointments]))
        ).all()
        connection.execute(
            insert(QuestionnaireResponse),
            [
                {
                    "patient_id": row.patient_id,
                    "appointment_id": row.id,
                    "instrument": code,
                    "instrument_version": "1",
                    "answers": {},
                    "risk_flags": [],
                    "started_at": starts_at,
                    "updated_at": starts_at,
                    "completed_at": starts_at,
                }
                for row in rows
                for code in questionnaires.PRE_SESSION_SET
            ],
        )
    tokens = {user["email"]: user["session_token"] for user in users}
    by_id = {user_id: email for email, user_id in ids.items()}
    engine.dispose()
    return [
        SessionPair(
            row.id,
            signed_in(row.patient_id, tokens[by_id[row.patient_id]]),
            signed_in(row.therapist_id, tokens[by_id[row.therapist_id]]),
        )
        for row in rows
    ]


_cookie_app = Flask("load-run-cookies")
_cookie_app.config["SECRET_KEY"] = SECRET_KEY


def signed_in(user_id: int, session_token: str) -> Person:
    """The session cookie a completed sign-in leaves (Flask-Login's strong protection included)."""
    environ = {"REMOTE_ADDR": REMOTE_ADDR, "HTTP_USER_AGENT": USER_AGENT}
    with _cookie_app.test_request_context(environ_base=environ):
        token = generate_csrf()
        now = time.time()
        identifier = _create_identifier()  # what Flask-Login's strong protection checks
        session.update(
            {
                "_user_id": session_token,
                "_fresh": True,
                "_id": identifier,
                "signed_in_at": now,
                "last_seen_at": now,
            }
        )
        session.permanent = True
        serializer = SecureCookieSessionInterface().get_signing_serializer(_cookie_app)
        assert serializer is not None
        cookie = serializer.dumps(dict(session))
    return Person(user_id, cookie, token)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(
    database_url: str, *, message_queue: str = "", channel: str = "", instance_dir: Path
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "APP_ENV": "development",
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "ENCRYPTION_KEYS": ENCRYPTION_KEY,
            "SITE_URL": SITE_ORIGIN,
            "SOCKETIO_ASYNC_MODE": "gevent",
            "SOCKETIO_MESSAGE_QUEUE": message_queue,
            "SOCKETIO_CHANNEL": channel or "talking-therapies-socketio",
            "INSTANCE_DIR": str(instance_dir),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def start_instance(
    port: int, env: dict[str, str], *, app: str = "wsgi:app", log: Path | None = None
) -> subprocess.Popen[bytes]:
    """One production-shaped instance: gunicorn, one gevent worker (DESIGN.md, real time)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "-k",
        "gevent",
        "-w",
        "1",
        "--worker-connections",
        "5000",
        "--chdir",
        str(ROOT),
        "-b",
        f"127.0.0.1:{port}",
        app,
    ]
    if log is None:
        return subprocess.Popen(  # noqa: S603 - our own command line
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
    with open(log, "wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


def wait_until_listening(
    port: int, process: subprocess.Popen[bytes], timeout: float = 25, *, log: Path | None = None
) -> None:
    """Until the worker answers HTTP (gunicorn's master listens before its worker has loaded
    the app). An instance that exits first is an error, with the end of its `log` if given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(
                f"the instance on port {port} exited with {process.returncode}\n{said}"
            )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise TimeoutError(f"the instance on port {port} did not answer within {timeout} s")


def stop(*processes: subprocess.Popen[bytes]) -> None:
    """gunicorn's quick shutdown (SIGINT) for all at once, then a kill for any that linger."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (a worker already gone counts
    nothing: the fault runs kill instances)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def resident_mib(pids: list[int]) -> float:
    """The processes' resident memory now (VmRSS), in MiB."""
    total_kib = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


class OwnRedis:
    """A redis-server of one's own on `port` (keeping nothing on disk), to stop and start
    again without touching the shared one: the load run's faults, the scale-out tests."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{self.port}/0"
        for _ in range(50):
            try:
                redis.Redis.from_url(url).ping()
                return url
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
