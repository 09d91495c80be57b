"""The rate limiter that counts in the process and reconciles with Redis once
per interval (adapters/cache/synced.py), on the real Redis the harness starts:
one limiter is exact, several share one budget within the stated bound, round
trips are per interval, and a Redis outage falls back to in-process limits."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from adapters.cache import RedisRateLimiter, build_cache_backends, redis_client
from adapters.cache.ports import BackendUnavailableError
from adapters.cache.synced import MAX_UNSYNCED, SyncedRateLimiter, unsynced_cap
from adapters.settings import Settings
from tests.services import TemporaryRedis

pytestmark = pytest.mark.redis

INTERVAL = 0.005
_PG = "postgresql://nobody@127.0.0.1:1/none"  # never connected: it only picks the mode


def fresh_client() -> str:
    return f"lookup:test-{time.monotonic_ns()}"


def test_the_unsynced_share_is_five_percent_of_the_limit() -> None:
    assert [unsynced_cap(n) for n in (1, 19, 20, 60, 1000, 10**9)] == [
        1,
        1,
        1,
        3,
        50,
        MAX_UNSYNCED,
    ]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(limit=st.integers(1, 45), calls=st.integers(1, 50))
async def test_one_worker_allows_exactly_the_limit(
    redis_url: str, limit: int, calls: int
) -> None:
    client = redis_client(redis_url)
    limiter = SyncedRateLimiter(client, interval=INTERVAL)
    who = fresh_client()
    try:
        answers = [
            await limiter.allow(who, limit=limit, window_seconds=60)
            for _ in range(calls)
        ]
    finally:
        await client.aclose()

    allowed = min(limit, calls)
    assert [a.allowed for a in answers] == [True] * allowed + [False] * (
        calls - allowed
    )
    assert [a.remaining for a in answers[:allowed]] == list(
        range(limit - 1, limit - 1 - allowed, -1)
    )
    assert all(55 <= a.retry_after_seconds <= 60 for a in answers[allowed:])


async def test_shares_the_log_with_the_per_call_limiter(redis_url: str) -> None:
    """A process that still asks Redis per call (or a subscription elsewhere)
    spends the same budget."""
    client = redis_client(redis_url)
    who = fresh_client()
    try:
        per_call = RedisRateLimiter(client)
        for _ in range(3):
            assert (await per_call.allow(who, limit=5, window_seconds=60)).allowed
        synced = SyncedRateLimiter(client, interval=INTERVAL)
        answers = [
            (await synced.allow(who, limit=5, window_seconds=60)).allowed
            for _ in range(4)
        ]
        after = await per_call.allow(who, limit=5, window_seconds=60)
    finally:
        await client.aclose()

    assert answers == [True, True, False, False]
    assert not after.allowed


@pytest.mark.parametrize(("workers", "limit"), [(2, 40), (3, 100), (4, 60)])
async def test_workers_share_one_budget_within_the_bound(
    redis_url: str, workers: int, limit: int
) -> None:
    """Every worker (its own limiter and connections) floods the same client
    at once; together they admit at least the limit and at most
    limit + workers × the unsynced share."""
    clients = [redis_client(redis_url) for _ in range(workers)]
    limiters = [SyncedRateLimiter(c, interval=INTERVAL) for c in clients]
    who = fresh_client()

    async def flood(limiter: SyncedRateLimiter) -> int:
        answers = await asyncio.gather(
            *(limiter.allow(who, limit=limit, window_seconds=60) for _ in range(80))
        )
        return sum(a.allowed for a in answers)

    try:
        admitted = sum(await asyncio.gather(*(flood(lim) for lim in limiters)))
        later = [
            await lim.allow(who, limit=limit, window_seconds=60) for lim in limiters
        ]
        counted = redis.Redis.from_url(redis_url).zcard(f"motcua:rl:{who}")
    finally:
        for c in clients:
            await c.aclose()

    assert limit <= admitted <= limit + workers * unsynced_cap(limit)
    assert counted == admitted  # every admitted call reached the shared log
    assert not any(a.allowed for a in later)


async def test_one_round_trip_per_interval_not_per_call(redis_url: str) -> None:
    client = redis_client(redis_url)
    limiter = SyncedRateLimiter(client, interval=0.02)
    who = fresh_client()
    started = time.monotonic()
    try:
        for _ in range(10):
            for _ in range(100):
                await limiter.allow(who, limit=10**6, window_seconds=60)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the last counts are sent
        elapsed = time.monotonic() - started
        counted = redis.Redis.from_url(redis_url).zcard(f"motcua:rl:{who}")
    finally:
        await client.aclose()

    assert counted == 1000
    assert 1 <= limiter.syncs <= elapsed / 0.02 + 2


@pytest.fixture
def own_server() -> Iterator[TemporaryRedis]:
    with TemporaryRedis() as server:
        yield server


async def test_a_redis_outage_falls_back_to_in_process_limits_and_recovers(
    own_server: TemporaryRedis,
) -> None:
    backends = build_cache_backends(
        Settings(database_url=_PG, redis_url=own_server.url),
        CollectorRegistry(),
        recheck_seconds=0.2,
    )
    limiter = backends.rate_limiter
    try:
        assert (await limiter.allow("c", limit=3, window_seconds=60)).allowed
        await asyncio.sleep(0.05)  # counted in Redis
        assert own_server.pid is not None
        os.kill(own_server.pid, signal.SIGKILL)
        while own_server.running:
            await asyncio.sleep(0.01)
        down = [
            (await limiter.allow("c", limit=3, window_seconds=60)).allowed
            for _ in range(5)
        ]
        await asyncio.sleep(0.05)
        degraded = (await backends.health())["status"]
        own_server.restart()  # empty: no persistence
        await asyncio.sleep(0.3)
        back = [
            (await limiter.allow("d", limit=2, window_seconds=60)).allowed
            for _ in range(3)
        ]
        healthy = (await backends.health())["status"]
        counted = redis.Redis.from_url(own_server.url).zcard("motcua:rl:d")
    finally:
        await backends.close()

    # The first call after the crash may still be admitted from local counts;
    # then the in-process fallback limits (its own window: 3 per process).
    assert down.count(True) <= 4
    assert down[-1] is False
    assert degraded == "degraded"
    assert back == [True, True, False]
    assert healthy == "up"
    assert counted == 2


async def test_a_call_waiting_on_a_sync_that_fails_is_answered(
    own_server: TemporaryRedis,
) -> None:
    """A call that must wait for Redis while a sync is already in flight, and
    that sync fails: the call gets the failure (the caller falls back), it is
    not left waiting for a sync that will never run (it hung an API worker's
    request for good before)."""
    limiter = SyncedRateLimiter(redis_client(own_server.url), interval=INTERVAL)
    who = fresh_client()
    assert own_server.pid is not None
    os.kill(own_server.pid, signal.SIGSTOP)  # accepts, never answers: in flight
    try:
        first = await limiter.allow(who, limit=1, window_seconds=60)
        assert first.allowed  # admitted from the local share; its sync is sent
        await asyncio.sleep(0.05)  # the sync now waits on the stopped server
        second = asyncio.ensure_future(limiter.allow(who, limit=1, window_seconds=60))
        with pytest.raises(BackendUnavailableError):
            await asyncio.wait_for(second, timeout=5)
    finally:
        os.kill(own_server.pid, signal.SIGCONT)
