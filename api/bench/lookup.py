"""Lookups as users get them: ``motcua serve`` under ``wrk`` vs a bare FastAPI route.

The product runs as ``motcua serve`` (its own process, production logging: a
JSON access line per request, to a file) and the reference as a bare FastAPI
JSON route under ``uvicorn`` (its own process, same worker count, no access
log); ``wrk`` — an external generator, not Python — drives both, in
alternating order per round. Reported per query and connection count: req/s,
p50 and p99 latency, and the ratio to the reference at the same connection
count in the same round (median over rounds).

With ``writes_per_second`` > 0 a writer process (``api.bench.steady_writes``)
sends officer mutations over GraphQL to the same served product at that rate
while ``wrk`` reads: half of the new dossiers belong to the looked-up citizen
and are forwarded into the looked-up officer's department (their pages are
dropped by every such change), half to another citizen and department (a
change a per-audience invalidation passes over). Each app figure then also
carries the achieved write rate and the page cache's hit rate over the
measurement, read from every worker's ``/metrics`` before and after.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapters.settings import Settings
from api.auth import AccessLevel, AuthSettings, TokenIssuer
from api.bench.catalogue import (
    ADMIN,
    APPLICANT,
    CONSTRUCTION,
    DEPARTMENT,
    DESK,
    FORWARD_TO,
    OTHER_APPLICANT,
    PROCEDURE,
    START,
    bench_procedure,
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
from domain.values import AgencyCode, Role

DOSSIERS = 20
#: The writer's dossiers that reach no looked-up page: another citizen's,
#: under a procedure whose competent agency is another department.
ELSEWHERE_PROCEDURE = "9.900002"
ELSEWHERE_DEPARTMENT = "PKT"


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
    request of ``app``: steadier than req/s on a loaded machine (with
    writes, theirs is included)."""
    pages: Counter[str] = dataclasses.field(default_factory=Counter)
    """The page cache's outcomes for this query's page kind over the
    measurement, summed over the workers (``hit``, ``miss``, ...)."""
    writes: float | None = None
    """Commands acknowledged per second by the writer meanwhile."""
    write_failures: int = 0

    @property
    def hit_rate(self) -> float | None:
        """Requests that found their page kept (of all that asked)."""
        asked = self.pages["hit"] + self.pages["miss"]
        return self.pages["hit"] / asked if asked else None

    @property
    def joined_rate(self) -> float | None:
        """Requests that missed but were answered by another's build."""
        asked = self.pages["hit"] + self.pages["miss"]
        return self.pages["joined"] / asked if asked else None


@dataclass
class _Target:
    url: str
    code: str
    tokens: dict[str, str | None]
    serve_pid: int
    workers: int = 1
    writes_per_second: float = 0.0

    @property
    def base(self) -> str:
        return self.url.removesuffix("/graphql")


def _seed(settings: Settings) -> tuple[str, dict[str, str | None]]:
    onestop = build_application(settings)
    try:
        seed_bench_catalogue(onestop)
        onestop.publish_procedure(
            trace=trace_for(ADMIN, at=START - timedelta(days=7)),
            definition=dataclasses.replace(
                bench_procedure(),
                code=ELSEWHERE_PROCEDURE,
                competent_agency=AgencyCode(CONSTRUCTION),
            ),
        )
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
        "desk": issuer.issue(
            AccessLevel.OFFICER,
            subject=DESK.id,
            agency=DESK.agency_code,
            department=DESK.department,
            roles=[Role.DESK],
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
    writes_per_second: float = 0.0,
) -> list[Sample]:
    """``options``: more ``MOTCUA_*`` settings (without the prefix) for the
    served product, e.g. ``{"GRAPHQL_FAST_PATH": "n"}``; ``writes_per_second``:
    officer commands sent meanwhile by a writer process (0: none)."""
    require_wrk()
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="motcua-bench-lookup-") as name:
        directory = Path(name)
        with _stores(topology, directory, database_url, options) as settings:
            code, tokens = _seed(settings)
            with _serve(topology, settings, directory) as (app_url, bare_url, pid):
                target = _Target(
                    f"{app_url}/graphql",
                    code,
                    tokens,
                    pid,
                    topology.workers,
                    writes_per_second,
                )
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

    def app(query: Query) -> Sample:
        pages = page_counts(target.base, target.workers)
        with ExitStack() as stack:
            writer = (
                stack.enter_context(_writing(target))
                if target.writes_per_second > 0
                else None
            )
            before = tree_cpu_seconds(target.serve_pid)
            result = run_wrk(
                target.url,
                query.body(target.code),
                token=target.tokens[query.who],
                connections=count,
                seconds=seconds,
            )
            spent = tree_cpu_seconds(target.serve_pid) - before
        outcomes = _difference(page_counts(target.base, target.workers), pages)
        written = None if writer is None else writer.result
        return Sample(
            query.name,
            count,
            index,
            result,
            result,  # replaced by the round's reference below
            1e6 * spent / max(1, result.requests),
            Counter({o: n for (o, kind), n in outcomes.items() if kind == query.name}),
            None if written is None else written["commands"] / written["seconds"],
            0 if written is None else written["failures"],
        )

    first = bare() if index % 2 == 0 else None
    apps = [app(q) for q in QUERIES]
    reference = first if first is not None else bare()
    return [dataclasses.replace(sample, reference=reference) for sample in apps]


