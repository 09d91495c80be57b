"""Redis cache, rate limiter and idempotency store (``MOTCUA_REDIS_URL``).

Every Redis error (connection refused, timeout, but also OOM or READONLY
replies) is raised as :class:`BackendUnavailableError`: none of these three
may ever fail a request, the resilient wrappers degrade instead. Needs
Redis >= 7.0 (``SET NX GET``).
"""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import redis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry as SyncRetry

from adapters.cache.memory import DEFAULT_FILL_GUARD_SECONDS
from adapters.cache.ports import (
    IN_PROGRESS,
    MISMATCH,
    STARTED,
    BackendUnavailableError,
    IdempotencyState,
    IdempotencyStore,
    LookupCache,
    RateDecision,
    RateLimiter,
    check_window,
)

LOOKUP_PREFIX = "motcua:lookup:"
RATE_LIMIT_PREFIX = "motcua:rl:"
IDEMPOTENCY_PREFIX = "motcua:idem:"

_TOMBSTONE = b"\x00motcua:invalidated\x00"

# A fill never overwrites a tombstone left by a recent invalidation.
_SET_UNLESS_TOMBSTONE = """
if redis.call('GET', KEYS[1]) == ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return 1
"""

# Sliding-window log on the server's clock (replicas of the API may drift).
_SLIDING_WINDOW = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, tonumber(oldest[2]) + window - now}
"""

# A rate-limited read of a lookup: the sliding window above, then (only when
# allowed) the cached value, in one round trip instead of two.
_ADMIT_AND_GET = _SLIDING_WINDOW.replace(
    "  return {1, limit - count - 1, 0}",
    "  return {1, limit - count - 1, 0, redis.call('GET', KEYS[2])}",
)
if _ADMIT_AND_GET == _SLIDING_WINDOW:  # the window's allowed branch was reworded
    raise AssertionError("_ADMIT_AND_GET no longer reads the cache")

# Store the result unless another request (other fingerprint) owns the key.
_COMPLETE = """
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1])) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""


def redis_client(url: str, *, timeout: float = 0.25) -> Redis:
    """A client that fails fast when Redis is down.

    Measured with redis-py 8.1: ``Redis(...)`` retries 10 times with backoff
    (4 s per call on a dead server); ``from_url`` alone never retries, so the
    first call after a Redis restart fails on the dropped pooled connection.
    Here a connection error is retried once at once, a timeout never.
    """
    return Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )


@contextlib.contextmanager
def unavailable(operation: str) -> Iterator[None]:
    try:
        yield
    except (RedisError, OSError) as error:
        detail = str(error) or type(error).__name__
        raise BackendUnavailableError(f"redis {operation}: {detail}") from error


