"""Public-lookup cache, rate limiting and idempotency keys (Redis or in-process).

``build_cache_backends(settings, registry)`` is the entry point: Redis-backed
and resilient when ``MOTCUA_REDIS_URL`` is set, in-process otherwise.
"""

from __future__ import annotations

from adapters.cache.factory import CacheBackends, build_cache_backends
from adapters.cache.health import BackendHealth
from adapters.cache.memory import (
    MemoryIdempotencyStore,
    MemoryLookupCache,
    MemoryRateLimiter,
)
from adapters.cache.metrics import CacheMetrics
from adapters.cache.ports import (
    IN_PROGRESS,
    MISMATCH,
    STARTED,
    BackendUnavailableError,
    IdempotencyState,
    IdempotencyStatus,
    IdempotencyStore,
    LookupCache,
    RateDecision,
    RateLimiter,
)
from adapters.cache.redis_backend import (
    RedisIdempotencyStore,
    RedisLookupCache,
    RedisRateLimiter,
    redis_client,
)
from adapters.cache.resilient import (
    ResilientIdempotencyStore,
    ResilientLookupCache,
    ResilientRateLimiter,
)

__all__ = [
    "IN_PROGRESS",
    "MISMATCH",
    "STARTED",
    "BackendHealth",
    "BackendUnavailableError",
    "CacheBackends",
    "CacheMetrics",
    "IdempotencyState",
    "IdempotencyStatus",
    "IdempotencyStore",
    "LookupCache",
    "MemoryIdempotencyStore",
    "MemoryLookupCache",
    "MemoryRateLimiter",
    "RateDecision",
    "RateLimiter",
    "RedisIdempotencyStore",
    "RedisLookupCache",
    "RedisRateLimiter",
    "ResilientIdempotencyStore",
    "ResilientLookupCache",
    "ResilientRateLimiter",
    "build_cache_backends",
    "redis_client",
]
