"""Prometheus metrics of the HTTP service."""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class ApiMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    projection_lag: Gauge
    rate_limited: Counter

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
        )


_KNOWN = ("/graphql", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json")


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        route = (
            path
            if path in _KNOWN
            else ("/api" if path.startswith("/api/") else "other")
        )
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self.metrics.requests.labels(
                scope.get("method", ""), route, str(status)
            ).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
