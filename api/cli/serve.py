"""``motcua serve``: the HTTP service (and, when configured, the metrics port)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Annotated

import typer
import uvicorn

from adapters.settings import Settings
from api.app import create_app
from api.edge_settings import EdgeSettings
from api.security import metrics_listener


class _MetricsServer(uvicorn.Server):
    """Leaves signals to the main server, which stops it when it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API (GraphQL, REST, health, metrics)."""
    settings = Settings.from_env()
    edge = EdgeSettings.from_settings(settings)  # refuses bad settings at start
    app = create_app(settings)
    common = {
        "log_config": None,
        "access_log": False,
        # X-Forwarded-* are believed only from MOTCUA_TRUSTED_PROXIES, by the
        # app itself; uvicorn would trust loopback by default.
        "proxy_headers": False,
        "ws_max_size": edge.max_ws_message_bytes,
        "server_header": False,
    }
    main = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **common))  # type: ignore[arg-type]
    if edge.metrics_port is None:
        main.run()
        return
    metrics = _MetricsServer(
        uvicorn.Config(
            metrics_listener(app),
            host=host,
            port=edge.metrics_port,
            lifespan="off",  # the main server runs the app's lifespan once
            **common,  # type: ignore[arg-type]
        )
    )
    asyncio.run(_serve_both(main, metrics))


async def _serve_both(main: uvicorn.Server, metrics: uvicorn.Server) -> None:
    serving = asyncio.create_task(main.serve())
    while not main.started and not serving.done():
        await asyncio.sleep(0.05)
    sidecar = asyncio.create_task(metrics.serve())
    try:
        await serving
    finally:
        metrics.should_exit = True
        await sidecar
