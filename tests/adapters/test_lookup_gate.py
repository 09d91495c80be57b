"""An anonymous lookup's admission (rate limit + cache read) in one call:
in-process and on Redis the same answers as the limiter and the cache used
one after the other, one Redis round trip, and the same degradation when
Redis is down (each test on Redis: the real server the harness starts)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from adapters.cache import CacheBackends, build_cache_backends
from adapters.settings import Settings
from tests.services import TemporaryRedis

RECHECK_SECONDS = 0.3


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def backends(
    request: pytest.FixtureRequest, registry: CollectorRegistry
) -> AsyncIterator[CacheBackends]:
    url = None if request.param == "memory" else request.getfixturevalue("redis_url")
    built = build_cache_backends(
        Settings(redis_url=url), registry, recheck_seconds=RECHECK_SECONDS
    )
    try:
        yield built
    finally:
        await built.close()


def sample(registry: CollectorRegistry, name: str) -> float:
    return registry.get_sample_value(name) or 0.0


class TestAdmission:
    async def test_an_allowed_lookup_reads_the_cached_value(
        self, backends: CacheBackends, registry: CollectorRegistry
    ) -> None:
        await backends.lookup_cache.set("dossier:a", b"status a", 60)

        decision, value = await backends.lookup_gate.admit(
            "lookup:1.2.3.4", "dossier:a", limit=5, window_seconds=60
        )

        assert decision.allowed
        assert decision.remaining == 4
        assert value == b"status a"
        assert sample(registry, "motcua_cache_hits_total") == 1

    async def test_a_missing_or_invalidated_entry_is_a_miss(
        self, backends: CacheBackends, registry: CollectorRegistry
    ) -> None:
        await backends.lookup_cache.set("dossier:b", b"old", 60)
        await backends.lookup_cache.invalidate(["dossier:b"])

        gate = backends.lookup_gate
        _, invalidated = await gate.admit("c", "dossier:b", limit=5, window_seconds=60)
        _, unknown = await gate.admit("c", "dossier:zz", limit=5, window_seconds=60)

        assert (invalidated, unknown) == (None, None)
        assert sample(registry, "motcua_cache_misses_total") == 2

    async def test_a_refused_lookup_reads_nothing_and_says_when_to_retry(
        self, backends: CacheBackends, registry: CollectorRegistry
    ) -> None:
        await backends.lookup_cache.set("dossier:a", b"status a", 60)
        gate = backends.lookup_gate

        for _ in range(2):
            await gate.admit("c", "dossier:a", limit=2, window_seconds=30)
        decision, value = await gate.admit("c", "dossier:a", limit=2, window_seconds=30)

        assert not decision.allowed
        assert 1 <= decision.retry_after_seconds <= 30
        assert value is None
        assert sample(registry, "motcua_rate_limited_total") == 1
        assert sample(registry, "motcua_cache_hits_total") == 2

    async def test_shares_the_window_with_the_rate_limiter(
        self, backends: CacheBackends
    ) -> None:
        """Subscriptions are limited by the limiter alone, queries by the gate:
        one budget per client for both."""
        await backends.rate_limiter.allow("c", limit=3, window_seconds=60)
        await backends.lookup_gate.admit("c", "dossier:a", limit=3, window_seconds=60)
        await backends.rate_limiter.allow("c", limit=3, window_seconds=60)

        decision, _ = await backends.lookup_gate.admit(
            "c", "dossier:a", limit=3, window_seconds=60
        )
        other, _ = await backends.lookup_gate.admit(
            "d", "dossier:a", limit=3, window_seconds=60
        )

        assert not decision.allowed
        assert other.allowed

    async def test_refuses_a_window_that_allows_nothing(
        self, backends: CacheBackends
    ) -> None:
        with pytest.raises(ValueError, match="rate limit needs"):
            await backends.lookup_gate.admit("c", "k", limit=0, window_seconds=60)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        limit=st.integers(min_value=1, max_value=6),
        calls=st.integers(min_value=1, max_value=10),
        client=st.text(min_size=1, max_size=12),
    )
    async def test_allows_exactly_limit_lookups_per_client(
        self, backends: CacheBackends, limit: int, calls: int, client: str
    ) -> None:
        key = f"lookup:{client}:{limit}:{calls}:{time.monotonic_ns()}"  # fresh window
        await backends.lookup_cache.set("dossier:h", b"v", 60)
        answers = [
            await backends.lookup_gate.admit(
                key, "dossier:h", limit=limit, window_seconds=60
            )
            for _ in range(calls)
        ]

        allowed = min(limit, calls)
        assert [d.allowed for d, _ in answers] == [True] * allowed + [False] * (
            calls - allowed
        )
        assert [v for _, v in answers] == [b"v"] * allowed + [None] * (calls - allowed)
        assert [d.remaining for d, _ in answers[:allowed]] == list(
            range(limit - 1, limit - 1 - allowed, -1)
        )


def reads(client: redis.Redis) -> int:
    """Requests Redis has read from its sockets (each round trip is one)."""
    return int(client.info("stats")["total_reads_processed"])


@pytest.mark.redis
async def test_one_round_trip_per_lookup(redis_url: str) -> None:
    backends = build_cache_backends(Settings(redis_url=redis_url), CollectorRegistry())
    counter = redis.Redis.from_url(redis_url)
    try:
        gate = backends.lookup_gate
        await gate.admit("c", "dossier:a", limit=100, window_seconds=60)  # loads it
        reads(counter)  # connected
        before = reads(counter)
        for _ in range(10):
            await gate.admit("c", "dossier:a", limit=100, window_seconds=60)
        after = reads(counter)
    finally:
        counter.close()
        await backends.close()

    assert after - before - 1 == 10  # the INFO reading ``after`` is one more


@pytest.fixture
def own_server() -> Iterator[TemporaryRedis]:
    with TemporaryRedis() as server:
        yield server


def crash(server: TemporaryRedis) -> None:
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server.running:
        assert time.monotonic() < deadline, "redis-server did not die"
        time.sleep(0.01)


@pytest.mark.redis
class TestRedisDown:
    async def test_limits_in_process_and_misses_without_raising(
        self, own_server: TemporaryRedis, registry: CollectorRegistry
    ) -> None:
        backends = build_cache_backends(
            Settings(redis_url=own_server.url),
            registry,
            recheck_seconds=RECHECK_SECONDS,
        )
        try:
            await backends.lookup_cache.set("dossier:a", b"v", 60)
            crash(own_server)
            answers = [
                await backends.lookup_gate.admit(
                    "c", "dossier:a", limit=2, window_seconds=60
                )
                for _ in range(3)
            ]
            health = await backends.health()
        finally:
            await backends.close()

        assert [(d.allowed, v) for d, v in answers] == [
            (True, None),
            (True, None),
            (False, None),
        ]
        assert health["status"] == "degraded"
        assert sample(registry, "motcua_rate_limited_total") == 1

    async def test_resends_lost_invalidations_before_reading_again(
        self, own_server: TemporaryRedis, registry: CollectorRegistry
    ) -> None:
        backends = build_cache_backends(
            Settings(redis_url=own_server.url),
            registry,
            recheck_seconds=RECHECK_SECONDS,
        )
        try:
            await backends.lookup_cache.set("dossier:a", b"old status", 60)
            crash(own_server)
            await backends.lookup_cache.invalidate(["dossier:a"])  # lost
            own_server.restart()
            client = redis.Redis.from_url(own_server.url)
            try:  # as if Redis had kept its data: the stale entry is back
                client.set("motcua:lookup:dossier:a", b"old status")
            finally:
                client.close()
            time.sleep(RECHECK_SECONDS + 0.05)

            decision, value = await backends.lookup_gate.admit(
                "c", "dossier:a", limit=5, window_seconds=60
            )
            pending = backends.lookup_cache.pending_invalidations
        finally:
            await backends.close()

        assert decision.allowed
        assert value is None
        assert pending == 0
