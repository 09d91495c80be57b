"""Freshness: from a command's commit to its new status visible to the public.

The production topology as processes: ``motcua serve`` and a separate ``motcua
projector`` on PostgreSQL with Redis. This process issues commands at a steady
rate (a desk forwards received dossiers, RECEIVED → IN_PROGRESS) and, after each
command returned (its transaction committed), asks ``dossierStatus`` over HTTP
every few milliseconds until the new status shows. The lag of a command is
that time; it includes one lookup round trip, measured alone as the floor.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx

from adapters.settings import Settings, persistence_env
from api.bench.catalogue import (
    APPLICANT,
    DESK,
    FORWARD_TO,
    PROCEDURE,
    START,
    seed_bench_catalogue,
)
from api.bench.processes import motcua, motcua_env, process, wait_until
from api.bench.report import BenchReport, RoundReport
from api.bench.servers.base import find_free_port
from api.bench.servers.redis import TemporaryRedis
from api.bench.write import _scratch_database
from api.graphql.schema import MAX_ALIASES
from application.clock import trace_for
from application.onestop import OneStop

STATUS = "query S($code: String!) { dossierStatus(code: $code) { completion } }"
POLL_SECONDS = 0.001
#: Codes asked per probe: one alias each, within the schema's alias limit
#: (more are refused, and every pending code would then look lost).
_PER_REQUEST = MAX_ALIASES
GIVE_UP_SECONDS = 10.0


@dataclass(frozen=True)
class LagRound:
    lags_ms: tuple[float, ...]
    """One per command; ``inf`` when the status never showed."""
    commands: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.commands / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_lag_benchmark(
    database_url: str | None,
    *,
    rate: float,
    seconds: float,
    rounds: int,
    redis_url: str | None = None,
) -> BenchReport:
    if rate <= 0 or seconds <= 0 or rounds < 1:
        raise ValueError("rate and seconds must be > 0, rounds ≥ 1")
    per_round = max(1, int(rate * seconds))
    with (
        _scratch_database(database_url, keep=False) as (url, server),
        _redis(redis_url) as redis,
        tempfile.TemporaryDirectory(prefix="motcua-lag-") as scratch,
    ):
        app = OneStop(env=persistence_env(url))
        try:
            seed_bench_catalogue(app)
            dossiers = _received(app, per_round * rounds)
            with _topology(url, redis, Path(scratch)) as base:
                floor = _lookup_floor(base, dossiers[0][1])
                measured = [
                    _round(
                        app, base, dossiers[i * per_round : (i + 1) * per_round], rate
                    )
                    for i in range(rounds)
                ]
        finally:
            app.close()
    return _report(measured, floor, rate, server)


@contextmanager
def _redis(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    temporary = TemporaryRedis().start()
    try:
        yield temporary.url
    finally:
        temporary.stop()


def _received(app: OneStop, count: int) -> list[tuple[UUID, str]]:
    """Dossiers received at the desk before the measurement (not timed)."""
    found = []
    for index in range(count):
        reception = app.receive_dossier(
            trace=trace_for(DESK, at=START + timedelta(seconds=index)),
            applicant=APPLICANT,
            procedure_code=PROCEDURE,
        )
        found.append((reception.dossier_id, str(reception.code)))
    return found


@contextmanager
def _topology(url: str, redis: str, scratch: Path) -> Iterator[str]:
    """``motcua projector`` and ``motcua serve`` as their own processes."""
    settings = Settings(
        database_url=url,
        redis_url=redis,
        data_dir=scratch,
        options={"LOOKUP_RATE_LIMIT": "1000000000", "LOOKUP_RATE_WINDOW": "1"},
    )
    env = motcua_env(settings)
    port = find_free_port()
    base = f"http://127.0.0.1:{port}"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with (
        process(motcua("projector"), env, scratch / "projector.log"),
        process(motcua(*serve), env, scratch / "serve.log") as server,
    ):
        wait_until(f"{base}/readyz", server, scratch / "serve.log")
        yield base


def _lookup_floor(base: str, code: str, samples: int = 200) -> float:
    """Median milliseconds of one lookup whose answer is not changing."""
    with httpx.Client(base_url=base, timeout=10) as client:
        took = []
        for _ in range(samples):
            started = time.perf_counter()
            client.post("/graphql", json={"query": STATUS, "variables": {"code": code}})
            took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


class _Prober:
    """One thread that keeps a single lookup request in flight: each request
    asks ``dossierStatus`` for every command not yet seen (GraphQL aliases), so
    the probing load stays one request at a time however long the lag."""

    def __init__(self, base: str) -> None:
        self._base = base
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.lags_ms: list[float] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, code: str, committed: float) -> None:
        with self._lock:
            self._pending[code] = committed

    def _run(self) -> None:
        with httpx.Client(base_url=self._base, timeout=10) as client:
            while not (self._stop.is_set() and not self._pending):
                with self._lock:
                    batch = list(self._pending.items())[:_PER_REQUEST]
                if not batch:
                    time.sleep(POLL_SECONDS)
                    continue
                shown = self._ask(client, [code for code, _ in batch])
                now = time.perf_counter()
                with self._lock:
                    for code, committed in batch:
                        if shown.get(code) == "IN_PROGRESS":
                            self.lags_ms.append((now - committed) * 1000)
                        elif now - committed > GIVE_UP_SECONDS:
                            self.lags_ms.append(float("inf"))
                        else:
                            continue
                        del self._pending[code]

    @staticmethod
    def _ask(client: httpx.Client, codes: list[str]) -> dict[str, str]:
        marks = ", ".join(f"$c{i}: String!" for i in range(len(codes)))
        fields = " ".join(
            f"a{i}: dossierStatus(code: $c{i}) {{ completion }}"
            for i in range(len(codes))
        )
        answer = client.post(
            "/graphql",
            json={
                "query": f"query P({marks}) {{ {fields} }}",
                "variables": {f"c{i}": code for i, code in enumerate(codes)},
            },
        )
        data = answer.json().get("data") or {}
        return {
            code: str(found["completion"])
            for i, code in enumerate(codes)
            if (found := data.get(f"a{i}"))
        }

    def finish(self) -> list[float]:
        self._stop.set()
        self._thread.join(timeout=GIVE_UP_SECONDS + 10)
        return self.lags_ms


def _round(
    app: OneStop, base: str, dossiers: list[tuple[UUID, str]], rate: float
) -> LagRound:
    prober = _Prober(base)
    try:
        started = time.perf_counter()
        for index, (dossier_id, code) in enumerate(dossiers):
            pause = started + index / rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            app.forward_dossier(
                dossier_id,
                trace=trace_for(DESK, at=START + timedelta(days=1, seconds=index)),
                to=FORWARD_TO,
            )
            prober.watch(code, time.perf_counter())
        elapsed = time.perf_counter() - started
    finally:
        lags = prober.finish()
    return LagRound(tuple(lags), len(dossiers), elapsed)


def _report(
    measured: list[LagRound], floor: float, rate: float, server: str
) -> BenchReport:
    p99 = statistics.median(r.percentile(0.99) for r in measured)
    p50 = statistics.median(r.percentile(0.50) for r in measured)
    lost = sum(1 for r in measured for lag in r.lags_ms if lag == float("inf"))
    return BenchReport(
        name="lag",
        app=p99,
        reference=floor,
        ratio=p99 / floor,
        rounds=tuple(
            RoundReport(app=r.percentile(0.99), reference=floor) for r in measured
        ),
        unit="ms p99 from commit to the new status via dossierStatus "
        "(reference: one lookup round trip alone, median, same run; lower is "
        "better)",
        notes=(
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (medians over rounds); "
            f"max {max(max(r.lags_ms) for r in measured):.1f} ms; never seen: {lost}",
            f"{sum(r.commands for r in measured)} forwards at {rate:g}/s asked, "
            f"{statistics.median(r.rate for r in measured):.0f}/s achieved; "
            f"each lag includes one lookup round trip (alone: {floor:.1f} ms median); "
            "one probe request in flight, asking for every command not seen yet",
            "topology: motcua serve + motcua projector as processes, PostgreSQL "
            f"({server}), Redis",
        ),
    )