Outcomes = Counter[tuple[str, str]]


def page_counts(base_url: str, workers: int, tries: int = 200) -> dict[int, Outcomes]:
    """Each worker's ``motcua_page_cache_total`` by (outcome, page), by pid.

    Every worker answers ``/metrics`` for itself: ask on new connections
    until each of ``workers`` has answered (the kernel hands connections to
    whichever worker accepts first). Without a page cache: nothing."""
    seen: dict[int, Outcomes] = {}
    for _ in range(tries):
        text = httpx.get(f"{base_url}/metrics", timeout=10).text
        pid, counts = None, Counter[tuple[str, str]]()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "motcua_worker_pid":
                    pid = int(sample.value)
                elif sample.name == "motcua_page_cache_total":
                    labels = sample.labels
                    counts[labels["outcome"], labels["page"]] = int(sample.value)
        if pid is None:
            return {}
        seen[pid] = counts
        if len(seen) >= workers:
            break
    return seen


def _difference(after: dict[int, Outcomes], before: dict[int, Outcomes]) -> Outcomes:
    """Summed over workers; a worker that restarted counts from zero."""
    total = Counter[tuple[str, str]]()
    for pid, counts in after.items():
        total.update(counts)
        total.subtract(before.get(pid, Counter()))
    return +total


@dataclass
class _Writing:
    result: dict[str, Any] | None = None


def writer_job(target: _Target) -> dict[str, Any]:
    """Half the dossiers reach the looked-up pages, half reach none."""
    return {
        "url": target.base,
        "token": target.tokens["desk"],
        "rate": target.writes_per_second,
        "connections": min(16, 2 + math.floor(target.writes_per_second / 20)),
        "targets": [
            {
                "procedure": PROCEDURE,
                "applicant_id": APPLICANT.id,
                "name": APPLICANT.name,
                "to": FORWARD_TO.agency_code,
                "department": FORWARD_TO.department,
            },
            {
                "procedure": ELSEWHERE_PROCEDURE,
                "applicant_id": OTHER_APPLICANT.id,
                "name": OTHER_APPLICANT.name,
                "to": CONSTRUCTION,
                "department": ELSEWHERE_DEPARTMENT,
            },
        ],
    }


@contextmanager
def _writing(target: _Target) -> Iterator[_Writing]:
    """The writer process for the body of the ``with``; its result after."""
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.bench.steady_writes",
            json.dumps(writer_job(target)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    outcome = _Writing()
    try:
        if writer.stdout.readline().strip() != "ready":
            raise RuntimeError(
                f"writer did not start: {writer.communicate()[1][-2000:]}"
            )
        yield outcome
        out, err = writer.communicate("", timeout=120)
        if writer.returncode != 0:
            raise RuntimeError(f"writer failed: {err[-2000:]}")
        outcome.result = json.loads(out.strip().splitlines()[-1])
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()


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
                    hit_rate=_median_of(s.hit_rate for s in mine),
                    joined_rate=_median_of(s.joined_rate for s in mine),
                    writes_per_second=_median_of(s.writes for s in mine),
                    write_failures=sum(s.write_failures for s in mine),
                )
            )
    return out


def _median_of(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def run_lookup_benchmark(
    topologies: tuple[Topology, ...],
    *,
    connections: tuple[int, ...] = (8, 32),
    seconds: float = 5.0,
    rounds: int = 3,
    database_url: str | None = None,
    options: Mapping[str, str] = {},
    writes_per_second: float = 0.0,
) -> BenchReport:
    """``options``: more settings for the served product; ``writes_per_second``:
    officer commands meanwhile (``measure_topology``)."""
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
            writes_per_second=writes_per_second,
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
            "processes per request (µs), the page cache's hit rate (authenticated "
            "pages, every worker's /metrics before and after)",
            (
                f"writes: {writes_per_second:g} officer commands/s asked over "
                "GraphQL by a writer process while wrk reads (receive + forward; "
                "half the dossiers the looked-up citizen's, into the officer's "
                "department; half another citizen's, elsewhere); figures carry "
                "the achieved rate"
                if writes_per_second > 0
                else "writes: none (read-only)"
            ),
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
