"""Projection rebuild (events/s) vs a raw sequential read of the events table.

The log is a realistic demo province written once; each round drops every read
model and rebuilds them all with the batched runtime, and reads the events
table sequentially with plain psycopg, in alternating order.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.settings import Settings
from api.bench.report import BenchReport, RoundReport
from api.bench.write import _scratch_database
from api.wiring import build_application, build_read_store
from projections.groups import split
from projections.registry import READ_MODELS
from projections.runtime import TRACKING, Projector
from projections.supervisor import run_once

VN = ZoneInfo("Asia/Ho_Chi_Minh")


MEMORY_COPIES = 9
"""Copies of the log's dossiers and documents added after the timed rounds, to
show the projector's peak memory does not grow with the number of events."""


def run_project_benchmark(
    database_url: str | None,
    *,
    dossiers: int,
    rounds: int,
    batch_size: int = 1000,
    memory_copies: int = MEMORY_COPIES,
    processes: int = 1,
) -> BenchReport:
    if dossiers < 1 or rounds < 1 or processes < 1:
        raise ValueError("dossiers, rounds and processes must be ≥ 1")
    groups = split(list(READ_MODELS), processes)
    with _scratch_database(database_url, keep=False) as (url, server):
        settings = Settings(database_url=url)
        app = build_application(settings)
        try:
            end = date(2026, 10, 31)
            seed_province(
                app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2025, 2028)
            )
            Simulation(app, seed=1, start=end - timedelta(days=120), end=end).run(
                dossiers, lambda _: None
            )
            events = app.recorder.max_notification_id() or 0
        finally:
            app.close()
        small = _rebuild_in_own_process(url, batch_size, groups)
        measured: list[RoundReport] = []
        runs: list[Rebuilt] = []
        for index in range(rounds):
            first_app = index % 2 == 0
            app_rate = reference = 0.0
            for side in ("app", "raw") if first_app else ("raw", "app"):
                if side == "app":
                    run = _rebuild_in_own_process(url, batch_size, groups)
                    runs.append(run)
                    app_rate = events / run.wall
                else:
                    reference = events / _raw_scan(url, events)
            measured.append(
                RoundReport(
                    app=app_rate,
                    reference=reference,
                    order="app,reference" if first_app else "reference,app",
                )
            )
        grown = _grow_log(url, memory_copies)
        large = _rebuild_in_own_process(url, batch_size, groups)
    app_median = statistics.median(r.app for r in measured)
    per_group = [
        f"group {i + 1} ({', '.join(g)}): "
        f"{statistics.median(events / r.groups[i].wall for r in runs):,.0f} events/s, "
        f"{statistics.median(r.groups[i].cpu for r in runs) * 1e6 / events:.0f} µs "
        "CPU per event"
        for i, g in enumerate(groups)
    ]
    cpu = statistics.median(sum(g.cpu for g in r.groups) for r in runs)
    return BenchReport(
        name="project",
        app=app_median,
        reference=statistics.median(r.reference for r in measured),
        ratio=statistics.median(r.ratio for r in measured),
        rounds=tuple(measured),
        unit="events/s (reference: sequential psycopg read of the events table)",
        notes=(
            f"{events} events from {dossiers} simulated dossiers; every read model "
            f"({len(READ_MODELS)}) rebuilt from position 0 in {len(groups)} "
            f"process(es), batches of {batch_size}; projector CPU "
            f"{cpu * 1e6 / events:.0f} µs per event (all processes)",
            *per_group,
            f"projector memory: peak RSS {small.peak_mib:.0f} MiB of the largest "
            f"process rebuilding all {events} events ({small.before_mib:.0f} MiB "
            "before it), "
            f"{large.peak_mib:.0f} MiB rebuilding {grown} events (the dossiers and "
            f"documents copied {memory_copies} more times under new ids)",
            f"server: {server}",
        ),
    )


def _grow_log(url: str, copies: int) -> int:
    """Append ``copies`` copies of every dossier's and document's events under
    new, deterministic ids (in log order per copy); returns the new event count.
    Stored states are copied as they are: only the originator id changes."""
    with psycopg.connect(url) as connection:
        connection.execute(
            "INSERT INTO motcua_events (originator_id, originator_version, topic, state) "
            "SELECT md5(e.originator_id::text || ':' || k)::uuid, "
            "e.originator_version, e.topic, e.state "
            "FROM generate_series(1, %s) AS k, motcua_events AS e "
            "WHERE e.originator_id IN (SELECT originator_id FROM motcua_events "
            "WHERE originator_version = 1 AND (topic LIKE 'domain.dossier:%%' "
            "OR topic LIKE 'domain.digitized_document:%%')) "
            "ORDER BY k, e.notification_id",
            (copies,),
        )
        (count,) = connection.execute(
            "SELECT count(*) FROM motcua_events"
        ).fetchone() or (0,)
    return int(count)


