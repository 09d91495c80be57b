"""Composition: Redis-backed and resilient with a Redis URL, in-process without."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from adapters.cache.health import DEFAULT_RECHECK_SECONDS, BackendHealth
from adapters.cache.local import LocalLookupCache, LocalLookupGate
from adapters.cache.memory import (
    MemoryIdempotencyStore,
    MemoryLookupCache,
    MemoryRateLimiter,
)
from adapters.cache.metrics import CacheMetrics
from adapters.cache.ports import IdempotencyStore, RateLimiter
from adapters.cache.redis_backend import (
    RedisIdempotencyStore,
    RedisLookupCache,
    RedisLookupGate,
    RedisRateLimiter,
    redis_client,
)
from adapters.cache.resilient import (
    ResilientIdempotencyStore,
    ResilientLookupCache,
    ResilientLookupGate,
    ResilientRateLimiter,
)
from adapters.cache.synced import SyncedRateLimiter
from adapters.settings import Settings


@dataclass
class CacheBackends:
    lookup_cache: ResilientLookupCache
    rate_limiter: ResilientRateLimiter
    idempotency: IdempotencyStore
    metrics: CacheMetrics
    backend_health: BackendHealth
    lookup_gate: ResilientLookupGate | LocalLookupGate
    """An anonymous lookup's rate limit and cache read: one Redis round trip,
    or none (in-process counts and cache, see adapters.cache.local)."""
    redis: Redis | None = field(default=None, repr=False)
    local_cache: LocalLookupCache | None = None
    """This worker's lookup cache, fed by the change listener (PostgreSQL)."""

    @property
    def backend(self) -> str:
        return "memory" if self.redis is None else "redis"

    async def health(self) -> dict[str, object]:
        """For ``/readyz``: Redis being down degrades, it does not make us unready."""
        if self.redis is not None:
            await self.backend_health.check()
        return {
            "backend": self.backend,
            "status": "degraded" if self.backend_health.degraded else "up",
            "pending_invalidations": self.lookup_cache.pending_invalidations,
            **self.backend_health.snapshot(),
            **(
                {"local": self.local_cache.snapshot()}
                if self.local_cache is not None
                else {}
            ),
        }

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def build_cache_backends(
    settings: Settings,
    registry: CollectorRegistry,
    *,
    recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
) -> CacheBackends:
    """No I/O here: the Redis client connects on first use."""
    metrics = CacheMetrics.create(registry)
    rate_fallback = MemoryRateLimiter()
    idempotency_fallback = MemoryIdempotencyStore()
    if settings.redis_url is None:
        memory_cache = MemoryLookupCache()
        health = BackendHealth(memory_cache.ping, recheck_seconds=recheck_seconds)
        cache = ResilientLookupCache(memory_cache, metrics, health=health)
        limiter = ResilientRateLimiter(
            rate_fallback, rate_fallback, metrics=metrics, health=health
        )
        return CacheBackends(
            lookup_cache=cache,
            rate_limiter=limiter,
            idempotency=idempotency_fallback,
            metrics=metrics,
            backend_health=health,
            lookup_gate=ResilientLookupGate(None, limiter, cache),
        )
    client = redis_client(settings.redis_url)
    redis_cache = RedisLookupCache(client)
    health = BackendHealth(
        redis_cache.ping, metrics=metrics, recheck_seconds=recheck_seconds
    )
    cache = ResilientLookupCache(redis_cache, metrics, health=health)
    local_ms: int = settings.value("LOOKUP_LOCAL_CACHE_MS")
    local = (
        LocalLookupCache(fresh_for=local_ms / 1000)
        if local_ms > 0 and settings.is_postgres
        else None
    )
    sync_ms: int = settings.value("LOOKUP_RATE_SYNC_MS")
    counter: RateLimiter = RedisRateLimiter(client)
    if sync_ms > 0 and local is not None:
        # Without a local cache a lookup reads Redis anyway, and one script
        # counts it exactly in the same round trip (the gate below).
        counter = synced = SyncedRateLimiter(client, interval=sync_ms / 1000)
        synced.on_failure = health.failed
    limiter = ResilientRateLimiter(
        counter, rate_fallback, metrics=metrics, health=health
    )
    gate: ResilientLookupGate | LocalLookupGate = (
        ResilientLookupGate(RedisLookupGate(client), limiter, cache)
        if local is None
        else LocalLookupGate(limiter, cache, local)
    )
    return CacheBackends(
        lookup_cache=cache,
        rate_limiter=limiter,
        idempotency=ResilientIdempotencyStore(
            RedisIdempotencyStore(client), idempotency_fallback, health=health
        ),
        metrics=metrics,
        backend_health=health,
        lookup_gate=gate,
        redis=client,
        local_cache=local,
    )
