"""Composition: Redis-backed and resilient with a Redis URL, in-process without."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from adapters.cache.health import DEFAULT_RECHECK_SECONDS, BackendHealth
from adapters.cache.memory import (
    MemoryIdempotencyStore,
    MemoryLookupCache,
    MemoryRateLimiter,
)
from adapters.cache.metrics import CacheMetrics
from adapters.cache.ports import IdempotencyStore
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
from adapters.settings import Settings


@dataclass
class CacheBackends:
    lookup_cache: ResilientLookupCache
    rate_limiter: ResilientRateLimiter
    idempotency: IdempotencyStore
    metrics: CacheMetrics
    backend_health: BackendHealth
    lookup_gate: ResilientLookupGate
    """An anonymous lookup's rate limit and cache read (one Redis round trip)."""
    redis: Redis | None = field(default=None, repr=False)

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
    limiter = ResilientRateLimiter(
        RedisRateLimiter(client), rate_fallback, metrics=metrics, health=health
    )
    return CacheBackends(
        lookup_cache=cache,
        rate_limiter=limiter,
        idempotency=ResilientIdempotencyStore(
            RedisIdempotencyStore(client), idempotency_fallback, health=health
        ),
        metrics=metrics,
        backend_health=health,
        lookup_gate=ResilientLookupGate(RedisLookupGate(client), limiter, cache),
        redis=client,
    )
