"""The message rate limit outside the database: the same rule in this process's memory and in
Redis (127.0.0.1:6379, a key prefix of this run's own; in CI a missing Redis fails the run)."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from webapp.sessions import rate, room

pytestmark = pytest.mark.pure  # no database: the PostgreSQL run skips these

REDIS_URL = "redis://127.0.0.1:6379/0"
NOW = datetime(2030, 1, 7, 10, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "redis"])
def limit(request: pytest.FixtureRequest) -> Iterator[rate.MessageRate]:
    if request.param == "memory":
        yield rate.MemoryMessageRate()
        return
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis is not running: {error}")
    shared = rate.RedisMessageRate(REDIS_URL, f"test-chat-rate-{secrets.token_hex(4)}:")
    yield shared
    shared.reset()


def test_twenty_messages_in_ten_seconds_are_allowed_and_the_21st_is_not(limit):
    moments = [NOW + timedelta(milliseconds=400 * n) for n in range(room.RATE_LIMIT_MESSAGES)]
    assert all(limit.allow("1:2", moment) for moment in moments)
    assert not limit.allow("1:2", moments[-1])
    assert not limit.allow("1:2", NOW + timedelta(seconds=9, milliseconds=999))
    assert limit.allow("1:2", NOW + timedelta(seconds=10))  # the first has just left the window


def test_a_refused_message_does_not_use_up_the_allowance(limit):
    for _ in range(room.RATE_LIMIT_MESSAGES):
        assert limit.allow("1:2", NOW)
    for second in range(1, 10):
        assert not limit.allow("1:2", NOW + timedelta(seconds=second))
    later = NOW + timedelta(seconds=10)
    assert all(limit.allow("1:2", later) for _ in range(room.RATE_LIMIT_MESSAGES))


def test_each_sender_in_each_room_has_their_own_allowance(limit):
    for _ in range(room.RATE_LIMIT_MESSAGES):
        assert limit.allow(rate.sender_key(1, 2), NOW)
    assert limit.allow(rate.sender_key(3, 2), NOW)
    assert limit.allow(rate.sender_key(1, 4), NOW)
    assert not limit.allow(rate.sender_key(1, 2), NOW)


def test_reset_forgets_everything(limit):
    for _ in range(room.RATE_LIMIT_MESSAGES):
        limit.allow("1:2", NOW)
    limit.reset()
    assert limit.allow("1:2", NOW)


def test_memory_forgets_senders_who_have_gone_quiet():
    limit = rate.MemoryMessageRate()
    limit.allow("quiet", NOW)
    later = NOW + room.RATE_LIMIT_WINDOW
    for number in range(rate.SWEEP_EVERY - 1):
        assert limit.allow(f"busy-{number}", later)
    assert "quiet" not in limit._sent
    assert len(limit._sent) == rate.SWEEP_EVERY - 1


def closed_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_with_redis_down_the_limit_counts_in_this_instance_and_still_holds():
    limit = rate.RedisMessageRate(f"redis://127.0.0.1:{closed_port()}/0", "down:")
    moments = [NOW + timedelta(milliseconds=400 * n) for n in range(room.RATE_LIMIT_MESSAGES)]
    assert all(limit.allow("1:2", moment) for moment in moments)  # chat keeps working
    assert limit.degraded
    assert not limit.allow("1:2", moments[-1] + timedelta(milliseconds=1))  # and is limited
    assert limit.allow("1:3", moments[-1])  # per sender, as before
