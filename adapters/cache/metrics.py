"""Prometheus metrics of the cache, the rate limiter and Redis health."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class CacheMetrics:
    hits: Counter
    misses: Counter
    errors: Counter
    rate_limited: Counter
    redis_up: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> CacheMetrics:
        """Register the metrics on ``registry`` (never the global default one)."""
        return cls(
            hits=Counter(
                "motcua_cache_hits",
                "Public lookups answered from the cache.",
                registry=registry,
            ),
            misses=Counter(
                "motcua_cache_misses",
                "Public lookups not in the cache (or the cache was down).",
                registry=registry,
            ),
            errors=Counter(
                "motcua_cache_errors",
                "Redis operations that failed and were degraded.",
                ["operation"],
                registry=registry,
            ),
            rate_limited=Counter(
                "motcua_rate_limited",
                "Anonymous lookups refused by the rate limiter.",
                registry=registry,
            ),
            redis_up=Gauge(
                "motcua_redis_up",
                "1 while Redis answers, 0 when it is down or not configured.",
                registry=registry,
            ),
        )
