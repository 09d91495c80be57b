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
from api.bench.lag_stages import (
    Batch,
    Sighting,
    breakdown,
    freshness_ms,
    percentile,
    read_batches,
    trace,
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
#: Commands at the rate before the measured rounds, not counted: the first
#: ones after the processes start meet their one-time work (the sealer's first
#: signed checkpoint builds the development PKI; first queries, connections).
WARMUP_SECONDS = 2.0


@dataclass(frozen=True)
class LagRound:
    sightings: tuple[Sighting, ...]
    commands: int
    seconds: float

    @property
    def lags_ms(self) -> list[float]:
        """Commit → the first lookup answer showing the new status (``inf``
        when it never showed)."""
        return [(s.seen - s.committed) * 1000 for s in self.sightings]

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
    warmup: float = WARMUP_SECONDS,
) -> BenchReport:
    if rate <= 0 or seconds <= 0 or rounds < 1 or warmup < 0:
        raise ValueError("rate and seconds must be > 0, rounds ≥ 1, warmup ≥ 0")
    per_round = max(1, int(rate * seconds))
    warm = int(rate * warmup)
    with (
        _scratch_database(database_url, keep=False) as (url, server),
        _redis(redis_url) as redis,
        tempfile.TemporaryDirectory(prefix="motcua-lag-") as scratch,
    ):
        app = OneStop(env=persistence_env(url))
        try:
            seed_bench_catalogue(app)
            dossiers = _received(app, warm + per_round * rounds)
            timings = Path(scratch) / "timings.jsonl"
            with _topology(url, redis, Path(scratch), timings) as base:
                floor = _lookup_floor(base, dossiers[0][1])
                if warm:
                    _round(app, base, dossiers[:warm], rate)
                dossiers = dossiers[warm:]
                measured = [
                    _round(
                        app, base, dossiers[i * per_round : (i + 1) * per_round], rate
                    )
                    for i in range(rounds)
                ]
            batches = read_batches(timings)
        finally:
            app.close()
    return _report(measured, batches, floor, rate, server)


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
def _topology(url: str, redis: str, scratch: Path, timings: Path) -> Iterator[str]:
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
        process(
            motcua("projector", "--timings", str(timings)),
            env,
            scratch / "projector.log",
        ),
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
        self._pending: dict[str, _Watched] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.sightings: list[Sighting] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def watch(self, code: str, dossier: UUID, issued: float, committed: float) -> None:
        with self._lock:
            self._pending[code] = _Watched(str(dossier), issued, committed)

    def _run(self) -> None:
        with httpx.Client(base_url=self._base, timeout=10) as client:
            while not (self._stop.is_set() and not self._pending):
                with self._lock:
                    batch = list(self._pending.items())[:_PER_REQUEST]
                if not batch:
                    time.sleep(POLL_SECONDS)
                    continue
                asked = time.monotonic()
                shown = self._ask(client, [code for code, _ in batch])
                now = time.monotonic()
                with self._lock:
                    for code, watched in batch:
                        if shown.get(code) == "IN_PROGRESS":
                            seen = now
                        elif now - watched.committed > GIVE_UP_SECONDS:
                            seen = float("inf")
                        else:
                            watched.missed = asked
                            continue
                        self.sightings.append(
                            Sighting(
                                watched.dossier,
                                watched.issued,
                                watched.committed,
                                seen,
                                asked,
                                watched.missed,
                            )
                        )
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

    def finish(self) -> list[Sighting]:
        self._stop.set()
        self._thread.join(timeout=GIVE_UP_SECONDS + 10)
        return self.sightings


@dataclass
class _Watched:
    dossier: str
    issued: float
    committed: float
    missed: float | None = None


def _round(
    app: OneStop, base: str, dossiers: list[tuple[UUID, str]], rate: float
) -> LagRound:
    prober = _Prober(base)
    try:
        started = time.monotonic()
        for index, (dossier_id, code) in enumerate(dossiers):
            pause = started + index / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            issued = time.monotonic()
            app.forward_dossier(
                dossier_id,
                trace=trace_for(DESK, at=START + timedelta(days=1, seconds=index)),
                to=FORWARD_TO,
            )
            prober.watch(code, dossier_id, issued, time.monotonic())
        elapsed = time.monotonic() - started
    finally:
        sightings = prober.finish()
    return LagRound(tuple(sightings), len(dossiers), elapsed)


def _report(
    measured: list[LagRound],
    batches: list[Batch],
    floor: float,
    rate: float,
    server: str,
) -> BenchReport:
    fresh = [freshness_ms(r.sightings, batches) for r in measured]
    p99 = statistics.median(percentile(f, 0.99) for f in fresh)
    p50 = statistics.median(percentile(f, 0.50) for f in fresh)
    raw99 = statistics.median(r.percentile(0.99) for r in measured)
    raw50 = statistics.median(r.percentile(0.50) for r in measured)
    lost = sum(1 for r in measured for lag in r.lags_ms if lag == float("inf"))
    traced = trace([s for r in measured for s in r.sightings], batches)
    visible = [t.visible_ms for t in traced]
    inconsistent = sum(1 for t in traced if not t.consistent)
    stale = max((t.stale_ms for t in traced), default=0.0)
    return BenchReport(
        name="lag",
        app=p99,
        reference=floor,
        ratio=p99 / floor,
        rounds=tuple(
            RoundReport(app=percentile(f, 0.99), reference=floor) for f in fresh
        ),
        unit="ms p99 from a command's commit to the new status visible through "
        "dossierStatus, plus one whole lookup round trip (reference: one lookup "
        "round trip alone, median, same run; lower is better)",
        notes=(
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (medians over rounds); "
            f"never seen: {lost}",
            f"commit → visible (the read models' commit, after the cache "
            f"tombstones; lookups sent later that still showed the old status: "
            f"{inconsistent}, the latest {stale:.1f} ms after it): p50 {percentile(visible, 0.5):.1f}, p99 "
            f"{percentile(visible, 0.99):.1f} ms; {len(traced)} commands joined "
            "with the projector's batch timings (`--timings`)",
            f"as the prober saw it (also waiting for its lookup in flight): "
            f"p50 {raw50:.1f}, p99 {raw99:.1f} ms; max "
            f"{max(max(r.lags_ms) for r in measured):.1f} ms",
            breakdown(traced),
            f"{sum(r.commands for r in measured)} forwards at {rate:g}/s asked, "
            f"{statistics.median(r.rate for r in measured):.0f}/s achieved, after "
            f"{WARMUP_SECONDS:g} s not measured; one lookup round trip alone: "
            f"{floor:.1f} ms median; one probe request in flight, asking for "
            "every command not seen yet",
            "topology: motcua serve + motcua projector as processes, PostgreSQL "
            f"({server}), Redis",
        ),
    )
