"""``motcua serve``: the HTTP service (and, when configured, the metrics port)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
from collections.abc import Iterator
from typing import Annotated, Any

import typer
import uvicorn
import uvloop
from uvicorn.supervisors import Multiprocess

from api.app import create_app
from api.cli.common import fail
from api.cli.common import settings as read_settings
from api.edge_settings import EdgeSettings
from api.http_protocol import PROTOCOL as HTTP_PROTOCOL
from api.security import metrics_listener


class _MetricsServer(uvicorn.Server):
    """Leaves signals to the main server, which stops it when it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


WORKER_PING_SECONDS = 30


def serve_workers(app: str, host: str, port: int, workers: int, **options: Any) -> None:
    """``uvicorn.run(app, workers=N)``, but on a listening socket created as
    TCP: asyncio sets ``TCP_NODELAY`` only on connections accepted from such a
    socket, and uvicorn's own (protocol 0) leaves Nagle on — every response
    then waits ~40 ms for the client's delayed ACK."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=workers,
        # uvicorn kills a worker that does not answer its ping within this
        # (5 s by default): on a saturated 2-core machine a starting worker
        # missed it and the whole server stopped.
        timeout_worker_healthcheck=WORKER_PING_SECONDS,
        **options,
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


def uvicorn_options(edge: EdgeSettings) -> dict[str, Any]:
    """How uvicorn serves the app, in every worker process."""
    return {
        "log_config": None,
        "access_log": False,
        # Named, not "auto": a missing dependency fails at start instead of
        # falling back to the pure-Python loop and parser.
        "loop": "uvloop",
        # httptools, one write per response of known length (api.http_protocol).
        "http": HTTP_PROTOCOL,
        # X-Forwarded-* are believed only from MOTCUA_TRUSTED_PROXIES, by the
        # app itself; uvicorn would trust loopback by default.
        "proxy_headers": False,
        "ws_max_size": edge.max_ws_message_bytes,
        # Our websocket protocol (431 for oversized upgrade headers, quiet
        # refusals), named here so every worker process uses it too.
        "ws": "api.websocket_protocol:WebSocketProtocol",
        "server_header": False,
    }


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes (default MOTCUA_WORKERS, 1); one projector "
            "among them when it is embedded.",
            min=1,
            max=64,
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (GraphQL, REST, health, metrics)."""
    settings = read_settings()
    if workers is not None:
        settings = dataclasses.replace(
            settings, options={**settings.options, "WORKERS": str(workers)}
        )
        # Worker processes build their settings from the environment they
        # inherit: the option is handed down there (written, never read here).
        os.environ["MOTCUA_WORKERS"] = str(workers)
    edge = EdgeSettings.from_settings(settings)  # refuses bad settings at start
    count: int = settings.value("WORKERS")
    if edge.metrics_port is not None and edge.metrics_port == port:
        raise fail(
            "MOTCUA_METRICS_PORT phải khác --port "
            "(MOTCUA_METRICS_PORT must differ from --port)"
        )
    for taken in (port, edge.metrics_port):
        if taken is not None and not _free(host, taken):
            raise fail(
                f"Không mở được {host}:{taken} (đang dùng hoặc địa chỉ sai) / "
                f"cannot listen on {host}:{taken} (in use or a bad address)"
            )
    common = uvicorn_options(edge)
    if count > 1:
        if edge.metrics_port is not None:
            raise fail(
                "MOTCUA_METRICS_PORT chỉ dùng được với một worker "
                "(MOTCUA_METRICS_PORT needs a single worker; use MOTCUA_METRICS_TOKEN)"
            )
        # Each worker imports the factory and builds its own app (after fork,
        # nothing shared but the listening socket and the data directory).
        serve_workers("api.app:create_app", host, port, count, factory=True, **common)
        return
    app = create_app(settings)
    main = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **common))
    if edge.metrics_port is None:
        main.run()
        return
    metrics = _MetricsServer(
        uvicorn.Config(
            metrics_listener(app),
            host=host,
            port=edge.metrics_port,
            lifespan="off",  # the main server runs the app's lifespan once
            **common,
        )
    )
    uvloop.run(_serve_both(main, metrics))


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


def _free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now (checked before start so a
    clash is one clear line, not uvicorn's exit code 3 after the app started)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except (OSError, OverflowError):
        return False
    return True
