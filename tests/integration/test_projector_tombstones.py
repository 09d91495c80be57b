"""The separate projector's cache tombstones: sent from its own thread while
Redis answers, through the resilient cache (kept, re-sent) when it does not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from prometheus_client import CollectorRegistry

from adapters.cache.factory import build_cache_backends
from adapters.cache.ports import BackendUnavailableError
from adapters.cache.redis_backend import (
    LOOKUP_PREFIX,
    RedisLookupCache,
    RedisTombstones,
)
from adapters.settings import Settings
from api.bench.servers.base import find_free_port
from api.live import PUBLIC_STATUS, CacheInvalidator, LoopThread, status_key

pytestmark = pytest.mark.redis


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


def test_tombstones_block_a_fill_of_the_old_value(redis_url: str) -> None:
    tombstones = RedisTombstones(redis_url)
    client = redis.Redis.from_url(redis_url)
    try:
        client.set(LOOKUP_PREFIX + "status:A", b"old")
        tombstones.invalidate(["status:A", "status:B"])
        cache = RedisLookupCache(redis.asyncio.Redis.from_url(redis_url))

        async def read_then_fill() -> tuple[bytes | None, bytes | None]:
            before = await cache.get("status:A")
            await cache.set("status:A", b"old", 60)  # a late fill from a stale read
            return before, await cache.get("status:A")

        assert asyncio.run(read_then_fill()) == (None, None)
        assert client.ttl(LOOKUP_PREFIX + "status:B") > 0
    finally:
        tombstones.close()
        client.close()


def test_tombstones_to_a_dead_redis_raise_the_backend_error() -> None:
    tombstones = RedisTombstones(f"redis://127.0.0.1:{find_free_port()}/0")
    try:
        with pytest.raises(BackendUnavailableError):
            tombstones.invalidate(["status:A"])
    finally:
        tombstones.close()


def test_the_projector_sends_tombstones_itself_and_falls_back_when_redis_is_down(
    redis_url: str, loop: LoopThread, tmp_path: Path
) -> None:
    caches = build_cache_backends(
        Settings(redis_url=redis_url, data_dir=tmp_path), CollectorRegistry()
    )
    direct = RedisTombstones(redis_url)
    invalidate = CacheInvalidator(caches.lookup_cache, loop.loop, direct)
    client = redis.Redis.from_url(redis_url)
    try:
        invalidate({PUBLIC_STATUS: {"A-1"}})
        assert client.get(LOOKUP_PREFIX + status_key("A-1")) is not None
        assert caches.lookup_cache.pending_invalidations == 0
        dead = RedisTombstones(f"redis://127.0.0.1:{find_free_port()}/0")
        CacheInvalidator(caches.lookup_cache, loop.loop, dead)({PUBLIC_STATUS: {"A-2"}})
        dead.close()
        # The resilient cache sent them (Redis is up for it).
        assert client.get(LOOKUP_PREFIX + status_key("A-2")) is not None
    finally:
        direct.close()
        client.close()
        loop.run(caches.close())


def test_with_redis_down_the_tombstones_are_kept_and_nothing_raises(
    loop: LoopThread, tmp_path: Path
) -> None:
    dead_url = f"redis://127.0.0.1:{find_free_port()}/0"
    caches = build_cache_backends(
        Settings(redis_url=dead_url, data_dir=tmp_path), CollectorRegistry()
    )
    direct = RedisTombstones(dead_url)
    invalidate = CacheInvalidator(caches.lookup_cache, loop.loop, direct)
    try:
        invalidate({PUBLIC_STATUS: {"A-1", "A-2"}})
        assert caches.lookup_cache.pending_invalidations == 2
        invalidate({PUBLIC_STATUS: {"A-3"}})  # pending: straight to the resilient path
        assert caches.lookup_cache.pending_invalidations == 3
    finally:
        direct.close()
        loop.run(caches.close())
