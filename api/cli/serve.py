"""``motcua serve``: the HTTP service."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api.app import create_app


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API (GraphQL, REST, health, metrics)."""
    uvicorn.run(create_app(), host=host, port=port, log_config=None, access_log=False)
