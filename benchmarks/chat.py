"""Chat load run: N concurrent session pairs of real python-socketio clients, each person
sending one message every `interval` seconds, against (1) a bare python-socketio relay, (2) one
app instance and (3) two app instances sharing rooms through Redis (patients on one, therapists
on the other). Prints delivery latency (p50, p99), delivered messages per second and losses per
target, and the app's ratio to the bare relay (the figure that matters); with --rounds, each
target runs that many times, taking turns, and the ratio is taken between their medians.

    python -m benchmarks.chat --pairs 500 --interval 4 --interval 1 --duration 20 --rounds 3

Every instance is production-shaped: gunicorn, one gevent worker. The app's data lives in
PostgreSQL (a schema made for the run and dropped after; --database-url to choose another),
Redis carries the two-instance run on a channel of its own. Everything started is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

from benchmarks import world
from webapp.config import normalise_database_url

DEFAULT_DATABASE = "postgresql+psycopg://127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
CONNECT_CONCURRENCY = 50


@dataclass
class Stats:
    """Counts only messages sent inside the measured window, wherever they are delivered."""

    window: tuple[float, float] = (0.0, 0.0)
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    refused: int = 0
    connect_failures: int = 0
    acked_in_window: int = 0  # acknowledgements received inside the window, whenever sent
    server_cpu: float = 0.0  # CPU seconds the server processes used inside the window
    server_rss_mib: float = 0.0  # the server processes' resident memory at the window's end
    client_cpu: float = 0.0  # CPU seconds this process (every client) used inside the window

    def percentile_ms(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

    def line(self, name: str, seconds: float) -> str:
        got = len(self.latencies)
        if not got:
            return f"{name:34} nothing delivered (sent {self.sent}, refused {self.refused})"
        p50 = statistics.median(self.latencies) * 1000
        p99 = self.percentile_ms(0.99)
        lost = self.sent - got - self.refused
        return (
            f"{name:34} {got / seconds:8.1f} msg/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
            f"sent {self.sent}  delivered {got}  lost {max(lost, 0)}  refused {self.refused}"
            + (f"  connect failures {self.connect_failures}" if self.connect_failures else "")
            + self.cpu_line(seconds)
        )

    def cpu_line(self, seconds: float) -> str:
        """The server's CPU per acknowledged message: unlike latency, barely moved by whatever
        else the machine is doing, so it compares runs on a shared machine."""
        if not self.server_cpu or not self.acked_in_window:
            return ""
        per_message = self.server_cpu / self.acked_in_window * 1000
        share = self.server_cpu / seconds
        return (
            f"\n{'':34} server CPU {share:4.0%} of a core, {per_message:.2f} ms/msg, "
            f"{self.server_rss_mib:.0f} MiB resident; clients {self.client_cpu / seconds:4.0%}"
            " of a core"
        )


class Person:
    def __init__(
        self, url: str, person: world.Person, appointment_id: int, stats: Stats, party: str
    ) -> None:
        self.url, self.person, self.appointment_id, self.stats = url, person, appointment_id, stats
        self.party = party
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("chat", self.on_chat, namespace="/chat")

    async def on_chat(self, message: dict[str, Any]) -> None:
        sent_at = float(message["html"].split("t=", 1)[1])
        start, end = self.stats.window
        if start <= sent_at < end:
            self.stats.latencies.append(time.time() - sent_at)

    async def connect(self, gate: asyncio.Semaphore) -> bool:
        async with gate:
            try:
                await self.client.connect(
                    self.url,
                    namespaces=["/chat"],
                    headers={**self.person.headers(), "Origin": world.SITE_ORIGIN},
                    auth=self.person.auth(self.appointment_id),
                    transports=["websocket"],
                    wait_timeout=30,
                )
                return True
            except Exception:
                self.stats.connect_failures += 1
                return False

    async def talk(self, interval: float, until: float, measure_from: float) -> None:
        await asyncio.sleep(random.uniform(0, interval))
        while time.time() < until:
            now = time.time()
            measuring = measure_from <= now < until
            body = f"t={now!r}"
            if measuring:
                self.stats.sent += 1
            try:
                ack = await self.client.call(
                    "send",
                    {"client_id": uuid.uuid4().hex, "body": body},
                    namespace="/chat",
                    timeout=30,
                )
                if measuring and not ack.get("ok"):
                    self.stats.refused += 1
                start, end = self.stats.window
                if start <= time.time() < end:
                    self.stats.acked_in_window += 1
            except Exception:
                if measuring:
                    self.stats.refused += 1
            await asyncio.sleep(interval)


async def measure_cpu(stats: Stats, pids: list[int]) -> None:
    start, end = stats.window
    await asyncio.sleep(max(0.0, start - time.time()))
    before, clients_before = world.cpu_seconds(pids), time.process_time()
    await asyncio.sleep(max(0.0, end - time.time()))
    stats.server_cpu = world.cpu_seconds(pids) - before
    stats.client_cpu = time.process_time() - clients_before
    stats.server_rss_mib = world.resident_mib(pids)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The clients' own garbage collector off while they measure. Every client shares this
    process, and a collection over them all stopped every client at once: at 500 pairs, full
    passes of 110-280 ms and middle-generation ones of about 15 ms every 3 s, each counted as
    delivery latency and then sending a burst of late messages, made most of both the relay's
    and the app's p99. What is connected by now is frozen; the little garbage the run makes
    waits for its end."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def load(
    urls: tuple[str, str],
    pairs: list[world.SessionPair],
    interval: float,
    duration: float,
    pids: list[int],
) -> tuple[Stats, float]:
    stats = Stats()
    people = [
        person
        for pair in pairs
        for person in (
            Person(urls[0], pair.patient, pair.appointment_id, stats, "patient"),
            Person(urls[1], pair.therapist, pair.appointment_id, stats, "therapist"),
        )
    ]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    connected = await asyncio.gather(*(person.connect(gate) for person in people))
    live = [person for person, ok in zip(people, connected, strict=True) if ok]
    warm_up = min(5.0, interval * 1.5)
    start = time.time()
    measure_from = start + warm_up
    until = measure_from + duration
    stats.window = (measure_from, until)
    with collector_paused():
        await asyncio.gather(
            measure_cpu(stats, pids),
            *(person.talk(interval, until, measure_from) for person in live),
        )
        await asyncio.sleep(5)  # let the last deliveries land
    await asyncio.gather(*(person.client.disconnect() for person in live), return_exceptions=True)
    return stats, duration


def worker_pids(master: int) -> list[int]:
    """gunicorn's worker processes (the master's children), which serve the sockets."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def start_profilers(
    processes: list[subprocess.Popen[bytes]], seconds: float, out: Path, name: str
) -> list[subprocess.Popen[bytes]]:
    """Sample each worker with py-spy (its collapsed stacks, one file per worker) while the load
    runs: where the time actually goes, not where we guess it goes."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    slug = "".join(ch if ch.isalnum() else "-" for ch in name)
    return [
        subprocess.Popen(  # noqa: S603 - our own command line
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(out / f"{slug}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for process in processes
        for pid in worker_pids(process.pid)
    ]


def run_target(
    name: str,
    ports: list[int],
    env: dict[str, str],
    app: str,
    pairs: list[world.SessionPair],
    interval: float,
    duration: float,
    logs: Path,
    profile: Path | None = None,
) -> Stats:
    processes = [
        world.start_instance(port, env, app=app, log=logs / f"{name}-{port}.log") for port in ports
    ]
    profilers: list[subprocess.Popen[bytes]] = []
    try:
        for port, process in zip(ports, processes, strict=True):
            world.wait_until_listening(port, process, timeout=60)
        if profile is not None:
            profilers = start_profilers(processes, 600, profile, name)  # stopped below
        urls = (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[-1]}")
        pids = [pid for process in processes for pid in worker_pids(process.pid)]
        stats, seconds = asyncio.run(load(urls, pairs, interval, duration, pids))
        print(stats.line(name, seconds), flush=True)
        return stats
    finally:
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then exits
            profiler.wait(timeout=60)
        world.stop(*processes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument(
        "--interval", type=float, action="append", help="seconds between one person's messages"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every target this many times, taking turns, and compare their medians",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument(
        "--skip-two", action="store_true", help="only the bare relay and one instance"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="a folder for py-spy's samples of every server process (collapsed stacks)",
    )
    args = parser.parse_args(argv)
    intervals = args.interval or [4.0]

    url = normalise_database_url(args.database_url)
    schema = (
        world.own_schema(url, f"bench_{secrets.token_hex(4)}")
        if url.startswith("postgresql")
        else contextlib.nullcontext(url)
    )
    logs = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    with schema as url:
        for interval in intervals:
            pairs = world.build_world(url, args.pairs)
            offered = 2 * args.pairs / interval
            print(
                f"\n{args.pairs} session pairs, each person sending one message every "
                f"{interval:g} s ({offered:.0f} msg/s offered), {args.duration:g} s measured"
                + (f", {args.rounds} rounds taking turns" if args.rounds > 1 else ""),
                flush=True,
            )
            targets = [
                (
                    BARE,
                    "benchmarks.echo_server:app",
                    1,
                    world.server_environment(url, instance_dir=logs),
                ),
                (ONE, "wsgi:app", 1, world.server_environment(url, instance_dir=logs)),
            ]
            if not args.skip_two:
                queue_env = world.server_environment(
                    url,
                    message_queue=args.redis_url,
                    channel=f"bench-{secrets.token_hex(4)}",
                    instance_dir=logs,
                )
                targets.append((TWO, "wsgi:app", 2, queue_env))
            runs: dict[str, list[Stats]] = {name: [] for name, *_ in targets}
            for _round in range(args.rounds):
                for name, app, instances, env in targets:
                    ports = [world.free_port() for _ in range(instances)]
                    runs[name].append(
                        run_target(
                            name,
                            ports,
                            env,
                            app,
                            pairs,
                            interval,
                            args.duration,
                            logs,
                            args.profile,
                        )
                    )
            if args.rounds > 1:
                print(f"\nmedians over {args.rounds} rounds", flush=True)
                for name, stats in runs.items():
                    medians = Medians.of(stats)
                    print(medians.line(name) if medians else f"{name:34} nothing", flush=True)
            for name in runs:
                if name != BARE:
                    print(ratio(Medians.of(runs[BARE]), Medians.of(runs[name]), name), flush=True)
    print(f"\n(instance logs in {logs})")


BARE = "bare python-socketio relay"
ONE = "app, one instance"
TWO = "app, two instances + Redis"


@dataclass(frozen=True)
class Medians:
    """One target's figures, each the median over its rounds (a single run's own figures when
    there was one round). The relay's p99 once moved from 5 to 45 ms between identical runs;
    most of that was the clients' own garbage collector (`collector_paused`), but other work
    on the machine still moves single runs, so ratios are taken between medians."""

    p50_ms: float
    p99_ms: float
    cpu_ms_per_message: float
    rounds: int

    @classmethod
    def of(cls, runs: list[Stats]) -> Medians | None:
        delivered = [stats for stats in runs if stats.latencies]
        if not delivered:
            return None
        return cls(
            p50_ms=statistics.median(statistics.median(s.latencies) * 1000 for s in delivered),
            p99_ms=statistics.median(s.percentile_ms(0.99) for s in delivered),
            cpu_ms_per_message=statistics.median(
                s.server_cpu / s.acked_in_window * 1000 if s.acked_in_window else 0.0
                for s in delivered
            ),
            rounds=len(runs),
        )

    def line(self, name: str) -> str:
        return (
            f"{name:34} p50 {self.p50_ms:7.1f} ms  p99 {self.p99_ms:7.1f} ms  "
            f"server CPU {self.cpu_ms_per_message:.2f} ms/msg"
        )


def ratio(bare: Medians | None, app: Medians | None, name: str) -> str:
    if bare is None or app is None:
        return f"{name} / bare relay: not available (a run delivered nothing)"
    return (
        f"{name} / bare relay: p50 x{app.p50_ms / bare.p50_ms:.2f}, "
        f"p99 x{app.p99_ms / bare.p99_ms:.2f}"
        + (f" (medians of {app.rounds} rounds)" if app.rounds > 1 else "")
    )


if __name__ == "__main__":
    sys.exit(main())
