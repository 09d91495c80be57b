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
from api.health import readiness, refresh_metrics
from api.idempotency import IdempotencyMiddleware
from api.logging import RequestIdMiddleware, configure_logging
from api.metrics import ApiMetrics, MetricsMiddleware
from api.services import build_services

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
        services.start_followers(asyncio.get_running_loop())
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
        """Readiness: stores reachable, no dead letters, lag within bound; cache state."""
        response.status_code, body = await readiness(request.app.state.services)
        return body

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus metrics."""
        await refresh_metrics(request.app.state.services)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=api_metrics)
    app.add_middleware(RequestIdMiddleware)
    return app
