"""What pages asking for missed messages cost while the queue between instances is down.

While Redis is unreachable each session page asks its instance for what it missed every few
seconds (`static/room-common.js`, after the server's "relay" event). This starts one app
instance as production runs it (gunicorn, one gevent worker, PostgreSQL), connects N session
pairs of real python-socketio clients, and has every one of them ask (`resync`) every S seconds
for D seconds. Each room holds a few messages, and each ask is `--behind` messages behind (0,
the usual answer during an outage: nothing new; 1: the other person's latest message). It
prints asks per second, each ask's round trip (p50, p99) and the worker's CPU (share of a core,
and per ask).

    .venv/bin/python -m benchmarks.catch_up --pairs 500 --every 3 --behind 0 --duration 20 \\
        --database-url postgresql://127.0.0.1:5432/test_chat
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import world
from benchmarks.chat import CONNECT_CONCURRENCY, DEFAULT_DATABASE, Person, Stats, worker_pids
from webapp.config import normalise_database_url

MESSAGES_PER_ROOM = 4


@dataclass
class Asks:
    round_trips: list[float] = field(default_factory=list)
    failed: int = 0


@dataclass(frozen=True)
class Plan:
    every: float
    behind: int
    start: float
    until: float


async def ask(person: Person, plan: Plan, asks: Asks) -> None:
    await asyncio.sleep(random.uniform(0, plan.every))
    while time.time() < plan.until:
        asked = time.time()
        try:
            answer = await person.client.call(
                "resync",
                {"last_seen": MESSAGES_PER_ROOM - plan.behind},
                namespace="/chat",
                timeout=30,
            )
            ok = bool(answer.get("ok")) and len(answer["messages"]) == plan.behind
        except Exception:
            ok = False
        if asked >= plan.start:
            if ok:
                asks.round_trips.append(time.time() - asked)
            else:
                asks.failed += 1
        await asyncio.sleep(plan.every)


async def run(
    url: str,
    pairs: list[world.SessionPair],
    every: float,
    behind: int,
    duration: float,
    pids: list[int],
) -> tuple[Asks, float]:
    stats = Stats()  # (the clients' delivery figures are not wanted here)
    people = [
        person
        for pair in pairs
        for person in (
            Person(url, pair.patient, pair.appointment_id, stats, "patient"),
            Person(url, pair.therapist, pair.appointment_id, stats, "therapist"),
        )
    ]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    connected = await asyncio.gather(*(person.connect(gate) for person in people))
    live = [person for person, ok in zip(people, connected, strict=True) if ok]
    for _ in range(MESSAGES_PER_ROOM // 2):  # each room holds a few messages, from both people
        for person in live:
            await person.client.call(
                "send",
                {"client_id": uuid.uuid4().hex, "body": f"t={time.time()!r}"},
                namespace="/chat",
            )
    asks = Asks()
    plan = Plan(every, behind, start=time.time() + every, until=time.time() + every + duration)
    cpu_before = 0.0

    async def measure() -> None:
        nonlocal cpu_before
        await asyncio.sleep(max(0.0, plan.start - time.time()))
        cpu_before = world.cpu_seconds(pids)

    await asyncio.gather(measure(), *(ask(person, plan, asks) for person in live))
    cpu = world.cpu_seconds(pids) - cpu_before
    await asyncio.gather(*(person.client.disconnect() for person in live), return_exceptions=True)
    return asks, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between a page's asks")
    parser.add_argument(
        "--behind", type=int, default=0, help=f"messages each ask returns (0-{MESSAGES_PER_ROOM})"
    )
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    args = parser.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="catch-up-"))
    with world.own_schema(normalise_database_url(args.database_url), "bench_catch_up") as url:
        pairs = world.build_world(url, args.pairs)
        port = world.free_port()
        env = world.server_environment(url, instance_dir=logs)
        process = world.start_instance(port, env, log=logs / "instance.log")
        try:
            world.wait_until_listening(port, process, timeout=60)
            pids = worker_pids(process.pid)
            asks, cpu = asyncio.run(
                run(f"http://127.0.0.1:{port}", pairs, args.every, args.behind, args.duration, pids)
            )
        finally:
            world.stop(process)
    got = sorted(asks.round_trips)
    print(
        f"{2 * args.pairs} pages each asking every {args.every:g} s for {args.duration:g} s, "
        f"{args.behind} message(s) behind\n"
        f"{len(got) / args.duration:.0f} asks/s, failed {asks.failed}; round trip p50 "
        f"{statistics.median(got) * 1000:.1f} ms, p99 {got[int(len(got) * 0.99)] * 1000:.1f} ms; "
        f"worker CPU {cpu / args.duration:.0%} of a core, "
        f"{cpu / max(1, len(got)) * 1000:.2f} ms per ask\n(instance log in {logs})"
    )


if __name__ == "__main__":
    main()
