"""FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from adapters.settings import Settings
from api.wiring import build_application


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.onestop = await run_in_threadpool(build_application, settings)
        yield
        app.state.onestop.close()

    app = FastAPI(title="motcua", version="0.1.0", lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, object]:
        """Readiness: the event store answers."""
        position = app.state.onestop.recorder.max_notification_id() or 0
        return {"status": "ok", "logPosition": position}

    return app
