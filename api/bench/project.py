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
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.settings import Settings
from api.bench.report import BenchReport, RoundReport
from api.bench.write import _scratch_database
from api.wiring import build_application, build_read_store
from application.onestop import OneStop
from projections.ports import ReadStore
from projections.registry import all_projections
from projections.runtime import TRACKING, Projector, ensure_tracking

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
) -> BenchReport:
    if dossiers < 1 or rounds < 1:
        raise ValueError("dossiers and rounds must be ≥ 1")
    with _scratch_database(database_url, keep=False) as (url, server):
        settings = Settings(database_url=url)
        app = build_application(settings)
        store = build_read_store(settings)
        try:
            end = date(2026, 10, 31)
            seed_province(
                app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2025, 2028)
            )
            Simulation(app, seed=1, start=end - timedelta(days=120), end=end).run(
                dossiers, lambda _: None
            )
            events = app.recorder.max_notification_id() or 0
            rss_before, rss_peak = _rebuild_in_own_process(url, batch_size)
            measured: list[RoundReport] = []
            for index in range(rounds):
                first_app = index % 2 == 0
                app_rate = reference = 0.0
                for side in ("app", "raw") if first_app else ("raw", "app"):
                    if side == "app":
                        app_rate = events / _rebuild_all(app, store, batch_size)
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
            _, rss_grown = _rebuild_in_own_process(url, batch_size)
        finally:
            store.close()
            app.close()
    app_median = statistics.median(r.app for r in measured)
    return BenchReport(
        name="project",
        app=app_median,
        reference=statistics.median(r.reference for r in measured),
        ratio=statistics.median(r.ratio for r in measured),
        rounds=tuple(measured),
        unit="events/s (reference: sequential psycopg read of the events table)",
        notes=(
            f"{events} events from {dossiers} simulated dossiers; every read model "
            f"({len(all_projections())}) rebuilt from position 0, batches of {batch_size}",
            f"projector memory: peak RSS {rss_peak / 1024:.0f} MiB of a process "
            f"rebuilding all {events} events ({rss_before / 1024:.0f} MiB before it), "
            f"{rss_grown / 1024:.0f} MiB rebuilding {grown} events (the dossiers and "
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


def _rebuild_all(app: OneStop, store: ReadStore, batch_size: int) -> float:
    projections = all_projections()
    with store.transaction() as sql:
        ensure_tracking(sql)
        for projection in projections:
            projection.drop(sql)
            sql.execute(
                f"DELETE FROM {TRACKING} WHERE name = ?", (projection.tracking_name,)
            )
    projector = Projector(app, store, projections, batch_size=batch_size)
    started = time.perf_counter()
    projector.catch_up()
    return time.perf_counter() - started


def _rebuild_in_own_process(url: str, batch_size: int) -> tuple[int, int]:
    """Peak RSS (KiB) of a fresh process before and after rebuilding everything:
    the runtime holds one batch at a time, so the peak must not grow with the log."""
    program = (
        "import json, sys; from api.bench.project import _measure_rebuild; "
        "print(json.dumps(_measure_rebuild(sys.argv[1], int(sys.argv[2]))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, url, str(batch_size)],
        capture_output=True,
        text=True,
        check=True,
    )
    before, peak = json.loads(done.stdout.strip().splitlines()[-1])
    return int(before), int(peak)


def _measure_rebuild(url: str, batch_size: int) -> tuple[int, int]:
    settings = Settings(database_url=url)
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        before = _peak_rss_kib()
        _rebuild_all(app, store, batch_size)
        return before, _peak_rss_kib()
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
