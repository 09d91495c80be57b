"""Prometheus metrics of the HTTP service."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class ApiMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    projection_lag: Gauge
    rate_limited: Counter
    graphql_paths: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ApiMetrics:
        return cls(
            registry=registry,
            requests=Counter(
                "motcua_http_requests_total",
                "HTTP requests",
                ("method", "route", "status"),
                registry=registry,
            ),
            latency=Histogram(
                "motcua_http_request_seconds",
                "HTTP latency",
                ("route",),
                registry=registry,
            ),
            projection_lag=Gauge(
                "motcua_projection_lag_events",
                "Events not yet applied to a read model",
                ("read_model",),
                registry=registry,
            ),
            rate_limited=Counter(
                "motcua_lookup_rate_limited_total",
                "Anonymous lookups refused by the rate limiter",
                registry=registry,
            ),
            graphql_paths=Counter(
                "motcua_graphql_requests_total",
                "POST /graphql requests by the path that answered them: "
                "planned (officer commands), direct, executed (graphql-core), "
                "page (a kept page), strawberry (everything else)",
                ("path",),
                registry=registry,
            ),
        )


_KNOWN = frozenset(
    ("/graphql", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json")
)


def route_of(path: str) -> str:
    """The route label of ``path``: known paths as such, few labels otherwise."""
    if path in _KNOWN:
        return path
    return "/api" if path.startswith("/api/") else "other"
