"""Lookups as users get them: ``motcua serve`` under ``wrk`` vs a bare FastAPI route.

The product runs as ``motcua serve`` (its own process, production logging: a
JSON access line per request, to a file) and the reference as a bare FastAPI
JSON route under ``uvicorn`` (its own process, same worker count, no access
log); ``wrk`` — an external generator, not Python — drives both, in
alternating order per round. Reported per query and connection count: req/s,
p50 and p99 latency, and the ratio to the reference at the same connection
count in the same round (median over rounds).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from adapters.settings import Settings
from api.auth import AccessLevel, AuthSettings, TokenIssuer
from api.bench.catalogue import (
    APPLICANT,
    DEPARTMENT,
    DESK,
    FORWARD_TO,
    PROCEDURE,
    START,
    seed_bench_catalogue,
)
from api.bench.processes import (
    motcua_env,
    process,
    python_module,
    tree_cpu_seconds,
    wait_until,
)
from api.bench.report import BenchReport, Figure, RoundReport
from api.bench.servers.base import find_free_port
from api.bench.wrk import WrkResult, require_wrk, run_wrk
from api.wiring import build_application
from application.clock import trace_for
from domain.values import Role

DOSSIERS = 20


@dataclass(frozen=True)
class Query:
    name: str
    who: str  # anonymous | citizen | officer
    text: str
    takes_code: bool = False

    def body(self, code: str) -> dict[str, Any]:
        variables = {"code": code} if self.takes_code else {}
        return {"query": self.text, "variables": variables}


QUERIES = (
    Query(
        "dossierStatus",
        "anonymous",
        "query S($code: String!) { dossierStatus(code: $code) "
        "{ code completion label } }",
        takes_code=True,
    ),
    Query(
        "myDossiers",
        "citizen",
        "query M { myDossiers(limit: 20) { code status statusLabel dueAt } }",
    ),
    Query(
        "dossier",
        "citizen",
        "query D($code: String!) { dossier(code: $code) "
        "{ code status statusLabel dueAt } }",
        takes_code=True,
    ),
    Query(
        "worklist",
        "officer",
        "query W { worklist(limit: 20) { code applicantName status dueAt } }",
    ),
)


@dataclass(frozen=True)
class Topology:
    """Where the product runs: the embedded default, or PostgreSQL + Redis with
    a separate ``motcua projector``."""

    store: str  # sqlite | postgres
    workers: int

    @property
    def name(self) -> str:
        stores = "sqlite" if self.store == "sqlite" else "postgres+redis"
        return f"{stores}, {self.workers} worker{'s' if self.workers > 1 else ''}"


@dataclass(frozen=True)
class Sample:
    query: str
    connections: int
    round: int
    app: WrkResult
    reference: WrkResult
    cpu_us: float
    """CPU of the served processes (``motcua serve`` and its workers) per
    request of ``app``: steadier than req/s on a loaded machine."""


@dataclass
class _Target:
    url: str
    code: str
    tokens: dict[str, str | None]
    serve_pid: int


def _seed(settings: Settings) -> tuple[str, dict[str, str | None]]:
    onestop = build_application(settings)
    try:
        seed_bench_catalogue(onestop)
        code = ""
        for index in range(DOSSIERS):
            at = START + timedelta(minutes=index)
            reception = onestop.receive_dossier(
                trace=trace_for(DESK, at=at),
                applicant=APPLICANT,
                procedure_code=PROCEDURE,
            )
            onestop.forward_dossier(
                reception.dossier_id, trace=trace_for(DESK, at=at), to=FORWARD_TO
            )
            code = reception.code
    finally:
        onestop.close()
    issuer = TokenIssuer.from_settings(AuthSettings.from_settings(settings))
    day = timedelta(hours=24)
    tokens: dict[str, str | None] = {
        "anonymous": None,
        "citizen": issuer.issue(
            AccessLevel.CITIZEN, subject=APPLICANT.id, eid_level=2, ttl=day
        ),
        "officer": issuer.issue(
            AccessLevel.OFFICER,
            subject="bench-specialist",
            agency=DEPARTMENT,
            department=FORWARD_TO.department,
            roles=[Role.SPECIALIST],
            ttl=day,
        ),
    }
    return code, tokens


def _check(target: _Target, query: Query) -> None:
    """One request first: the answer must be data, not an error."""
    token = target.tokens[query.who]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        target.url, json=query.body(target.code), headers=headers, timeout=10
    )
    body = response.json()
    data = (body.get("data") or {}).get(query.name)
    if response.status_code != 200 or body.get("errors") or not data:
        raise RuntimeError(f"{query.name} answered {response.text[:300]}")


@contextmanager
def _stores(
    topology: Topology,
    directory: Path,
    database_url: str | None,
    extra: Mapping[str, str] = {},
) -> Iterator[Settings]:
    options = {
        "LOOKUP_RATE_LIMIT": "1000000000",
        "WORKERS": str(topology.workers),
        **extra,
    }
    if topology.store == "sqlite":
        yield Settings(
            database_url=f"sqlite:///{directory / 'motcua.db'}",
            data_dir=directory,
            options=options,
        )
        return
    from api.bench.servers.redis import TemporaryRedis
    from api.bench.write import _scratch_database

    with (
        _scratch_database(database_url, keep=False) as (url, _),
        TemporaryRedis() as redis,
    ):
        yield Settings(
            database_url=url, redis_url=redis.url, data_dir=directory, options=options
        )


@contextmanager
def _serve(
    topology: Topology, settings: Settings, directory: Path
) -> Iterator[tuple[str, str, int]]:
    """``motcua serve`` (and ``motcua projector`` on PostgreSQL) and the bare
    route; yields their URLs and the serve process's id once every worker has
    started and nothing lags."""
    env = motcua_env(settings)
    app_port, bare_port = find_free_port(), find_free_port()
    with ExitStack() as stack:
        if topology.store == "postgres":
            log = directory / "projector.log"
            stack.enter_context(
                process(python_module("api.cli", "projector"), env, log)
            )
        serve_log = directory / "serve.log"
        serve = stack.enter_context(
            process(
                python_module(
                    "api.cli",
                    "serve",
                    "--port",
                    str(app_port),
                    "--workers",
                    str(topology.workers),
                ),
                env,
                serve_log,
            )
        )
        bare_log = directory / "bare.log"
        bare = stack.enter_context(
            process(
                python_module("api.bench.bare", str(bare_port), str(topology.workers)),
                env,
                bare_log,
            )
        )
        app_url = f"http://127.0.0.1:{app_port}"
        started = "Application startup complete."
        wait_until(
            f"{app_url}/readyz",
            serve,
            serve_log,
            started=started,
            count=topology.workers,
        )
        bare_url = f"http://127.0.0.1:{bare_port}"
        wait_until(f"{bare_url}/docs", bare, bare_log)
        _wait_projected(app_url)
        yield app_url, bare_url, serve.pid


def _wait_projected(app_url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = httpx.get(f"{app_url}/readyz", timeout=5).json()
        if body.get("maxLag") == 0 and body.get("logPosition", 0) > 0:
            return
        time.sleep(0.2)
    raise RuntimeError("the read models did not catch up with the seeded log")


def measure_topology(
    topology: Topology,
    *,
    connections: tuple[int, ...],
    seconds: float,
    rounds: int,
    database_url: str | None = None,
    options: Mapping[str, str] = {},
) -> list[Sample]:
    """``options``: more ``MOTCUA_*`` settings (without the prefix) for the
    served product, e.g. ``{"GRAPHQL_FAST_PATH": "n"}``."""
    require_wrk()
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="motcua-bench-lookup-") as name:
        directory = Path(name)
        with _stores(topology, directory, database_url, options) as settings:
            code, tokens = _seed(settings)
            with _serve(topology, settings, directory) as (app_url, bare_url, pid):
                target = _Target(f"{app_url}/graphql", code, tokens, pid)
                reference_body = QUERIES[0].body(code)
                for query in QUERIES:
                    _check(target, query)
                warm = min(seconds, 1.0)
                for query in QUERIES:  # warm-up: caches, connections, JIT-free paths
                    run_wrk(
                        target.url,
                        query.body(code),
                        token=tokens[query.who],
                        connections=8,
                        seconds=warm,
                    )
                run_wrk(
                    f"{bare_url}/lookup",
                    reference_body,
                    token=None,
                    connections=8,
                    seconds=warm,
                )
                for index in range(rounds):
                    for count in connections:
                        samples += _round(target, bare_url, index, count, seconds)
                for query in QUERIES:
                    _check(target, query)
    return samples


def _round(
    target: _Target, bare_url: str, index: int, count: int, seconds: float
) -> list[Sample]:
    """The reference before the app queries in even rounds, after in odd ones."""

    def bare() -> WrkResult:
        body = QUERIES[0].body(target.code)
        return run_wrk(
            f"{bare_url}/lookup", body, token=None, connections=count, seconds=seconds
        )

    def app(query: Query) -> tuple[WrkResult, float]:
        before = tree_cpu_seconds(target.serve_pid)
        result = run_wrk(
            target.url,
            query.body(target.code),
            token=target.tokens[query.who],
            connections=count,
            seconds=seconds,
        )
        spent = tree_cpu_seconds(target.serve_pid) - before
        return result, 1e6 * spent / max(1, result.requests)

    first = bare() if index % 2 == 0 else None
    apps = {q.name: app(q) for q in QUERIES}
    reference = first if first is not None else bare()
    return [
        Sample(name, count, index, result, reference, cpu)
        for name, (result, cpu) in apps.items()
    ]


def figures(topology: Topology, samples: list[Sample]) -> list[Figure]:
    out: list[Figure] = []
    for query in QUERIES:
        for count in sorted({s.connections for s in samples}):
            mine = [
                s for s in samples if s.query == query.name and s.connections == count
            ]
            if not mine:
                continue
            ratio = statistics.median(s.app.rate / s.reference.rate for s in mine)
            p99 = statistics.median(s.app.p99_ms for s in mine)
            failures = sum(s.app.errors + s.app.non_2xx for s in mine)
            out.append(
                Figure(
                    topology=topology.name,
                    query=query.name,
                    who=query.who,
                    connections=count,
                    app=statistics.median(s.app.rate for s in mine),
                    reference=statistics.median(s.reference.rate for s in mine),
                    ratio=ratio,
                    p50_ms=statistics.median(s.app.p50_ms for s in mine),
                    p99_ms=p99,
                    reference_p50_ms=statistics.median(
                        s.reference.p50_ms for s in mine
                    ),
                    reference_p99_ms=statistics.median(
                        s.reference.p99_ms for s in mine
                    ),
                    failures=failures,
                    cpu_us=statistics.median(s.cpu_us for s in mine),
                )
            )
    return out


def run_lookup_benchmark(
    topologies: tuple[Topology, ...],
    *,
    connections: tuple[int, ...] = (8, 32),
    seconds: float = 5.0,
    rounds: int = 3,
    database_url: str | None = None,
    options: Mapping[str, str] = {},
) -> BenchReport:
    """``options``: more settings for the served product (``measure_topology``)."""
    every: list[Figure] = []
    headline: list[RoundReport] = []
    for index, topology in enumerate(topologies):
        samples = measure_topology(
            topology,
            connections=connections,
            seconds=seconds,
            rounds=rounds,
            database_url=database_url,
            options=options,
        )
        every += figures(topology, samples)
        if index == 0:
            most = max(connections)
            headline = [
                RoundReport(
                    app=s.app.rate,
                    reference=s.reference.rate,
                    order="reference,app" if s.round % 2 == 0 else "app,reference",
                )
                for s in samples
                if s.query == QUERIES[0].name and s.connections == most
            ]
    return BenchReport(
        name="lookup",
        app=statistics.median(r.app for r in headline),
        reference=statistics.median(r.reference for r in headline),
        ratio=statistics.median(r.ratio for r in headline),
        rounds=tuple(headline),
        unit=(
            f"requests/s, anonymous dossierStatus at {max(connections)} connections "
            f"on {topologies[0].name} (reference: bare FastAPI JSON route)"
        ),
        notes=(
            f"wrk (1 thread) drives `motcua serve` (JSON access log to a file) and "
            f"`uvicorn api.bench.bare:app` (same workers), {seconds:g} s per "
            f"measurement, {rounds} round(s), reference and app alternate",
            "figures: per topology, query and connections — median req/s, p50/p99 "
            "ms, ratio to the reference in the same round, CPU of the served "
            "processes per request (µs)",
            *(
                [
                    "settings: "
                    + ", ".join(f"MOTCUA_{k}={v}" for k, v in sorted(options.items()))
                ]
                if options
                else []
            ),
        ),
        figures=tuple(every),
    )
