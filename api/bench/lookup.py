"""Anonymous ``dossierStatus`` over HTTP through the real app vs a bare JSON route.

Both servers run in this process on loopback, driven by the same async load
generator, in alternating rounds; we report medians and their ratio.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from adapters.bench.catalogue import (
    APPLICANT,
    DESK,
    FORWARD_TO,
    PROCEDURE,
    START,
    seed_bench_catalogue,
)
from adapters.bench.report import BenchReport, RoundReport
from adapters.settings import Settings
from api.app import create_app
from api.bench.servers import serving
from api.services import Services
from application.clock import trace_for

QUERY = "query Status($code: String!) { dossierStatus(code: $code) { code completion label } }"


def bare_app(code: str) -> FastAPI:
    """The reference: the same answer as a plain FastAPI JSON route."""
    app = FastAPI()
    answer = {
        "data": {
            "dossierStatus": {
                "code": code,
                "completion": "IN_PROGRESS",
                "label": "Đang giải quyết",
            }
        }
    }

    @app.post("/lookup")
    async def lookup(body: dict[str, Any]) -> dict[str, Any]:
        return (
            answer if body.get("variables", {}).get("code") == code else {"data": None}
        )

    return app


async def _drive(
    url: str, body: dict[str, Any], requests: int, concurrency: int
) -> float:
    done = 0
    limits = httpx.Limits(
        max_connections=concurrency, max_keepalive_connections=concurrency
    )
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal done
            while done < requests:
                done += 1
                response = await client.post(url, json=body)
                if response.status_code != 200 or "errors" in response.text:
                    raise RuntimeError(f"lookup failed: {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


def _seed(services: Services) -> str:
    onestop = services.onestop
    seed_bench_catalogue(onestop)
    reception = onestop.receive_dossier(
        trace=trace_for(DESK, at=START), applicant=APPLICANT, procedure_code=PROCEDURE
    )
    onestop.forward_dossier(
        reception.dossier_id, trace=trace_for(DESK, at=START), to=FORWARD_TO
    )
    services.projector.catch_up()
    return reception.code


def run_lookup_benchmark(
    *, requests: int, concurrency: int, rounds: int
) -> BenchReport:
    # The app still formats a JSON access line per request; it goes to /dev/null.
    with (
        tempfile.TemporaryDirectory(prefix="motcua-bench-lookup-") as directory,
        open(os.devnull, "w") as sink,
        contextlib.redirect_stderr(sink),
    ):
        settings = Settings(
            database_url=f"sqlite:///{Path(directory) / 'bench.db'}",
            data_dir=Path(directory),
            options={"LOOKUP_RATE_LIMIT": "1000000000"},
        )
        app = create_app(settings)
        with serving(app) as app_url:
            code = _seed(app.state.services)
            with serving(bare_app(code)) as bare_url:
                body = {"query": QUERY, "variables": {"code": code}}
                measured: list[RoundReport] = []
                asyncio.run(
                    _drive(f"{app_url}/graphql", body, requests // 5, concurrency)
                )
                asyncio.run(
                    _drive(f"{bare_url}/lookup", body, requests // 5, concurrency)
                )
                for index in range(rounds):
                    first_app = index % 2 == 0
                    app_rate = reference = 0.0
                    for side in (
                        ("app", "reference") if first_app else ("reference", "app")
                    ):
                        url = (
                            f"{app_url}/graphql"
                            if side == "app"
                            else f"{bare_url}/lookup"
                        )
                        rate = asyncio.run(_drive(url, body, requests, concurrency))
                        if side == "app":
                            app_rate = rate
                        else:
                            reference = rate
                    measured.append(
                        RoundReport(
                            app=app_rate,
                            reference=reference,
                            order="app,reference" if first_app else "reference,app",
                        )
                    )
    app_median = statistics.median(r.app for r in measured)
    reference_median = statistics.median(r.reference for r in measured)
    return BenchReport(
        name="lookup",
        app=app_median,
        reference=reference_median,
        ratio=statistics.median(r.ratio for r in measured),
        rounds=tuple(measured),
        unit="requests/s (reference: bare FastAPI JSON route)",
        notes=(
            f"{requests} POST requests per side per round, {concurrency} keep-alive "
            "connections, servers and load generator in one process",
            "app: strawberry GraphQL with parser/validation caches, anonymous rate "
            "limiter and in-process status cache; reference: FastAPI route, same body",
            "earlier reference on this machine class: stock strawberry 0.13, "
            "with parser+validation caches 0.49; aim ≥ 0.6",
        ),
    )
