"""What one chat message's durable write costs on its own, warm and after the database has
idled: the floor under the app's delivery latency in `benchmarks/chat.py`.

A message is broadcast only once it is stored (the broadcast carries the sequence number the
database gives it), so its write's round trip is on every message's path. On a lightly used
machine the worker, PostgreSQL and the disk have all gone idle between messages, and waking
them is part of that round trip. This times, from one plain process (no server, no sockets),
each statement back to back and again with a pause before each:

- the guarded INSERT a lone message takes (`services.GUARDED_INSERT`), and the batch form
  (`services.GUARDED_BATCH_INSERT`) with one message in it;
- for scale: `SELECT 1`, and a one-row INSERT into a bare table, committed durably and with
  synchronous_commit off (what the commit's WAL flush costs; the app never turns it off).

    .venv/bin/python -m benchmarks.message_write --database-url postgresql://127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from benchmarks import world
from webapp.extensions import make_engine
from webapp.models.base import keyring
from webapp.sessions import services

SCHEMA = "bench_message_write"
DEFAULT_DATABASE = "postgresql+psycopg://127.0.0.1:5432/test"


def timed(run: Callable[[], Any], repeats: int, pause: float) -> tuple[float, float]:
    """(p50, p90) in milliseconds of `repeats` runs, each after `pause` seconds of rest."""
    for _ in range(20):  # warm: prepared statements, generic plans, pooled connections
        run()
    took = []
    for _ in range(repeats):
        time.sleep(pause)
        start = time.perf_counter()
        run()
        took.append(time.perf_counter() - start)
    took.sort()
    return statistics.median(took) * 1000, took[int(len(took) * 0.9)] * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument(
        "--pause", type=float, default=0.025, help="seconds of rest before each timed run"
    )
    args = parser.parse_args(argv)
    keyring.configure([world.ENCRYPTION_KEY])
    with world.own_schema(args.database_url, SCHEMA) as url:
        (pair,) = world.build_world(url, 1)
        engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            token = connection.execute(
                text("SELECT session_token FROM users WHERE id = :id"),
                {"id": pair.patient.user_id},
            ).scalar_one()
            connection.execute(text("CREATE TABLE bare (x integer)"))

        def message() -> dict[str, Any]:
            return {
                "appointment_id": pair.appointment_id,
                "sender_id": pair.patient.user_id,
                "client_id": uuid.uuid4().hex,
                "body": "How has your week been?",
                "sent_at": datetime.now(UTC),
                "session_token": token,
            }

        def guarded_single() -> None:
            with engine.connect() as connection:
                assert connection.execute(services.GUARDED_INSERT, message()).first()

        def guarded_batch_of_one() -> None:
            with engine.connect() as connection:
                arrays = services.batch_arrays([message()])
                assert connection.execute(services.GUARDED_BATCH_INSERT, arrays).first()

        with engine.connect() as connection, engine.connect() as undurable:
            undurable.execute(text("SET synchronous_commit = off"))
            bare_insert = text("INSERT INTO bare VALUES (1)")
            statements: list[tuple[str, Callable[[], Any]]] = [
                ("guarded INSERT, one message", guarded_single),
                ("guarded batch INSERT, one message", guarded_batch_of_one),
                ("SELECT 1", lambda: connection.execute(text("SELECT 1")).all()),
                ("bare INSERT, durable commit", lambda: connection.execute(bare_insert)),
                ("bare INSERT, synchronous_commit off", lambda: undurable.execute(bare_insert)),
            ]
            print(
                f"{'':38} {'back to back':>20}   {f'after {args.pause * 1000:g} ms idle':>20}"
                f"\n{'':38} {'p50':>9} {'p90':>10}   {'p50':>9} {'p90':>10}"
            )
            for name, run in statements:
                warm = timed(run, args.repeats, 0.0)
                idle = timed(run, args.repeats, args.pause)
                print(
                    f"{name:38} {warm[0]:6.2f} ms {warm[1]:7.2f} ms"
                    f"   {idle[0]:6.2f} ms {idle[1]:7.2f} ms",
                    flush=True,
                )
        engine.dispose()


if __name__ == "__main__":
    main()
