"""The per-person message rate limit of session rooms (`room.RATE_LIMIT_MESSAGES` messages in
`room.RATE_LIMIT_WINDOW`), kept out of the database: counting a sender's recent rows cost a
query per message. One instance keeps it in its own memory; instances that share rooms through
Redis (`SOCKETIO_MESSAGE_QUEUE=redis://...`) keep it in that Redis, so a person with tabs open on
two instances is still held to one limit. Only what the limit allows is counted: a refused
message does not use up the person's allowance. Time is passed in, as an aware datetime.

Called by `webapp.sessions.services.post_message`; built once per app by `for_app`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime, timedelta
from typing import Protocol
from uuid import uuid4

import redis
from flask import Flask, current_app

from webapp.sessions import room

log = logging.getLogger(__name__)

EXTENSION = "chat_message_rate"
SWEEP_EVERY = 1000
"""The memory limit forgets senders who have gone quiet once in this many allowed messages."""


class MessageRate(Protocol):
    def allow(self, key: str, now: datetime) -> bool:
        """Count one message for `key` now and say True, or say False (and count nothing) if
        that would go over the limit."""

    def reset(self) -> None:
        """Forget everything (tests)."""


class MemoryMessageRate:
    """This process's own count: the right place with one instance, where every socket of
    a room is on this process."""

    def __init__(
        self, limit: int = room.RATE_LIMIT_MESSAGES, window: timedelta = room.RATE_LIMIT_WINDOW
    ) -> None:
        self.limit, self.window = limit, window
        self._sent: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()  # gevent patches it into a greenlet lock
        self._allowed = 0

    def allow(self, key: str, now: datetime) -> bool:
        with self._lock:
            sent = self._sent.setdefault(key, deque(maxlen=self.limit))
            if len(sent) == self.limit and room.is_rate_limited(
                sent, now, limit=self.limit, window=self.window
            ):
                return False
            sent.append(now)  # the oldest of a full window falls out
            self._allowed += 1
            if self._allowed % SWEEP_EVERY == 0:
                self._sweep(now)
            return True

    def _sweep(self, now: datetime) -> None:
        quiet = [key for key, sent in self._sent.items() if sent[-1] <= now - self.window]
        for key in quiet:
            del self._sent[key]

    def reset(self) -> None:
        with self._lock:
            self._sent.clear()


# A sliding window in a sorted set, checked and counted atomically in one round trip.
# KEYS[1]: the sender's key. ARGV: now (ms), window (ms), limit, a unique member.
SLIDING_WINDOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
    return 0
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""


class RedisMessageRate:
    """One count shared by every instance using this Redis; `prefix` keeps deployments (and
    test runs) sharing one Redis apart."""

    def __init__(
        self,
        url: str,
        prefix: str,
        limit: int = room.RATE_LIMIT_MESSAGES,
        window: timedelta = room.RATE_LIMIT_WINDOW,
    ) -> None:
        self.limit, self.window, self.prefix = limit, window, prefix
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self._script = self._redis.register_script(SLIDING_WINDOW)
        # While Redis cannot be reached each instance counts on its own (a person with tabs
        # on two instances could send up to twice the limit): chat keeps working.
        self._fallback = MemoryMessageRate(limit, window)
        self.degraded = False

    def allow(self, key: str, now: datetime) -> bool:
        at = int(now.timestamp() * 1000)
        window = int(self.window.total_seconds() * 1000)
        member = f"{at}-{uuid4().hex[:12]}"
        try:
            allowed = self._script(keys=[self.prefix + key], args=[at, window, self.limit, member])
        except redis.RedisError:
            if not self.degraded:
                log.warning("chat rate limit: Redis unreachable, counting in this instance")
            self.degraded = True
            return self._fallback.allow(key, now)
        if self.degraded:
            log.warning("chat rate limit: Redis reachable again")
            self.degraded = False
        return bool(allowed)

    def reset(self) -> None:
        self._fallback.reset()
        for key in self._redis.scan_iter(match=self.prefix + "*"):
            self._redis.delete(key)


def for_app(app: Flask) -> MessageRate:
    """Redis when instances share rooms through Redis, else this process's memory."""
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
    limit: MessageRate
    if queue.startswith(("redis://", "rediss://", "unix://")):
        limit = RedisMessageRate(queue, f"{app.config['SOCKETIO_CHANNEL']}:chat-rate:")
    else:
        limit = MemoryMessageRate()
    app.extensions[EXTENSION] = limit
    return limit


def message_rate() -> MessageRate:
    """The running app's limit."""
    limit: MessageRate = current_app.extensions[EXTENSION]
    return limit


def sender_key(sender_id: int, appointment_id: int) -> str:
    return f"{appointment_id}:{sender_id}"
