"""Mixed load against two app instances, and the fault runs (issue #11, scale).

N virtual users (default 100), each pinned to one of two app instances (half on each, as a
sticky load balancer would place them), for --duration seconds after a ramp-up:

- browsing patients (most of them) move between their home page, the self-help library and a
  module, the therapist list and a therapist's free times, the community, a space and a
  thread, pausing 1-5 s between pages as a person reads (--think); now and then one books a
  free slot and cancels it, or replies in a community thread;
- chatting pairs (--pairs, default 10): a patient on the first instance and their therapist
  on the second, in a live session room (their messages cross instances through Redis), each
  sending a message every 3-7 s.

It prints requests per second, p50/p95 per page (route pattern), errors, the chat messages
sent, delivered and lost, the load average, and one summary line to paste.

    .venv/bin/python -m benchmarks.load --users 100 --duration 60 \\
        --database-url postgresql://127.0.0.1:5432/test_load --redis-url redis://127.0.0.1:6379/12

Fault runs (--fault) break things mid-load. They never touch the shared PostgreSQL or Redis:
the run starts its own PostgreSQL cluster (initdb into a temporary folder, port 55432, run as
the `postgres` user when started as root) and its own redis-server (port 56379), and breaks
those:

- kill-instance: the second instance is killed (SIGKILL) a third of the way in; its chat
  clients reconnect to the first and resync from the last sequence they saw (nothing may be
  lost; one delivered both live and in the resync is shown once, by its sequence), its
  browsing users move to the first instance;
- restart-postgres: PostgreSQL is stopped a third of the way in and started again 8 s later;
  meanwhile pages must fail cleanly (a 503 page, quickly), and afterwards succeed again
  without restarting the app;
- stop-redis: Redis is stopped a third of the way in and left down; browsing, booking,
  posting and chat must keep working, and /health must say what is degraded. Each chat pair
  spans the two instances, so its messages stop crossing through Redis: the rooms must be told,
  and the clients (asking every few seconds, as the page does) must still see every message.

Every user's session cookie is the one a completed sign-in leaves (benchmarks/world.py), as in
benchmarks/chat.py: signing 100 people in through the form from one address would only meet
the sign-in rate limit. Everything started is stopped; the schema (or cluster) is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import redis
import socketio
from sqlalchemy import select, text

from benchmarks import world
from webapp.config import DevelopmentConfig, normalise_database_url
from webapp.extensions import make_engine

DEFAULT_DATABASE = "postgresql://127.0.0.1:5432/test_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
FAULT_PG_PORT = 55432
FAULT_REDIS_PORT = 56379
POSTGRES_OUTAGE_SECONDS = 8.0
REQUEST_TIMEOUT = 30.0
SLOW_FAILURE_SECONDS = 5.0
"""A failed request that took longer than this did not fail cleanly (it hung)."""


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    page: str
    seconds: float
    status: int  # 0: no answer (connection refused, reset, timed out)


@dataclass
class Results:
    window: tuple[float, float] = (0.0, 0.0)
    samples: list[Sample] = field(default_factory=list)
    booked: int = 0
    slot_taken: int = 0
    cancelled: int = 0
    posted: int = 0
    chat_sent: int = 0
    chat_acked: int = 0
    chat_refused: int = 0
    chat_retried: int = 0
    chat_delivered: int = 0
    chat_duplicates: int = 0
    chat_reconnects: int = 0
    chat_lost: int = 0
    chat_delays: list[tuple[float, float]] = field(default_factory=list)  # (sent at, to shown)
    chat_sent_at: dict[str, float] = field(default_factory=dict)  # client_id → when sent
    relay_told: list[tuple[float, bool]] = field(default_factory=list)  # (when, live) per person
    fault_at: float | None = None  # wall-clock time the fault struck
    server_cpu: float = 0.0  # CPU seconds the app's workers used inside the window
    client_cpu: float = 0.0  # and this process (the virtual users)
    loop_lag: list[float] = field(default_factory=list)  # how late the client's timers fire
    notes: list[str] = field(default_factory=list)

    def record(self, page: str, started: float, status: int) -> None:
        self.samples.append(Sample(started, page, time.monotonic() - started, status))

    def measured(self) -> list[Sample]:
        start, end = self.window
        return [s for s in self.samples if start <= s.at < end]


def is_error(sample: Sample) -> bool:
    return sample.status == 0 or sample.status >= 400


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(results: Results, load_before: str, load_after: str) -> str:
    samples = results.measured()
    seconds = results.window[1] - results.window[0]
    by_page: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_page[sample.page].append(sample)
    lines = [
        f"{'page':44} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}",
    ]
    for page in sorted(by_page, key=lambda name: -len(by_page[name])):
        times = [s.seconds * 1000 for s in by_page[page]]
        errors = sum(is_error(s) for s in by_page[page])
        lines.append(
            f"{page:44} {len(times):8d} {statistics.median(times):8.0f} "
            f"{percentile(times, 0.95):8.0f} {errors:7d}"
        )
    all_times = [s.seconds * 1000 for s in samples]
    errors = [s for s in samples if is_error(s)]
    statuses = defaultdict(int)
    for sample in errors:
        statuses[sample.status or "no answer"] += 1
    worst = (
        max(
            (percentile([s.seconds * 1000 for s in group], 0.95), page)
            for page, group in by_page.items()
        )
        if by_page
        else (0.0, "-")
    )
    lines += [
        "",
        f"{len(samples)} requests in {seconds:.0f} s: {len(samples) / seconds:.1f} req/s; "
        f"all pages p50 {statistics.median(all_times) if all_times else 0:.0f} ms, "
        f"p95 {percentile(all_times, 0.95) if all_times else 0:.0f} ms; "
        f"slowest page p95 {worst[0]:.0f} ms ({worst[1]})",
        f"errors: {len(errors)}"
        + (
            f" ({', '.join(f'{k}: {v}' for k, v in sorted(statuses.items(), key=str))})"
            if errors
            else ""
        ),
        f"booked {results.booked}, slot already taken {results.slot_taken}, "
        f"cancelled {results.cancelled}, community replies {results.posted}",
        f"chat: sent {results.chat_sent}, acknowledged {results.chat_acked}, "
        f"refused {results.chat_refused}, sent again after 'try again' {results.chat_retried}, "
        f"delivered {results.chat_delivered}, "
        f"lost {results.chat_lost}, delivered twice and ignored by sequence "
        f"{results.chat_duplicates}, "
        f"reconnects {results.chat_reconnects}",
        chat_delay_line(results),
        f"load average at the start {load_before}, at the end {load_after}",
    ]
    if results.server_cpu and samples:
        lines.append(
            f"app workers' CPU: {results.server_cpu / seconds:.0%} of a core, "
            f"{results.server_cpu / len(samples) * 1000:.1f} ms per request (chat included); "
            f"the load generator's CPU: {results.client_cpu / seconds:.0%} of a core"
        )
    if results.loop_lag:
        lines.append(
            "the load generator's own delay (a timer firing late, included in the times "
            f"above): p50 {statistics.median(results.loop_lag) * 1000:.0f} ms, "
            f"p95 {percentile(results.loop_lag, 0.95) * 1000:.0f} ms"
        )
    lines += results.notes
    return "\n".join(lines)


def chat_delay_line(results: Results) -> str:
    """How long a message took to be shown on the other side, before and after the fault, and
    when the rooms were told that the queue between instances had gone."""

    def figures(delays: list[float]) -> str:
        if not delays:
            return "nothing shown"
        return (
            f"p50 {statistics.median(delays):.2f} s, p95 {percentile(delays, 0.95):.2f} s, "
            f"max {max(delays):.2f} s ({len(delays)} messages)"
        )

    fault = results.fault_at
    if fault is None:
        return f"chat sent to shown: {figures([delay for _at, delay in results.chat_delays])}"
    before = [delay for at, delay in results.chat_delays if at < fault]
    after = [delay for at, delay in results.chat_delays if at >= fault]
    told = sorted(when - fault for when, live in results.relay_told if not live and when >= fault)
    return f"chat sent to shown, before the fault: {figures(before)}; after: {figures(after)}\n" + (
        f"people told the queue was down: {len(told)}, {told[0]:.1f}-{told[-1]:.1f} s after"
        if told
        else "people told the queue was down: none"
    )


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- the world -------------------------------------------------------------------------------


def seed_patients(database_url: str, count: int) -> list[world.Person]:
    """The demo world (therapists with hours, community spaces and threads, the self-help
    library), and `count` patients in their access period, funded for many sessions and
    members of the community."""
    from webapp import create_app, demo
    from webapp.extensions import db
    from webapp.models import (
        AllowanceMovement,
        CommunityMember,
        MovementKind,
        PatientProfile,
        Role,
        User,
    )

    class SeedConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        SECRET_KEY = world.SECRET_KEY
        ENCRYPTION_KEYS = (world.ENCRYPTION_KEY,)  # the instances' key
        HUEY_IMMEDIATE = True

    app = create_app(SeedConfig)
    now = datetime.now(UTC)
    tag = secrets.token_hex(3)
    people = []
    with app.app_context():
        demo.seed()
        users = [
            User(
                email=f"browser{n}-{tag}@load.example",
                full_name=f"Load patient {n}",
                role=Role.PATIENT,
                is_active_account=True,
                session_token=secrets.token_urlsafe(32),
                failed_sign_ins=0,
                created_at=now,
            )
            for n in range(count)
        ]
        db.session.add_all(users)
        db.session.flush()
        for n, user in enumerate(users):
            db.session.add_all(
                [
                    PatientProfile(
                        user_id=user.id,
                        date_of_birth=date(1990, 1, 1),
                        postcode="LS1 4AP",
                        mobile_e164=None,
                        sms_reminders=False,
                        email_reminders=False,
                        access_starts_at=now - timedelta(days=30),
                        access_ends_at=now + timedelta(days=300),
                    ),
                    AllowanceMovement(
                        patient_id=user.id,
                        kind=MovementKind.GRANT,
                        sessions=10_000,
                        reason_code="referral",
                        occurred_at=now - timedelta(days=30),
                    ),
                    CommunityMember(
                        user_id=user.id,
                        handle=f"load-{tag}-{n}",
                        joined_at=now,
                        house_rules_accepted_at=now,
                    ),
                ]
            )
        db.session.commit()
        ids = db.session.execute(
            select(User.id, User.session_token).where(User.email.like(f"%-{tag}@load.example"))
        ).all()
        people = [world.signed_in(user_id, token) for user_id, token in ids]
        db.session.remove()
    db.engine.dispose()  # type: ignore[union-attr]
    return people


# --- browsing patients -----------------------------------------------------------------------

LINKS = {
    "therapist": re.compile(r'href="/booking/therapists/(\d+)"'),
    "slot": re.compile(r'href="/booking/therapists/(\d+)/book\?start=([0-9TZ]+)"'),
    "cancel": re.compile(r'href="/booking/appointments/(\d+)/cancel"'),
    "module": re.compile(r'href="/self-help/([a-z0-9-]+)"'),
    "space": re.compile(r'href="/community/spaces/(\d+)"'),
    "thread": re.compile(r'href="/community/threads/(\d+)'),
}
NOT_MODULES = {"worksheets"}


class Instances:
    """The two addresses, and which are known down (a load balancer's health check): a user
    pinned to a dead instance moves to the live one, as the balancer would send them."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.down: set[str] = set()

    def for_user(self, home: str) -> str:
        if home in self.down:
            live = [url for url in self.urls if url not in self.down]
            return live[0] if live else home
        return home


class Browser:
    def __init__(
        self,
        person: world.Person,
        home: str,
        instances: Instances,
        results: Results,
        think: tuple[float, float],
    ) -> None:
        self.person, self.home, self.instances = person, home, instances
        self.results, self.think = results, think
        self.known: dict[str, set[str]] = defaultdict(set)

    @property
    def base(self) -> str:
        return self.instances.for_user(self.home)

    async def request(
        self,
        http: aiohttp.ClientSession,
        page: str,
        path: str,
        data: dict[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """(status, body, where a redirect went); records the timing under `page`."""
        started = time.monotonic()
        base = self.base
        try:
            method = "POST" if data is not None else "GET"
            async with http.request(
                method,
                base + path,
                data=data,
                allow_redirects=False,
                headers={"Origin": world.SITE_ORIGIN} if data is not None else None,
            ) as response:
                body = await response.text()
                status = response.status
                location = response.headers.get("Location", "")
        except (aiohttp.ClientError, TimeoutError):
            self.results.record(page, started, 0)
            if base in self.instances.urls and await self._is_down(base):
                self.instances.down.add(base)
            return 0, "", ""
        self.results.record(page, started, status)
        for kind, pattern in LINKS.items():
            for match in pattern.finditer(body):
                self.known[kind].add(match.group(0))
        return status, body, location

    async def _is_down(self, base: str) -> bool:
        try:
            async with (
                aiohttp.ClientSession() as probe,
                probe.get(base + "/health", timeout=aiohttp.ClientTimeout(2)),
            ):
                return False
        except (aiohttp.ClientError, TimeoutError):
            return True

    def pick(self, kind: str) -> re.Match[str] | None:
        if not self.known[kind]:
            return None
        return LINKS[kind].search(random.choice(sorted(self.known[kind])))

    async def run(self, until: float) -> None:
        jar = aiohttp.CookieJar(unsafe=True)
        headers = {"User-Agent": world.USER_AGENT}
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(cookie_jar=jar, headers=headers, timeout=timeout) as http:
            for url in self.instances.urls:
                jar.update_cookies({"session": self.person.cookie}, response_url=_yarl(url))
            while time.time() < until:
                await self.step(http)
                await asyncio.sleep(random.uniform(*self.think))

    async def step(self, http: aiohttp.ClientSession) -> None:
        roll = random.random()
        if roll < 0.12:
            await self.request(http, "GET /my/", "/my/")
        elif roll < 0.22:
            await self.request(http, "GET /self-help/", "/self-help/")
        elif roll < 0.32:
            module = self.pick("module")
            if module and module.group(1) not in NOT_MODULES:
                await self.request(http, "GET /self-help/<slug>", f"/self-help/{module.group(1)}")
            else:
                await self.request(http, "GET /self-help/", "/self-help/")
        elif roll < 0.44:
            await self.request(http, "GET /booking/therapists", "/booking/therapists")
        elif roll < 0.54:
            therapist = self.pick("therapist")
            if therapist:
                await self.request(
                    http, "GET /booking/therapists/<id>", f"/booking/therapists/{therapist[1]}"
                )
            else:
                await self.request(http, "GET /booking/therapists", "/booking/therapists")
        elif roll < 0.64:
            await self.request(http, "GET /community/", "/community/")
        elif roll < 0.72:
            space = self.pick("space")
            path = f"/community/spaces/{space[1]}" if space else "/community/"
            await self.request(http, "GET /community/spaces/<id>", path)
        elif roll < 0.84:
            thread = self.pick("thread")
            if thread:
                await self.request(
                    http, "GET /community/threads/<id>", f"/community/threads/{thread[1]}"
                )
            else:
                await self.request(http, "GET /community/", "/community/")
        elif roll < 0.94:
            await self.book_and_cancel(http)
        else:
            await self.reply(http)

    async def book_and_cancel(self, http: aiohttp.ClientSession) -> None:
        therapist = self.pick("therapist")
        if therapist is None:
            await self.request(http, "GET /booking/therapists", "/booking/therapists")
            return
        status, body, _ = await self.request(
            http, "GET /booking/therapists/<id>", f"/booking/therapists/{therapist[1]}"
        )
        slots = LINKS["slot"].findall(body)
        if status != 200 or not slots:
            return
        therapist_id, start = random.choice(slots)
        start = start.replace("%3A", ":")
        await asyncio.sleep(random.uniform(*self.think))
        path = f"/booking/therapists/{therapist_id}/book"
        status, body, _ = await self.request(
            http, "GET /booking/therapists/<id>/book", f"{path}?start={start}"
        )
        if status != 200:
            return
        await asyncio.sleep(random.uniform(*self.think))
        status, body, location = await self.request(
            http,
            "POST /booking/therapists/<id>/book",
            path,
            {"csrf_token": self.person.csrf_token, "start": start},
        )
        if status == 302 and location.endswith("/booking/appointments"):
            self.results.booked += 1
        elif status == 200 and "just been booked" in body:
            self.results.slot_taken += 1
            return
        else:
            return
        status, body, _ = await self.request(
            http, "GET /booking/appointments", "/booking/appointments"
        )
        cancels = LINKS["cancel"].findall(body)
        await asyncio.sleep(random.uniform(*self.think))
        for appointment_id in cancels:
            status, _, location = await self.request(
                http,
                "POST /booking/appointments/<id>/cancel",
                f"/booking/appointments/{appointment_id}/cancel",
                {"csrf_token": self.person.csrf_token, "reason": "Load run"},
            )
            if status == 302:
                self.results.cancelled += 1

    async def reply(self, http: aiohttp.ClientSession) -> None:
        thread = self.pick("thread")
        if thread is None:
            await self.request(http, "GET /community/", "/community/")
            return
        await self.request(http, "GET /community/threads/<id>", f"/community/threads/{thread[1]}")
        await asyncio.sleep(random.uniform(*self.think))
        status, _, _ = await self.request(
            http,
            "POST /community/threads/<id>",
            f"/community/threads/{thread[1]}",
            {
                "csrf_token": self.person.csrf_token,
                "body": random.choice(REPLIES),
            },
        )
        if status == 302:
            self.results.posted += 1


REPLIES = [
    "Thank you for sharing this, it helps to know I am not the only one.",
    "A short walk before breakfast has helped me a little this week.",
    "I tried writing the worry down and giving it a time later in the day.",
    "Same here. Mornings are hard but they do get a bit easier.",
]


def _yarl(url: str) -> Any:
    from yarl import URL

    return URL(url)


# --- chatting pairs --------------------------------------------------------------------------


RESYNC_WHILE_RELAY_DOWN = 3.0  # as static/room-common.js
GAP_WAIT = 2.0  # as static/room-common.js


class ChatPerson:
    """One side of a session room, as static/chat.js does it. Keeps the highest sequence it has
    shown; on losing its connection it reconnects (to the other instance if its own is gone)
    with that sequence as last_seen, and resends anything not yet acknowledged under the same
    client_id. While the server says the queue between instances is down it asks for missed
    messages every few seconds, and it asks when it sees a gap in the numbers."""

    def __init__(
        self,
        person: world.Person,
        appointment_id: int,
        party: str,
        home: str,
        instances: Instances,
        results: Results,
    ) -> None:
        self.person, self.appointment_id, self.party = person, appointment_id, party
        self.home, self.instances, self.results = home, instances, results
        self.last_seen = 0
        self.shown: set[int] = set()  # sequences from the other party shown
        self.all_seen: set[int] = set()  # both parties'
        self.acked: dict[str, int] = {}  # client_id → the stored message's sequence
        self.pending: list[tuple[str, str]] = []
        self.client: socketio.AsyncClient | None = None
        self.connected = asyncio.Event()
        self.stopping = False
        self.asking: asyncio.Task[None] | None = None  # while the queue is down
        self.gap_check: asyncio.Task[None] | None = None

    def show(self, message: dict[str, Any]) -> None:
        sequence = int(message["sequence"])
        self.seen(sequence)
        if max(self.all_seen) > self.last_seen and self.gap_check is None:
            self.gap_check = asyncio.get_running_loop().create_task(self.ask_after_gap())
        if message["party"] == self.party:
            return
        if sequence in self.shown:  # live and again in the resync after reconnecting: the
            self.results.chat_duplicates += 1  # page ignores it by sequence, as this does
            return
        self.shown.add(sequence)
        sent_at = self.results.chat_sent_at.get(message["html"].rsplit(" ", 1)[-1])
        if sent_at is not None:
            self.results.chat_delays.append((sent_at, time.time() - sent_at))

    async def ask_after_gap(self) -> None:
        await asyncio.sleep(GAP_WAIT)
        self.gap_check = None
        if max(self.all_seen) > self.last_seen:
            await self.resync()

    async def resync(self) -> None:
        if self.client is None or not self.connected.is_set():
            return
        with contextlib.suppress(Exception):
            answer = await self.client.call(
                "resync", {"last_seen": self.last_seen}, namespace="/chat", timeout=10
            )
            for message in answer.get("messages", []) if answer.get("ok") else []:
                self.show(message)

    def stop_asking(self) -> None:
        if self.asking is not None:
            self.asking.cancel()
            self.asking = None

    async def on_relay(self, state: dict[str, Any]) -> None:
        self.stop_asking()
        self.results.relay_told.append((time.time(), bool(state.get("live"))))
        if not state.get("live"):
            self.asking = asyncio.get_running_loop().create_task(self.ask_while_down())
        else:
            await self.resync()

    async def ask_while_down(self) -> None:
        while True:
            await self.resync()
            await asyncio.sleep(RESYNC_WHILE_RELAY_DOWN)

    def seen(self, sequence: int) -> None:
        """As the page does (static/chat.js): last_seen is the highest sequence with none
        missing before it, so a message still on its way when the line dropped is resent."""
        self.all_seen.add(sequence)
        while self.last_seen + 1 in self.all_seen:
            self.last_seen += 1

    async def connect(self) -> bool:
        for attempt in range(40):
            url = self.instances.for_user(self.home)
            client = socketio.AsyncClient(reconnection=False)
            client.on("chat", self.show, namespace="/chat")
            client.on("history", self.on_history, namespace="/chat")
            client.on("disconnect", self.on_disconnect, namespace="/chat")
            client.on("relay", self.on_relay, namespace="/chat")
            try:
                await client.connect(
                    url,
                    namespaces=["/chat"],
                    headers={**self.person.headers(), "Origin": world.SITE_ORIGIN},
                    auth=self.person.auth(self.appointment_id, self.last_seen),
                    transports=["websocket"],
                    wait_timeout=10,
                )
            except Exception:
                with contextlib.suppress(Exception):
                    await client.shutdown()
                if await _refused(url):
                    self.instances.down.add(url)
                await asyncio.sleep(min(0.25 * (attempt + 1), 2.0))
                continue
            self.client = client
            self.connected.set()
            return True
        return False

    async def on_history(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.show(message)

    async def on_disconnect(self, *_args: Any) -> None:
        self.connected.clear()
        self.stop_asking()  # told again at the door
        if self.stopping:
            return
        self.results.chat_reconnects += 1
        asyncio.get_running_loop().create_task(self.connect())

    async def talk(self, until: float, measure_from: float) -> None:
        await asyncio.sleep(random.uniform(0, 5))
        while time.time() < until:
            client_id = uuid.uuid4().hex
            self.pending.append((client_id, f"Load message from the {self.party} {client_id}"))
            self.results.chat_sent += 1
            self.results.chat_sent_at[client_id] = time.time()
            await self.flush()
            await asyncio.sleep(random.uniform(3, 7))
        await self.flush(deadline=time.time() + 20)

    async def flush(self, deadline: float | None = None) -> None:
        deadline = deadline or time.time() + 20
        while self.pending and time.time() < deadline:
            try:
                await asyncio.wait_for(self.connected.wait(), max(0.1, deadline - time.time()))
            except TimeoutError:
                return
            client_id, body = self.pending[0]
            try:
                assert self.client is not None
                ack = await self.client.call(
                    "send", {"client_id": client_id, "body": body}, namespace="/chat", timeout=10
                )
            except Exception:
                await asyncio.sleep(0.5)  # disconnected: resent (same client_id) once back
                continue
            if ack.get("ok"):
                self.acked[client_id] = int(ack["message"]["sequence"])
                self.seen(self.acked[client_id])
                self.pending.pop(0)
            elif ack.get("code") == "message":  # "could not be sent, try again": as a person
                self.results.chat_retried += 1  # would, send it again (the same client_id)
                await asyncio.sleep(1.0)
            else:
                self.results.chat_refused += 1
                self.results.notes.append(f"chat refused: {ack}")
                self.pending.pop(0)

    async def close(self) -> None:
        self.stopping = True
        self.stop_asking()
        if self.gap_check is not None:
            self.gap_check.cancel()
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.disconnect()


async def _refused(url: str) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as probe,
            probe.get(url + "/health", timeout=aiohttp.ClientTimeout(2)),
        ):
            return False
    except (aiohttp.ClientError, TimeoutError):
        return True


def count_chat(results: Results, people: list[tuple[ChatPerson, ChatPerson]]) -> None:
    for patient, therapist in people:
        for sender, receiver in ((patient, therapist), (therapist, patient)):
            results.chat_acked += len(sender.acked)
            delivered = [seq for seq in sender.acked.values() if seq in receiver.shown]
            results.chat_delivered += len(delivered)
            results.chat_lost += len(sender.acked) - len(delivered)


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Setup:
    urls: list[str]
    processes: list[subprocess.Popen[bytes]]
    browsers: list[world.Person]
    pairs: list[world.SessionPair]


async def drive(
    setup: Setup,
    args: argparse.Namespace,
    results: Results,
    fault: Any = None,
) -> None:
    instances = Instances(setup.urls)
    think = (args.think_min, args.think_max)
    browsers = [
        Browser(person, setup.urls[n % 2], instances, results, think)
        for n, person in enumerate(setup.browsers)
    ]
    chatters = [
        (
            ChatPerson(
                pair.patient, pair.appointment_id, "patient", setup.urls[0], instances, results
            ),
            ChatPerson(
                pair.therapist,
                pair.appointment_id,
                "therapist",
                setup.urls[1],
                instances,
                results,
            ),
        )
        for pair in setup.pairs
    ]
    gate = asyncio.Semaphore(20)

    async def connect(person: ChatPerson) -> None:
        async with gate:
            await person.connect()

    await asyncio.gather(*(connect(p) for pair in chatters for p in pair))
    start = time.time()
    measure_from = start + args.ramp
    until = measure_from + args.duration
    results.window = (time.monotonic() + args.ramp, time.monotonic() + args.ramp + args.duration)

    async def start_browser(browser: Browser, delay: float) -> None:
        await asyncio.sleep(delay)
        await browser.run(until)

    tasks = [
        start_browser(browser, args.ramp * n / max(1, len(browsers)))
        for n, browser in enumerate(browsers)
    ]
    tasks += [p.talk(until, measure_from) for pair in chatters for p in pair]
    if fault is not None:
        tasks.append(fault(measure_from, until, results, instances))
    tasks.append(measure_cpu(results, setup.processes))
    await asyncio.gather(*tasks)
    await asyncio.sleep(5)  # the last deliveries land
    count_chat(results, chatters)
    await asyncio.gather(*(p.close() for pair in chatters for p in pair))


async def measure_cpu(results: Results, processes: list[subprocess.Popen[bytes]]) -> None:
    """The workers' CPU time over the window: unlike latency, barely moved by whatever else
    the machine is doing, so it compares runs on a shared machine."""
    pids = [pid for process in processes for pid in world_children(process.pid)]
    start, end = results.window
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    before, client_before = world.cpu_seconds(pids), time.process_time()
    while time.monotonic() < end:
        asked = time.monotonic()
        await asyncio.sleep(0.1)
        results.loop_lag.append(time.monotonic() - asked - 0.1)
    results.server_cpu = world.cpu_seconds(pids) - before
    results.client_cpu = time.process_time() - client_before


def instance_environment(
    database_url: str, redis_url: str, logs: Path, channel: str
) -> dict[str, str]:
    env = world.server_environment(
        database_url, message_queue=redis_url, channel=channel, instance_dir=logs
    )
    env["REDIS_URL"] = redis_url  # Huey's queue
    env["RATELIMIT_STORAGE_URI"] = redis_url
    return env


def start_instances(env: dict[str, str], logs: Path) -> tuple[list[str], list[Any]]:
    ports = [world.free_port(), world.free_port()]
    processes = [
        world.start_instance(port, env, log=logs / f"instance-{port}.log") for port in ports
    ]
    for port, process in zip(ports, processes, strict=True):
        world.wait_until_listening(port, process, timeout=90)
    return [f"http://127.0.0.1:{port}" for port in ports], processes


# --- our own PostgreSQL and Redis, for the fault runs ----------------------------------------


class OwnPostgres:
    """A throwaway cluster: initdb into a temporary folder, trust on 127.0.0.1 only."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="load-pg-"))
        self.data = self.folder / "data"
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")

    def run(self, *command: str) -> None:
        subprocess.run([*self.prefix, *command], check=True, capture_output=True)  # noqa: S603

    def init(self) -> str:
        self.run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        admin = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("CREATE DATABASE load"))
        admin.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/load"

    def start(self) -> None:
        self.run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.folder / "log"),
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c fsync=off",
            "start",
        )

    def stop(self) -> None:
        self.run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- faults ----------------------------------------------------------------------------------


def kill_instance(setup: Setup) -> Any:
    async def fault(measure_from: float, until: float, results: Results, instances: Instances):
        await asyncio.sleep(max(0.0, measure_from + (until - measure_from) / 3 - time.time()))
        process = setup.processes[1]
        for pid in world_children(process.pid):
            os.kill(pid, signal.SIGKILL)
        process.kill()
        results.notes.append(
            f"fault: killed the second instance ({setup.urls[1]}) at "
            f"{time.time() - measure_from:.0f} s of {until - measure_from:.0f}"
        )

    return fault


def world_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


def restart_postgres(postgres: OwnPostgres) -> Any:
    async def fault(measure_from: float, until: float, results: Results, instances: Instances):
        at = measure_from + (until - measure_from) / 3
        await asyncio.sleep(max(0.0, at - time.time()))
        stopped = time.monotonic()
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(POSTGRES_OUTAGE_SECONDS)
        await asyncio.to_thread(postgres.start)
        started = time.monotonic()
        results.notes.append(
            f"fault: PostgreSQL stopped at {at - measure_from:.0f} s, down "
            f"{started - stopped:.1f} s"
        )
        await asyncio.sleep(max(0.0, until - time.time()))
        outage = [s for s in results.samples if stopped <= s.at < started]
        after = [s for s in results.samples if s.at >= started]
        first_ok = min((s.at for s in after if not is_error(s)), default=None)
        statuses: dict[Any, int] = defaultdict(int)
        for sample in outage:
            statuses[sample.status or "no answer"] += 1
        slow = [s for s in outage if is_error(s) and s.seconds > SLOW_FAILURE_SECONDS]
        failing = [s for s in outage if is_error(s)]
        results.notes += [
            "during the outage: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str))
            + f"; failures answered in p95 "
            f"{percentile([s.seconds * 1000 for s in failing], 0.95) if failing else 0:.0f} ms, "
            f"{len(slow)} took over {SLOW_FAILURE_SECONDS:g} s",
            "after the restart: first success "
            + (f"{first_ok - started:.1f} s after PostgreSQL was back" if first_ok else "never")
            + f", then {sum(is_error(s) for s in after if first_ok and s.at > first_ok + 2)} "
            "errors (from 2 s after the first success)",
        ]

    return fault


def stop_redis(own_redis: world.OwnRedis) -> Any:
    async def fault(measure_from: float, until: float, results: Results, instances: Instances):
        at = measure_from + (until - measure_from) / 3
        await asyncio.sleep(max(0.0, at - time.time()))
        await asyncio.to_thread(own_redis.stop)
        stopped = time.monotonic()
        results.fault_at = time.time()
        results.notes.append(f"fault: Redis stopped at {at - measure_from:.0f} s, left down")
        await asyncio.sleep(3)
        async with aiohttp.ClientSession() as http:
            for url in instances.urls:
                async with http.get(url + "/health") as response:
                    results.notes.append(
                        f"/health on {url} with Redis down: {response.status} "
                        f"{(await response.text()).strip()}"
                    )
        await asyncio.sleep(max(0.0, until - time.time()))
        after = [s for s in results.samples if s.at >= stopped]
        results.notes.append(
            f"after Redis stopped: {len(after)} requests, {sum(is_error(s) for s in after)} errors"
        )

    return fault


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="concurrent virtual users")
    parser.add_argument("--pairs", type=int, default=10, help="chatting pairs among the users")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds to start everyone")
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=5.0)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument(
        "--fault", choices=["kill-instance", "restart-postgres", "stop-redis"], default=None
    )
    args = parser.parse_args(argv)
    browsers = max(0, args.users - 2 * args.pairs)

    logs = Path(tempfile.mkdtemp(prefix="load-run-"))
    postgres: OwnPostgres | None = None
    own_redis: world.OwnRedis | None = None
    admin = None
    schema = None
    processes: list[subprocess.Popen[bytes]] = []
    load_before = load_average()
    try:
        if args.fault:
            postgres = OwnPostgres(FAULT_PG_PORT)
            url = postgres.init()
            own_redis = world.OwnRedis(FAULT_REDIS_PORT)
            redis_url = own_redis.start()
        else:
            url = normalise_database_url(args.database_url)
            redis_url = args.redis_url
            schema = f"load_{secrets.token_hex(4)}"
            admin = make_engine(url)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        print(f"seeding {browsers} browsing patients and {args.pairs} chatting pairs", flush=True)
        pairs = world.build_world(
            url, args.pairs, starts_at=datetime.now(UTC) - timedelta(minutes=1)
        )
        people = seed_patients(url, browsers)
        env = instance_environment(url, redis_url, logs, f"load-{secrets.token_hex(4)}")
        urls, processes = start_instances(env, logs)
        setup = Setup(urls, processes, people, pairs)
        fault = None
        if args.fault == "kill-instance":
            fault = kill_instance(setup)
        elif args.fault == "restart-postgres":
            assert postgres is not None
            fault = restart_postgres(postgres)
        elif args.fault == "stop-redis":
            assert own_redis is not None
            fault = stop_redis(own_redis)
        print(
            f"{args.users} users ({browsers} browsing, {2 * args.pairs} chatting in "
            f"{args.pairs} rooms) on two instances, think {args.think_min:g}-"
            f"{args.think_max:g} s, {args.ramp:g} s ramp, {args.duration:g} s measured"
            + (f", fault: {args.fault}" if args.fault else ""),
            flush=True,
        )
        load_before = load_average()
        results = Results()
        asyncio.run(drive(setup, args, results, fault))
        print(report(results, load_before, load_average()), flush=True)
        print("\n" + summary(args, results, load_before), flush=True)
        return 0 if ok(args, results) else 1
    finally:
        world.stop(*processes)
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
        if not args.fault:
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(args.redis_url).flushdb()  # a database of its own
        if own_redis is not None:
            own_redis.stop()
        if postgres is not None:
            postgres.destroy()
        print(f"(instance logs in {logs})")


def ok(args: argparse.Namespace, results: Results) -> bool:
    if results.chat_lost:
        return False
    if args.fault is None:
        return not any(is_error(s) for s in results.measured())
    return True


def summary(args: argparse.Namespace, results: Results, load_before: str) -> str:
    samples = results.measured()
    seconds = results.window[1] - results.window[0]
    times = [s.seconds * 1000 for s in samples]
    pages = defaultdict(list)
    for sample in samples:
        pages[sample.page].append(sample.seconds * 1000)
    worst = max((percentile(v, 0.95) for v in pages.values()), default=0.0)
    return (
        f"SUMMARY users={args.users} fault={args.fault or 'none'} "
        f"req/s={len(samples) / seconds:.1f} p95={percentile(times, 0.95) if times else 0:.0f}ms "
        f"worst-page-p95={worst:.0f}ms errors={sum(is_error(s) for s in samples)} "
        f"chat sent={results.chat_acked} delivered={results.chat_delivered} "
        f"lost={results.chat_lost} twice-ignored={results.chat_duplicates} load={load_before}"
    )


if __name__ == "__main__":
    sys.exit(main())
