"""FastAPI application factory: GraphQL, health, metrics; one composition path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from adapters.settings import Settings
from api.graphql.context import get_context
from api.graphql.schema import build_schema
from api.idempotency import IdempotencyMiddleware
from api.logging import RequestIdMiddleware, configure_logging
from api.metrics import ApiMetrics, MetricsMiddleware
from api.services import Services, build_services

log = structlog.get_logger("api")


class OrjsonGraphQLRouter(GraphQLRouter[Any, None]):
    def encode_json(self, data: object) -> str:
        # Text, not bytes: strawberry sends bytes as binary websocket frames,
        # which graphql-transport-ws clients (text frames only) reject.
        return orjson.dumps(data).decode()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    configure_logging()
    registry = CollectorRegistry()
    api_metrics = ApiMetrics.create(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await run_in_threadpool(build_services, settings, api_metrics)
        app.state.services = services
        if services.embedded:
            services.start_embedded_projector(asyncio.get_running_loop())
        yield
        await services.caches.close()
        await run_in_threadpool(services.close)

    app = FastAPI(
        title="motcua",
        version="0.1.0",
        lifespan=lifespan,
        description="Hệ thống thông tin giải quyết TTHC — event-sourced backend",
    )
    graphql = OrjsonGraphQLRouter(
        build_schema(),
        context_getter=get_context,
        graphql_ide="graphiql",
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL],
    )
    app.include_router(graphql, prefix="/graphql")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request, response: Response) -> dict[str, Any]:
        """Readiness: event store and read models reachable; lag and cache state."""
        services: Services = request.app.state.services
        try:
            statuses = await run_in_threadpool(services.projector.status)
        except Exception:
            log.exception("readiness_check_failed")
            response.status_code = 503
            return {"status": "unavailable"}
        cache = await services.caches.health()
        lag = max((s.lag for s in statuses), default=0)
        return {
            "status": "degraded" if cache.get("status") == "degraded" else "ok",
            "logPosition": max((s.log_position for s in statuses), default=0),
            "projectionLag": {s.name: s.lag for s in statuses},
            "maxLag": lag,
            "cache": cache,
        }

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus metrics."""
        services: Services = request.app.state.services
        try:
            for status in await run_in_threadpool(services.projector.status):
                services.metrics.projection_lag.labels(status.name).set(status.lag)
        except Exception:
            services.metrics.projection_lag.labels("all").set(-1)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=api_metrics)
    app.add_middleware(RequestIdMiddleware)
    return app
