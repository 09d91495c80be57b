"""Wrappers that keep lookups and mutations working while Redis is down.

The cache degrades to "always a miss" (lookups go to the database), the rate
limiter and the idempotency store fall back to their in-process versions.
Recovery is automatic: see :class:`~adapters.cache.health.BackendHealth`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from adapters.cache.health import DEFAULT_RECHECK_SECONDS, BackendHealth, Degradable
from adapters.cache.metrics import CacheMetrics
from adapters.cache.ports import (
    BackendUnavailableError,
    IdempotencyState,
    IdempotencyStore,
    LookupCache,
    RateDecision,
    RateLimiter,
)

_PROBE_KEY = "\x00health-probe"


class ResilientLookupCache(Degradable, LookupCache):
    """Never raises :class:`BackendUnavailableError`; counts hits and misses.

    Lost invalidations: the keys of every invalidation that could not reach
    Redis are kept (up to ``max_pending``, beyond that the whole
    ``motcua:lookup:`` keyspace is cleared) and re-sent before the cache is
    used again, so an entry invalidated during an outage (or a partition that
    Redis itself survived) is never served after recovery. Only the process
    that lost the invalidation knows: in a partial partition another replica
    may serve the entry until then, so keep lookup TTLs short.
    """

    def __init__(
        self,
        primary: LookupCache,
        metrics: CacheMetrics | None,
        *,
        health: BackendHealth | None = None,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        max_pending: int = 10_000,
    ) -> None:
        self._primary = primary
        self._metrics = metrics
        self._health = health or BackendHealth(
            primary.ping, metrics=metrics, recheck_seconds=recheck_seconds
        )
        self._max_pending = max_pending
        self._pending: set[str] = set()
        self._clear_pending = False
        self._drain_lock = asyncio.Lock()

    @property
    def pending_invalidations(self) -> int:
        return len(self._pending) + (1 if self._clear_pending else 0)

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = None
        if await self._usable():
            try:
                value = await self._primary.get(key)
            except BackendUnavailableError as error:
                self._health.failed("get", error)
        return self.counted(value)

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if await self._usable():
            try:
                await self._primary.set(key, value, ttl_seconds)
            except BackendUnavailableError as error:
                self._health.failed("set", error)

    async def invalidate(self, keys: Sequence[str]) -> None:
        if await self._usable():
            try:
                await self._primary.invalidate(keys)
                return
            except BackendUnavailableError as error:
                self._health.failed("invalidate", error)
        self._pending.update(keys)
        if len(self._pending) > self._max_pending:
            self._pending.clear()
            self._clear_pending = True

    async def clear(self) -> None:
        if await self._usable():
            try:
                await self._primary.clear()
                return
            except BackendUnavailableError as error:
                self._health.failed("clear", error)
        self._pending.clear()
        self._clear_pending = True

    async def ping(self) -> bool:
        return await self._health.check()

    async def usable(self) -> bool:
        """Redis may be read now: up, and no lost invalidation left to resend."""
        return await self._usable()

    def counted(self, value: bytes | None) -> bytes | None:
        """A value read around :meth:`get` (one script with the rate limit),
        counted as a hit or a miss as :meth:`get` counts it."""
        if self._metrics is not None:
            (self._metrics.misses if value is None else self._metrics.hits).inc()
        return value

    async def _usable(self) -> bool:
        if not await self._health.available():
            return False
        if self._pending or self._clear_pending:
            return await self._resend_invalidations()
        return True

    async def _resend_invalidations(self) -> bool:
        async with self._drain_lock:
            keys, clear = set(self._pending), self._clear_pending
            if not (keys or clear):
                return True
            try:
                if clear:
                    await self._primary.clear()
                else:
                    await self._primary.invalidate(sorted(keys))
            except BackendUnavailableError as error:
                self._health.failed("invalidate", error)
                return False
            self._pending -= keys
            if clear:
                self._clear_pending = False
            return True


class ResilientRateLimiter(Degradable, RateLimiter):
    """Redis limiter, or the in-process ``fallback`` (per process) while down."""

    def __init__(
        self,
        primary: RateLimiter,
        fallback: RateLimiter,
        *,
        metrics: CacheMetrics | None = None,
        health: BackendHealth | None = None,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._metrics = metrics
        self._health = health or BackendHealth(
            self._probe, metrics=metrics, recheck_seconds=recheck_seconds
        )

    async def _probe(self) -> None:
        await self._primary.allow(_PROBE_KEY, limit=1_000_000, window_seconds=1)

    async def allow(
        self, client: str, *, limit: int, window_seconds: int
    ) -> RateDecision:
        decision: RateDecision | None = None
        if await self._health.available():
            try:
                decision = await self._primary.allow(
                    client, limit=limit, window_seconds=window_seconds
                )
            except BackendUnavailableError as error:
                self._health.failed("rate_limit", error)
        if decision is None:
            decision = await self._fallback.allow(
                client, limit=limit, window_seconds=window_seconds
            )
        if not decision.allowed:
            self.refused()
        return decision

    def refused(self) -> None:
        """Count a refusal (also one decided with the cache read: the gate)."""
        if self._metrics is not None:
            self._metrics.rate_limited.inc()


class ResilientIdempotencyStore(Degradable, IdempotencyStore):
    """Redis store, or the in-process ``fallback`` while down.

    Keys begun on the fallback are completed there; a result that cannot
    reach Redis is kept in the fallback. Across processes the event store's
    uniqueness remains the guard during an outage.
    """

    def __init__(
        self,
        primary: IdempotencyStore,
        fallback: IdempotencyStore,
        *,
        health: BackendHealth | None = None,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        max_local_keys: int = 100_000,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._health = health or BackendHealth(
            self._probe, recheck_seconds=recheck_seconds
        )
        self._local: set[str] = set()
        self._max_local_keys = max_local_keys

    async def _probe(self) -> None:
        await self._primary.abandon(_PROBE_KEY)

    async def begin(
        self, key: str, fingerprint: str, *, lock_ttl: int
    ) -> IdempotencyState:
        if await self._health.available():
            try:
                return await self._primary.begin(key, fingerprint, lock_ttl=lock_ttl)
            except BackendUnavailableError as error:
                self._health.failed("idempotency_begin", error)
        if len(self._local) >= self._max_local_keys:
            self._local.clear()
        self._local.add(key)
        return await self._fallback.begin(key, fingerprint, lock_ttl=lock_ttl)

    async def complete(
        self, key: str, fingerprint: str, result: bytes, *, ttl: int
    ) -> None:
        if key not in self._local and await self._health.available():
            try:
                await self._primary.complete(key, fingerprint, result, ttl=ttl)
                return
            except BackendUnavailableError as error:
                self._health.failed("idempotency_complete", error)
        self._local.discard(key)
        await self._fallback.complete(key, fingerprint, result, ttl=ttl)

    async def abandon(self, key: str) -> None:
        await self._fallback.abandon(key)
        if key not in self._local and await self._health.available():
            try:
                await self._primary.abandon(key)
            except BackendUnavailableError as error:
                self._health.failed("idempotency_abandon", error)
        self._local.discard(key)


class LookupGate(Protocol):
    """Rate limit and cache read of one anonymous lookup, in one call."""

    async def admit(
        self, client: str, key: str, *, limit: int, window_seconds: int
    ) -> tuple[RateDecision, bytes | None]: ...


class ResilientLookupGate:
    """An anonymous lookup's admission: one round trip to Redis (``primary``,
    e.g. :class:`~adapters.cache.redis_backend.RedisLookupGate`) while Redis is
    up and the cache owes no invalidation; otherwise the rate limiter and the
    cache one after the other, each degrading as it does alone. Never raises
    :class:`BackendUnavailableError`; the value is ``None`` when refused."""

    def __init__(
        self,
        primary: LookupGate | None,
        rate_limiter: ResilientRateLimiter,
        cache: ResilientLookupCache,
    ) -> None:
        self._primary = primary
        self._rate_limiter = rate_limiter
        self._cache = cache

    async def admit(
        self, client: str, key: str, *, limit: int, window_seconds: int
    ) -> tuple[RateDecision, bytes | None]:
        if self._primary is not None and await self._cache.usable():
            try:
                decision, value = await self._primary.admit(
                    client, key, limit=limit, window_seconds=window_seconds
                )
            except BackendUnavailableError as error:
                self._cache.health.failed("rate_limit", error)
            else:
                if not decision.allowed:
                    self._rate_limiter.refused()
                    return decision, None
                return decision, self._cache.counted(value)
        decision = await self._rate_limiter.allow(
            client, limit=limit, window_seconds=window_seconds
        )
        if not decision.allowed:
            return decision, None
        return decision, await self._cache.get(key)

    def ticket(self) -> int | None:
        return None  # the shared cache guards its fills with tombstones

    async def fill(
        self, key: str, value: bytes, ttl_seconds: int, ticket: int | None
    ) -> None:
        await self._cache.set(key, value, ttl_seconds)