class RedisLookupCache(LookupCache):
    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = LOOKUP_PREFIX,
        fill_guard_seconds: int = DEFAULT_FILL_GUARD_SECONDS,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._fill_guard_seconds = fill_guard_seconds
        self._set_script = client.register_script(_SET_UNLESS_TOMBSTONE)

    async def get(self, key: str) -> bytes | None:
        with unavailable("get"):
            raw = await self._client.get(self._prefix + key)
        if not isinstance(raw, bytes) or raw == _TOMBSTONE:
            return None
        return raw

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be >= 1")
        with unavailable("set"):
            await self._set_script(
                keys=[self._prefix + key], args=[value, _TOMBSTONE, ttl_seconds]
            )

    async def invalidate(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        with unavailable("invalidate"):
            async with self._client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(
                        self._prefix + key, _TOMBSTONE, ex=self._fill_guard_seconds
                    )
                await pipe.execute()

    async def clear(self) -> None:
        # SCAN + UNLINK, never KEYS: the keyspace also holds rate limits etc.
        with unavailable("clear"):
            batch: list[Any] = []
            async for key in self._client.scan_iter(
                match=self._prefix + "*", count=1000
            ):
                batch.append(key)
                if len(batch) >= 500:
                    await self._client.unlink(*batch)
                    batch.clear()
            if batch:
                await self._client.unlink(*batch)

    async def ping(self) -> bool:
        with unavailable("ping"):
            return bool(await self._client.ping())


class RedisTombstones:
    """:meth:`RedisLookupCache.invalidate` (the same tombstones) for a thread
    without an event loop: the projector's, which waits for them before each
    commit; handing them to a loop thread costs two thread wake-ups, each a
    wait for a core on a loaded machine. Raises BackendUnavailableError."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = LOOKUP_PREFIX,
        fill_guard_seconds: int = DEFAULT_FILL_GUARD_SECONDS,
        timeout: float = 0.25,
    ) -> None:
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=SyncRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        self._prefix = prefix
        self._fill_guard_seconds = fill_guard_seconds

    def invalidate(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        with unavailable("invalidate"), self._client.pipeline(False) as pipe:
            for key in keys:
                pipe.set(self._prefix + key, _TOMBSTONE, ex=self._fill_guard_seconds)
            pipe.execute()

    def close(self) -> None:
        self._client.close()


class RedisRateLimiter(RateLimiter):
    def __init__(self, client: Redis, *, prefix: str = RATE_LIMIT_PREFIX) -> None:
        self._prefix = prefix
        self._script = client.register_script(_SLIDING_WINDOW)

    async def allow(
        self, client: str, *, limit: int, window_seconds: int
    ) -> RateDecision:
        check_window(limit, window_seconds)
        with unavailable("rate_limit"):
            reply = await self._script(
                keys=[self._prefix + client],
                args=[limit, window_seconds * 1000, uuid.uuid4().hex],
            )
        allowed, remaining, retry_ms = (int(part) for part in reply)
        if allowed:
            return RateDecision(True, remaining, 0)
        return RateDecision(False, 0, max(1, math.ceil(retry_ms / 1000)))


class RedisLookupGate:
    """An anonymous lookup's rate limit and cache read in one script (one
    round trip): the limiter's sliding window, then the cached value when the
    call is allowed. Same keys and values as :class:`RedisRateLimiter` and
    :class:`RedisLookupCache`."""

    def __init__(
        self,
        client: Redis,
        *,
        rate_prefix: str = RATE_LIMIT_PREFIX,
        cache_prefix: str = LOOKUP_PREFIX,
    ) -> None:
        self._rate_prefix = rate_prefix
        self._cache_prefix = cache_prefix
        self._script = client.register_script(_ADMIT_AND_GET)

    async def admit(
        self, client: str, key: str, *, limit: int, window_seconds: int
    ) -> tuple[RateDecision, bytes | None]:
        check_window(limit, window_seconds)
        with unavailable("rate_limit"):
            reply = await self._script(
                keys=[self._rate_prefix + client, self._cache_prefix + key],
                args=[limit, window_seconds * 1000, uuid.uuid4().hex],
            )
        allowed, remaining, retry_ms = (int(part) for part in reply[:3])
        if not allowed:
            return RateDecision(False, 0, max(1, math.ceil(retry_ms / 1000))), None
        raw = reply[3] if len(reply) > 3 else None
        value = raw if isinstance(raw, bytes) and raw != _TOMBSTONE else None
        return RateDecision(True, remaining, 0), value


def _owner(fingerprint: str) -> bytes:
    encoded = fingerprint.encode()
    return b"%d:%s" % (len(encoded), encoded)


def _decode(raw: bytes) -> tuple[str, bytes | None]:
    length, _, rest = raw.partition(b":")
    size = int(length)
    fingerprint = rest[:size].decode()
    state, result = rest[size : size + 1], rest[size + 1 :]
    return fingerprint, (result if state == b"D" else None)


class RedisIdempotencyStore(IdempotencyStore):
    """``<len>:<fingerprint>P`` while in progress, ``...D<result>`` when done."""

    def __init__(self, client: Redis, *, prefix: str = IDEMPOTENCY_PREFIX) -> None:
        self._client = client
        self._prefix = prefix
        self._complete = client.register_script(_COMPLETE)

    async def begin(
        self, key: str, fingerprint: str, *, lock_ttl: int
    ) -> IdempotencyState:
        with unavailable("idempotency_begin"):
            previous = await self._client.set(
                self._prefix + key,
                _owner(fingerprint) + b"P",
                nx=True,
                ex=lock_ttl,
                get=True,
            )
        if not isinstance(previous, bytes):
            return STARTED
        owner, result = _decode(previous)
        if owner != fingerprint:
            return MISMATCH
        if result is None:
            return IN_PROGRESS
        return IdempotencyState.replay(result)

    async def complete(
        self, key: str, fingerprint: str, result: bytes, *, ttl: int
    ) -> None:
        owner = _owner(fingerprint)
        with unavailable("idempotency_complete"):
            await self._complete(
                keys=[self._prefix + key], args=[owner, owner + b"D" + result, ttl]
            )

    async def abandon(self, key: str) -> None:
        with unavailable("idempotency_abandon"):
            await self._client.unlink(self._prefix + key)
