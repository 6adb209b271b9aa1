"""What the service can and cannot do right now, for /health (load balancers, monitoring).

PostgreSQL is essential: without it an instance serves nothing but its 503 page, so /health
answers 503 and the balancer takes it out. Redis is not: while it is down an instance keeps
serving, and /health answers 200 with status "degraded" and, for each use of Redis, what is
degraded, in words an operator can act on.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import redis

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

DEGRADED = {
    "message_queue": (
        "Live rooms: people on different instances receive each other's messages a few "
        "seconds late (they are stored, and each room's page asks for what it missed every "
        "3 seconds); people on one instance see them at once."
    ),
    "jobs": (
        "Background jobs: booking confirmations and reminders are not queued; they are "
        "enqueued by a sweep once Redis is back. Bookings themselves work. Risk alerts are "
        "watched, and escalations texted to the on-call clinical lead, by the instance itself."
    ),
    "rate_limits": (
        "Rate limits: each instance counts on its own, so the limits are looser across instances."
    ),
}


def redis_uses(config: Any) -> dict[str, str]:
    """Each use of Redis this instance is configured for, and its address."""
    uses = {
        "message_queue": config.get("SOCKETIO_MESSAGE_QUEUE") or "",
        "jobs": config.get("REDIS_URL") or "",
        "rate_limits": config.get("RATELIMIT_STORAGE_URI") or "",
    }
    return {use: url for use, url in uses.items() if url.startswith(REDIS_SCHEMES)}


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def redis_reachable(url: str) -> bool:
    try:
        return bool(_client(url).ping())
    except redis.RedisError:
        return False


def report(config: Any, database_ok: bool) -> tuple[dict[str, Any], int]:
    """The body and status of /health."""
    uses = redis_uses(config)
    reachable = {url: redis_reachable(url) for url in set(uses.values())}
    down = [use for use, url in uses.items() if not reachable[url]]
    redis_state = ("unreachable" if down else "ok") if uses else "not used"
    status = "unavailable" if not database_ok else ("degraded" if down else "ok")
    body = {
        "status": status,
        "database": "ok" if database_ok else "unreachable",
        "redis": redis_state,
        "degraded": [DEGRADED[use] for use in down],
    }
    return body, 200 if database_ok else 503


CHECK_EVERY_SECONDS = 15.0
"""How long an instance trusts its last look at Redis when drawing staff pages."""


def degraded_for_staff(extensions: dict[str, Any], config: Any) -> list[str]:
    """What is degraded right now, for the banner on staff pages: looked up at most every
    CHECK_EVERY_SECONDS per instance (kept in the app's `extensions`), so a page costs no
    Redis round trip, and a Redis that has gone away is noticed within seconds."""
    checked_at, degraded = extensions.get("service_health", (None, []))
    now = time.monotonic()
    if checked_at is None or now - checked_at >= CHECK_EVERY_SECONDS:
        uses = redis_uses(config)
        reachable = {url: redis_reachable(url) for url in set(uses.values())}
        degraded = [DEGRADED[use] for use, url in uses.items() if not reachable[url]]
        extensions["service_health"] = (now, degraded)
    return list(degraded)
