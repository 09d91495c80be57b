"""With Redis down, lookups still work (cache misses), rate limits still apply,
``health()`` and the metrics say so, and everything recovers by itself without
serving an entry invalidated during the outage.

Each test owns its redis-server, so it can crash it (SIGKILL) or pause it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from prometheus_client import CollectorRegistry

from adapters.cache import (
    STARTED,
    CacheBackends,
    RedisLookupCache,
    ResilientLookupCache,
    build_cache_backends,
    redis_client,
)
from adapters.settings import Settings
from tests.services import TemporaryRedis

RECHECK_SECONDS = 0.3


@pytest.fixture
def server() -> Iterator[TemporaryRedis]:
    with TemporaryRedis() as server:
        yield server


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
async def backends(
    server: TemporaryRedis, registry: CollectorRegistry
) -> AsyncIterator[CacheBackends]:
    backends = build_cache_backends(
        Settings(redis_url=server.url), registry, recheck_seconds=RECHECK_SECONDS
    )
    try:
        yield backends
    finally:
        await backends.close()


def crash(server: TemporaryRedis) -> None:
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while server.running:
        assert time.monotonic() < deadline, "redis-server did not die"
        time.sleep(0.01)


def raw_set(server: TemporaryRedis, key: str, value: bytes) -> None:
    client = redis.Redis.from_url(server.url)
    try:
        client.set(key, value)
    finally:
        client.close()


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


@pytest.mark.redis
class TestRedisCrash:
    async def test_lookups_miss_without_raising_while_redis_is_down(
        self, server: TemporaryRedis, backends: CacheBackends
    ) -> None:
        cache = backends.lookup_cache
        await cache.set("dossier:a", b"v1", 60)
        assert await cache.get("dossier:a") == b"v1"

        crash(server)

        assert await cache.get("dossier:a") is None
        await cache.set("dossier:a", b"v2", 60)
        await cache.invalidate(["dossier:a"])
        assert await cache.get("dossier:a") is None

    async def test_health_and_metrics_show_the_outage(
        self,
        server: TemporaryRedis,
        backends: CacheBackends,
        registry: CollectorRegistry,
    ) -> None:
        assert (await backends.health())["status"] == "up"
        assert sample(registry, "motcua_redis_up") == 1

        crash(server)
        await backends.lookup_cache.get("dossier:a")
        health = await backends.health()

        assert health["backend"] == "redis"
        assert health["status"] == "degraded"
        assert health["degraded"] is True
        assert health["last_error"]
        assert backends.lookup_cache.degraded
        assert backends.rate_limiter.degraded
        assert sample(registry, "motcua_cache_errors_total", operation="get") == 1
        assert sample(registry, "motcua_cache_misses_total") == 1
        assert sample(registry, "motcua_redis_up") == 0

    async def test_the_rate_limiter_falls_back_to_the_process(
        self,
        server: TemporaryRedis,
        backends: CacheBackends,
        registry: CollectorRegistry,
    ) -> None:
        crash(server)

        decisions = [
            await backends.rate_limiter.allow("ip:a", limit=3, window_seconds=60)
            for _ in range(5)
        ]

        assert [d.allowed for d in decisions] == [True] * 3 + [False] * 2
        assert decisions[-1].retry_after_seconds > 0
        assert sample(registry, "motcua_rate_limited_total") == 2
        assert (
            sample(registry, "motcua_cache_errors_total", operation="rate_limit") == 1
        )

    async def test_idempotency_falls_back_to_the_process(
        self, server: TemporaryRedis, backends: CacheBackends
    ) -> None:
        crash(server)

        first = await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)
        await backends.idempotency.complete("key-1", "fp-a", b"done", ttl=60)
        again = await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)

        assert first == STARTED
        assert again.result == b"done"

    async def test_redis_is_not_retried_on_every_call_while_down(
        self,
        server: TemporaryRedis,
        backends: CacheBackends,
        registry: CollectorRegistry,
    ) -> None:
        crash(server)

        for _ in range(50):
            await backends.lookup_cache.get("dossier:a")

        errors = sample(registry, "motcua_cache_errors_total", operation="get")
        probes = sample(registry, "motcua_cache_errors_total", operation="probe")
        assert (errors, probes) == (1, 0)

    async def test_recovers_and_never_serves_an_entry_invalidated_during_the_outage(
        self,
        server: TemporaryRedis,
        backends: CacheBackends,
        registry: CollectorRegistry,
    ) -> None:
        cache = backends.lookup_cache
        await cache.set("dossier:a", b"old status", 60)
        crash(server)
        await cache.invalidate(["dossier:a"])  # the projection, during the outage

        server.restart()
        # As if Redis had kept its data (persistence, or a partition instead
        # of a crash): the stale entry is back.
        raw_set(server, "motcua:lookup:dossier:a", b"old status")
        await asyncio.sleep(RECHECK_SECONDS + 0.05)

        assert await cache.get("dossier:a") is None
        health = await backends.health()
        assert health["status"] == "up"
        assert health["pending_invalidations"] == 0
        assert sample(registry, "motcua_redis_up") == 1
        decision = await backends.rate_limiter.allow("ip:a", limit=1, window_seconds=60)
        assert decision.allowed
        assert not backends.rate_limiter.degraded


@pytest.mark.redis
class TestRedisPaused:
    """A Redis that hangs (CLIENT PAUSE) rather than refusing connections."""

    async def test_a_hanging_redis_fails_fast_and_keeps_invalidations(
        self, server: TemporaryRedis, registry: CollectorRegistry
    ) -> None:
        client = redis_client(server.url)
        admin = redis.Redis.from_url(server.url)
        cache = ResilientLookupCache(
            RedisLookupCache(client, fill_guard_seconds=1),
            None,
            recheck_seconds=RECHECK_SECONDS,
        )
        try:
            await cache.set("dossier:a", b"old status", 60)
            admin.client_pause(1000, all=True)
            paused_until = time.monotonic() + 1.0

            started = time.monotonic()
            await cache.invalidate(["dossier:a"])
            assert time.monotonic() - started < 0.9
            assert cache.degraded
            assert await cache.get("dossier:a") is None

            await asyncio.sleep(paused_until - time.monotonic() + 0.1)
            admin.set("motcua:lookup:dossier:a", b"old status")
            await asyncio.sleep(RECHECK_SECONDS)

            assert await cache.get("dossier:a") is None
            assert not cache.degraded
            await asyncio.sleep(1.1)  # the invalidation's fill guard
            await cache.set("dossier:a", b"new status", 60)
            assert await cache.get("dossier:a") == b"new status"
        finally:
            admin.close()
            await client.aclose()


class TestWithoutRedis:
    async def test_uses_in_process_backends(self, registry: CollectorRegistry) -> None:
        backends = build_cache_backends(Settings(), registry)

        await backends.lookup_cache.set("dossier:a", b"v1", 60)

        assert await backends.lookup_cache.get("dossier:a") == b"v1"
        assert await backends.lookup_cache.get("dossier:b") is None
        assert await backends.health() == {
            "backend": "memory",
            "status": "up",
            "pending_invalidations": 0,
            "degraded": False,
            "last_error": None,
            "degraded_since": None,
            "recheck_seconds": 5.0,
        }
        assert sample(registry, "motcua_cache_hits_total") == 1
        assert sample(registry, "motcua_cache_misses_total") == 1
        assert sample(registry, "motcua_redis_up") == 0
        await backends.close()

    def test_each_registry_gets_its_own_metrics(self) -> None:
        build_cache_backends(Settings(), CollectorRegistry())
        build_cache_backends(Settings(), CollectorRegistry())