@dataclass(frozen=True)
class GroupRun:
    names: tuple[str, ...]
    wall: float
    """Seconds from the group's first batch to its last."""
    cpu: float
    """CPU seconds of the group's process over the same span."""
    rss_before_kib: int
    rss_peak_kib: int


@dataclass(frozen=True)
class Rebuilt:
    wall: float
    """Seconds from the first group's first batch to the last group's last."""
    groups: tuple[GroupRun, ...]

    @property
    def peak_mib(self) -> float:
        return max(g.rss_peak_kib for g in self.groups) / 1024

    @property
    def before_mib(self) -> float:
        return max(g.rss_before_kib for g in self.groups) / 1024


def _rebuild_in_own_process(
    url: str, batch_size: int, groups: Sequence[Sequence[str]]
) -> Rebuilt:
    """Every read model rebuilt from zero by a fresh process that forks one
    child per group (as ``motcua projector`` does): the runtime holds one batch
    at a time, so each child's peak RSS must not grow with the log."""
    program = (
        "import json, sys; from api.bench.project import _measure_rebuild; "
        "print(json.dumps(_measure_rebuild(sys.argv[1], int(sys.argv[2]), "
        "json.loads(sys.argv[3]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, url, str(batch_size), json.dumps(groups)],
        capture_output=True,
        text=True,
        check=True,
    )
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    return Rebuilt(
        wall=raw["wall"],
        groups=tuple(
            GroupRun(
                names=tuple(g["names"]),
                wall=g["wall"],
                cpu=g["cpu"],
                rss_before_kib=g["rss_before_kib"],
                rss_peak_kib=g["rss_peak_kib"],
            )
            for g in raw["groups"]
        ),
    )


def _measure_rebuild(
    url: str, batch_size: int, groups: Sequence[Sequence[str]]
) -> dict[str, Any]:
    _drop_read_models(url, [n for g in groups for n in g])
    runs = run_once(groups, partial(_rebuild_group, url, batch_size))
    # From the first group's first batch to the last group's last (monotonic
    # time is system-wide): each child's start-up is not the rebuild's.
    wall = max(r["ended"] for r in runs) - min(r["started"] for r in runs)
    return {"wall": wall, "groups": runs}


def _drop_read_models(url: str, names: Sequence[str]) -> None:
    """With a plain connection: no pool threads in the process that forks."""
    projections = [READ_MODELS[name]() for name in names]
    with psycopg.connect(url) as connection:
        exists = connection.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (TRACKING,)
        ).fetchone()
        for projection in projections:
            for logical in projection.tables:
                connection.execute(f"DROP TABLE IF EXISTS {projection.table(logical)}")
            if exists and exists[0]:
                connection.execute(
                    f"DELETE FROM {TRACKING} WHERE name = %s",
                    (projection.tracking_name,),
                )


def _rebuild_group(
    url: str, batch_size: int, _index: int, names: list[str], _advance: object
) -> dict[str, Any]:
    settings = Settings(database_url=url)
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        before = _peak_rss_kib()
        projector = Projector(
            app, store, [READ_MODELS[n]() for n in names], batch_size=batch_size
        )
        cpu, started = time.process_time(), time.monotonic()
        projector.catch_up()
        ended, cpu = time.monotonic(), time.process_time() - cpu
        return {
            "names": names,
            "started": started,
            "ended": ended,
            "wall": ended - started,
            "cpu": cpu,
            "rss_before_kib": before,
            "rss_peak_kib": _peak_rss_kib(),
        }
    finally:
        store.close()
        app.close()


def _peak_rss_kib() -> int:
    """This process's own peak: Linux keeps ``ru_maxrss`` across exec, so a
    child would report its parent's peak; ``VmHWM`` starts afresh."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _raw_scan(url: str, expected: int) -> float:
    with psycopg.connect(url) as connection:
        started = time.perf_counter()
        rows = 0
        with connection.cursor(name="bench_scan") as cursor:
            cursor.itersize = 1000
            cursor.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM motcua_events ORDER BY notification_id"
            )
            for _ in cursor:
                rows += 1
        elapsed = time.perf_counter() - started
    if rows < expected * 0.9:
        raise RuntimeError(f"raw scan read {rows} rows, expected about {expected}")
    return elapsed
