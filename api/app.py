"""FastAPI application factory: GraphQL, health, metrics; one composition path."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from adapters.settings import Settings
from api.dashboard import router as dashboard_router
from api.edge import Edge
from api.edge_settings import EdgeSettings
from api.evaluation_page import router as evaluation_page_router
from api.files import UPLOAD_PATH
from api.files import router as files_router
from api.graphql.context import get_context
from api.graphql.documents import DocumentCaches
from api.graphql.fast_path import FastQueries
from api.graphql.mutation_lane import MutationLane
from api.graphql.router import (
    MotcuaGraphQLRouter,
    direct_post,
    labelled_refusal,
    post_endpoint,
)
from api.graphql.schema import build_schema
from api.health import readiness, refresh_metrics
from api.logging import configure_logging
from api.metrics import ApiMetrics
from api.services import build_services
from api.slips import router as slips_router
from api.websocket_protocol import install as install_websocket_protocol
from domain.errors import LabelledError

log = structlog.get_logger("api")


class MotcuaApp(FastAPI):
    """FastAPI with the edge (``api.edge``) outermost: around FastAPI's
    server-error, telemetry and body-limit layers rather than inside them, so
    the requests the edge answers itself pass through none of them, and a
    500 from those layers still gets the edge's headers and access line."""

    edge: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        inner = super().build_middleware_stack()
        return inner if self.edge is None else self.edge(inner)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    edge = EdgeSettings.from_settings(settings)
    install_websocket_protocol()  # before uvicorn loads its protocol classes
    configure_logging()
    registry = CollectorRegistry()
    api_metrics = ApiMetrics.create(registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await run_in_threadpool(build_services, settings, api_metrics)
        app.state.services = services
        services.start_followers(asyncio.get_running_loop())
        # Everything built so far (schema, catalogue, caches) lives as long as
        # the process: out of the collector's sight, a full collection no
        # longer walks it, which stalled requests for tens of milliseconds.
        gc.collect()
        gc.freeze()
        yield
        await services.caches.close()
        await run_in_threadpool(services.close)

    app = MotcuaApp(
        title="motcua",
        version="0.1.0",
        lifespan=lifespan,
        description="Hệ thống thông tin giải quyết TTHC — event-sourced backend",
        # Production publishes no map of the API: no /docs, /redoc, /openapi.json.
        docs_url=None if edge.production else "/docs",
        redoc_url=None if edge.production else "/redoc",
        openapi_url=None if edge.production else "/openapi.json",
        # Metrics are Prometheus (api.metrics); FastAPI's own OpenTelemetry
        # would otherwise ask the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.edge = edge
    app.state.document_caches = DocumentCaches.create(
        edge.document_cache_entries, edge.document_cache_bytes
    )
    schema = build_schema(edge, app.state.document_caches)
    graphql = MotcuaGraphQLRouter(
        schema,
        context_getter=get_context,
        graphql_ide=None if edge.production else "graphiql",
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL],
    )
    fast = (
        FastQueries(
            graphql,
            schema,
            app.state.document_caches,
            max_cost=edge.max_query_cost,
            max_plans=edge.document_cache_entries,
            max_plan_bytes=max(1, edge.document_cache_bytes // 4),
            paths=api_metrics.graphql_paths,
        )
        if edge.graphql_fast_path
        else None
    )
    app.state.fast_queries = fast
    # First in the routing table: the most frequent request matches at once.
    app.router.routes.insert(0, direct_post(graphql, "/graphql", fast))
    app.include_router(graphql, prefix="/graphql")
    app.include_router(slips_router)
    app.include_router(dashboard_router)
    app.include_router(evaluation_page_router)
    app.include_router(files_router)

    @app.exception_handler(LabelledError)
    async def refused(request: Request, error: Exception) -> Response:
        """Expected failures before GraphQL ran (token, key source): its error shape."""
        assert isinstance(error, LabelledError)
        return labelled_refusal(request, error)

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

    # One layer: request id, access log, metrics, security headers, CORS,
    # the /metrics gate, body limits, idempotency (``api.edge``), outside
    # FastAPI's own layers. ``POST /graphql`` (most requests) is answered by
    # the edge itself.
    app.edge = lambda inner: Edge(
        inner,
        edge=edge,
        metrics=api_metrics,
        upload_paths=(UPLOAD_PATH,),
        posts={
            "/graphql": post_endpoint(
                graphql, fast, None if fast is None else MutationLane(fast, graphql)
            )
        },
    )
    return app
