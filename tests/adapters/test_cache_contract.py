"""The in-process and the Redis cache, rate limiter and idempotency store
behave the same (Redis: the real server the harness starts)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from adapters.cache import (
    IN_PROGRESS,
    MISMATCH,
    STARTED,
    IdempotencyState,
    IdempotencyStore,
    LookupCache,
    MemoryIdempotencyStore,
    MemoryLookupCache,
    MemoryRateLimiter,
    RateLimiter,
    RedisIdempotencyStore,
    RedisLookupCache,
    RedisRateLimiter,
    redis_client,
)

FILL_GUARD_SECONDS = 1


@dataclass
class Backends:
    cache: LookupCache
    limiter: RateLimiter
    idempotency: IdempotencyStore


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_client(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backends(request: pytest.FixtureRequest) -> Backends:
    if request.param == "memory":
        return Backends(
            MemoryLookupCache(fill_guard_seconds=FILL_GUARD_SECONDS),
            MemoryRateLimiter(),
            MemoryIdempotencyStore(),
        )
    client: Redis = request.getfixturevalue("client")
    return Backends(
        RedisLookupCache(client, fill_guard_seconds=FILL_GUARD_SECONDS),
        RedisRateLimiter(client),
        RedisIdempotencyStore(client),
    )


class TestLookupCache:
    async def test_returns_none_for_an_unknown_key(self, backends: Backends) -> None:
        assert await backends.cache.get("dossier:000.00.01.H34-240101-0001") is None

    async def test_returns_the_value_that_was_set(self, backends: Backends) -> None:
        await backends.cache.set("dossier:a", "Đã tiếp nhận".encode(), 60)

        assert await backends.cache.get("dossier:a") == "Đã tiếp nhận".encode()

    async def test_a_later_set_replaces_the_value(self, backends: Backends) -> None:
        await backends.cache.set("dossier:a", b"v1", 60)
        await backends.cache.set("dossier:a", b"v2", 60)

        assert await backends.cache.get("dossier:a") == b"v2"

    async def test_an_entry_expires_after_its_ttl(self, backends: Backends) -> None:
        await backends.cache.set("dossier:a", b"v1", 1)
        await backends.cache.set("dossier:b", b"v1", 60)

        await asyncio.sleep(1.1)

        assert await backends.cache.get("dossier:a") is None
        assert await backends.cache.get("dossier:b") == b"v1"

    async def test_invalidate_removes_only_the_given_keys(
        self, backends: Backends
    ) -> None:
        for key in ("dossier:a", "dossier:b", "dossier:c"):
            await backends.cache.set(key, b"v1", 60)

        await backends.cache.invalidate(["dossier:a", "dossier:b", "dossier:zzz"])

        assert await backends.cache.get("dossier:a") is None
        assert await backends.cache.get("dossier:b") is None
        assert await backends.cache.get("dossier:c") == b"v1"

    async def test_a_fill_right_after_an_invalidation_is_ignored(
        self, backends: Backends
    ) -> None:
        # A reader that loaded the row before the projection committed.
        await backends.cache.invalidate(["dossier:a"])
        await backends.cache.set("dossier:a", b"stale", 60)
        assert await backends.cache.get("dossier:a") is None

        await asyncio.sleep(FILL_GUARD_SECONDS + 0.1)
        await backends.cache.set("dossier:a", b"fresh", 60)

        assert await backends.cache.get("dossier:a") == b"fresh"

    async def test_invalidating_nothing_is_allowed(self, backends: Backends) -> None:
        await backends.cache.invalidate([])

    async def test_clear_drops_every_entry(self, backends: Backends) -> None:
        for key in ("dossier:a", "dossier:b"):
            await backends.cache.set(key, b"v1", 60)

        await backends.cache.clear()

        assert await backends.cache.get("dossier:a") is None
        assert await backends.cache.get("dossier:b") is None

    async def test_answers_a_ping(self, backends: Backends) -> None:
        assert await backends.cache.ping() is True


class TestRateLimiter:
    async def test_allows_exactly_limit_calls_in_a_window(
        self, backends: Backends
    ) -> None:
        decisions = [
            await backends.limiter.allow("ip:203.0.113.7", limit=5, window_seconds=60)
            for _ in range(7)
        ]

        assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
        assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0, 0]
        assert all(d.retry_after_seconds == 0 for d in decisions[:5])
        assert all(0 < d.retry_after_seconds <= 60 for d in decisions[5:])

    async def test_concurrent_calls_are_counted_atomically(
        self, backends: Backends
    ) -> None:
        decisions = await asyncio.gather(
            *(
                backends.limiter.allow("ip:203.0.113.7", limit=5, window_seconds=60)
                for _ in range(20)
            )
        )

        assert sum(d.allowed for d in decisions) == 5

    async def test_limits_each_client_separately(self, backends: Backends) -> None:
        for _ in range(2):
            await backends.limiter.allow("ip:a", limit=2, window_seconds=60)

        assert not (
            await backends.limiter.allow("ip:a", limit=2, window_seconds=60)
        ).allowed
        assert (
            await backends.limiter.allow("ip:b", limit=2, window_seconds=60)
        ).allowed

    async def test_allows_again_once_the_window_has_passed(
        self, backends: Backends
    ) -> None:
        for _ in range(2):
            await backends.limiter.allow("ip:a", limit=2, window_seconds=1)
        refused = await backends.limiter.allow("ip:a", limit=2, window_seconds=1)
        assert not refused.allowed
        assert refused.retry_after_seconds == 1

        await asyncio.sleep(1.05)

        assert (await backends.limiter.allow("ip:a", limit=2, window_seconds=1)).allowed

    async def test_rejects_a_limit_below_one(self, backends: Backends) -> None:
        with pytest.raises(ValueError, match="limit"):
            await backends.limiter.allow("ip:a", limit=0, window_seconds=60)


class TestIdempotency:
    async def test_the_first_caller_starts(self, backends: Backends) -> None:
        state = await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)

        assert state == STARTED

    async def test_exactly_one_of_five_concurrent_callers_starts(
        self, backends: Backends
    ) -> None:
        states = await asyncio.gather(
            *(
                backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)
                for _ in range(5)
            )
        )

        assert states.count(STARTED) == 1
        assert states.count(IN_PROGRESS) == 4

    async def test_a_completed_key_replays_the_stored_result(
        self, backends: Backends
    ) -> None:
        await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)
        await backends.idempotency.complete("key-1", "fp-a", b'{"id": 1}', ttl=60)

        state = await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)

        assert state == IdempotencyState.replay(b'{"id": 1}')

    async def test_a_different_fingerprint_is_a_mismatch(
        self, backends: Backends
    ) -> None:
        await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)
        assert (
            await backends.idempotency.begin("key-1", "fp-b", lock_ttl=30) == MISMATCH
        )

        await backends.idempotency.complete("key-1", "fp-a", b"done", ttl=60)
        assert (
            await backends.idempotency.begin("key-1", "fp-b", lock_ttl=30) == MISMATCH
        )

    async def test_abandon_frees_the_key(self, backends: Backends) -> None:
        await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)

        await backends.idempotency.abandon("key-1")

        assert await backends.idempotency.begin("key-1", "fp-b", lock_ttl=30) == STARTED

    async def test_the_lock_expires_after_lock_ttl(self, backends: Backends) -> None:
        await backends.idempotency.begin("key-1", "fp-a", lock_ttl=1)

        await asyncio.sleep(1.1)

        assert await backends.idempotency.begin("key-1", "fp-a", lock_ttl=1) == STARTED

    async def test_complete_leaves_a_key_owned_by_another_request_alone(
        self, backends: Backends
    ) -> None:
        await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)

        await backends.idempotency.complete("key-1", "fp-b", b"other", ttl=60)

        assert (
            await backends.idempotency.begin("key-1", "fp-a", lock_ttl=30)
            == IN_PROGRESS
        )

    async def test_results_and_fingerprints_may_hold_any_bytes(
        self, backends: Backends
    ) -> None:
        fingerprint = "sha256:ab:cd\nÀ"
        result = b"\x00P:D\xff" * 3
        await backends.idempotency.begin("key:1", fingerprint, lock_ttl=30)
        await backends.idempotency.complete("key:1", fingerprint, result, ttl=60)

        state = await backends.idempotency.begin("key:1", fingerprint, lock_ttl=30)

        assert state == IdempotencyState.replay(result)


@pytest.mark.redis
async def test_redis_keys_carry_the_motcua_prefixes(client: Redis) -> None:
    await RedisLookupCache(client).set("dossier:a", b"v1", 60)
    await RedisRateLimiter(client).allow("ip:a", limit=5, window_seconds=60)
    await RedisIdempotencyStore(client).begin("key-1", "fp-a", lock_ttl=30)

    keys = sorted([key async for key in client.scan_iter(match="*")])

    assert keys == [b"motcua:idem:key-1", b"motcua:lookup:dossier:a", b"motcua:rl:ip:a"]
