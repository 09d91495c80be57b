"""``motcua bench audit``: verification throughput and as-of latency.

A scratch SQLite log (bench catalogue, ``dossiers`` dossiers received and
forwarded, one dossier with 20 events) is sealed once; then, alternating in
each round:

- ``motcua audit verify``'s walk (``verify_log``: per-stream chain, seal,
  checkpoints) in events/s, against
- the reference: SHA-256 over the same stored bytes in a tight loop, as many
  hashes per event as the walk computes (stream hash + row hash), bytes
  already in memory.

Also the latency of ``dossier_history`` (as-of reconstruction from the log)
for the 20-event dossier at random instants: median and p99; the size of
that dossier's proofs to its checkpoint (Merkle audit paths) against the
running-hash proof the bundle carried before (every row hash from the
dossier's first event to the checkpoint); and the access log's ``record``
rate with and without ``fdatasync`` per record (MOTCUA_ACCESS_LOG_SYNC),
alternating, on the bench's temporary directory.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.audit_keys import FileCheckpointSigner
from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from api.access_log import AccessJournal
from api.bench.catalogue import (
    APPLICANT,
    DEPARTMENT,
    DESK,
    FORWARD_TO,
    PROCEDURE,
    START,
    seed_bench_catalogue,
)
from api.bench.report import BenchReport, RoundReport
from api.evidence_proof import build_proofs
from application.clock import trace_for
from application.history import dossier_history
from application.onestop import OneStop
from domain.dossier_values import Holder
from projections.audit_verify import log_notifications, verify_log
from projections.seal import SEAL, Sealer, checkpoints

NAME = "audit"
UNIT = "events/s verified (reference: the same bytes hashed with SHA-256 in a loop)"
LONG_DOSSIER_EVENTS = 20


def run_audit_benchmark(*, dossiers: int, rounds: int, samples: int) -> BenchReport:
    with tempfile.TemporaryDirectory(prefix="motcua-bench-audit-") as directory:
        path = Path(directory) / "audit.db"
        app = OneStop(env=persistence_env(f"sqlite:///{path}"))
        store = SQLiteReadStore(str(path))
        try:
            first_id, long_id = _populate(app, dossiers)
            sealer = Sealer(
                app,
                store,
                FileCheckpointSigner(Path(directory)),
                checkpoint_events=10**8,
            )
            sealer.catch_up()
            sealer.checkpoint()  # one span over the whole log
            proof = _proof_sizes(store, long_id)
            early = _proof_sizes(store, first_id)
            payloads = [bytes(n.state) for n in log_notifications(app)]
            measured: list[RoundReport] = []
            for index in range(rounds):
                first = index % 2 == 0
                if first:
                    app_rate = _verify_rate(app, store)
                    raw_rate = _hash_rate(payloads)
                else:
                    raw_rate = _hash_rate(payloads)
                    app_rate = _verify_rate(app, store)
                measured.append(
                    RoundReport(
                        app_rate,
                        raw_rate,
                        "app,reference" if first else "reference,app",
                    )
                )
            latencies = _as_of_latencies(app, long_id, samples)
            syncing = _access_log_rates(Path(directory), store, rounds)
        finally:
            app.close()
            store.close()
    app_median = statistics.median(r.app for r in measured)
    ref_median = statistics.median(r.reference for r in measured)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return BenchReport(
        name=NAME,
        app=app_median,
        reference=ref_median,
        ratio=app_median / ref_median,
        rounds=tuple(measured),
        unit=UNIT,
        notes=(
            f"log: {len(payloads)} events ({dossiers} dossiers + one of "
            f"{LONG_DOSSIER_EVENTS} events), SQLite, sealed; verify walks chain, "
            "seal and checkpoints from the database",
            f"as-of reconstruction of the {LONG_DOSSIER_EVENTS}-event dossier "
            f"(dossier_history at random instants, {len(latencies)} samples): "
            f"median {statistics.median(latencies):.2f} ms, p99 {p99:.2f} ms",
            f"proofs to the checkpoint (one span of {proof[2]} rows), Merkle "
            "audit paths vs the running-hash proof (every row hash from the "
            f"dossier's first event on): the log's first dossier (2 events) "
            f"{early[0]} hashes (at most {early[3]} per event) vs {early[1]:,}; "
            f"the {LONG_DOSSIER_EVENTS}-event dossier at the log's end {proof[0]} "
            f"(at most {proof[3]} per event) vs {proof[1]}",
            f"access log record (one line): {syncing[0]:,.0f}/s in the kernel vs "
            f"{syncing[1]:,.0f}/s with fdatasync per record "
            f"(MOTCUA_ACCESS_LOG_SYNC=y), median of {rounds} alternating rounds",
            f"median of {rounds} rounds, sides alternating",
        ),
    )


def _populate(app: OneStop, dossiers: int) -> tuple[Any, Any]:
    seed_bench_catalogue(app)
    first = None
    for index in range(dossiers):
        at = START + timedelta(days=7 * (index // 5000), minutes=index % 5000)
        reception = app.receive_dossier(
            trace=trace_for(DESK, at=at), applicant=APPLICANT, procedure_code=PROCEDURE
        )
        app.forward_dossier(
            reception.dossier_id, trace=trace_for(DESK, at=at), to=FORWARD_TO
        )
        first = first or reception.dossier_id
    at = START + timedelta(hours=2)
    reception = app.receive_dossier(
        trace=trace_for(DESK, at=at), applicant=APPLICANT, procedure_code=PROCEDURE
    )
    other = Holder(DEPARTMENT, "VP")
    for step in range(LONG_DOSSIER_EVENTS - 1):
        app.forward_dossier(
            reception.dossier_id,
            trace=trace_for(DESK, at=at),
            to=FORWARD_TO if step % 2 == 0 else other,
        )
    return first, reception.dossier_id


def _proof_sizes(store: SQLiteReadStore, dossier_id: Any) -> tuple[int, int, int, int]:
    """(Merkle hashes, running-proof hashes, span rows, longest path)."""
    rows = store.query(
        f"SELECT position FROM {SEAL} WHERE originator_id = ?", (str(dossier_id),)
    )
    positions = sorted(int(r[0]) for r in rows)
    with store.transaction() as sql:
        made = checkpoints(sql)
    proofs, used = build_proofs(store, positions, made)
    paths = [len(p["merkle"]["path"]) for p in proofs]
    span = used[-1].position - (used[-1].span_start or 1) + 1
    running = used[-1].position - positions[0] + 2  # rows + the hash before
    return sum(paths), running, span, max(paths)


def _access_log_rates(
    directory: Path, store: SQLiteReadStore, rounds: int
) -> tuple[float, float]:
    count = 300
    rates: dict[bool, list[float]] = {False: [], True: []}
    for index in range(rounds):
        for sync in (False, True) if index % 2 == 0 else (True, False):
            journal = AccessJournal(
                directory / f"spool-{index}-{sync}", store, sync=sync
            )
            try:
                started = time.perf_counter()
                for n in range(count):
                    journal.record(
                        f"dossier-{n}",
                        actor_id="officer-1",
                        role="desk",
                        agency_code="000.00.00.H34",
                        department=None,
                        purpose="bench",
                    )
                rates[sync].append(count / (time.perf_counter() - started))
            finally:
                journal.close()
    return statistics.median(rates[False]), statistics.median(rates[True])


def _verify_rate(app: OneStop, store: SQLiteReadStore) -> float:
    started = time.perf_counter()
    report = verify_log(app, store)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the bench log does not verify: {report.first}")
    return report.events / elapsed


def _hash_rate(payloads: list[bytes]) -> float:
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for payload in payloads:
        sha256(payload).digest()
        sha256(payload).digest()
    return len(payloads) / (time.perf_counter() - started)


def _as_of_latencies(app: OneStop, dossier_id: Any, samples: int) -> list[float]:
    events: list[Any] = list(app.events.get(dossier_id))
    first, last = events[0].timestamp, events[-1].timestamp
    span = (last - first).total_seconds()
    chooser = random.Random(7)
    latencies = []
    for _ in range(samples):
        moment = first + timedelta(seconds=chooser.uniform(0, span))
        started = time.perf_counter()
        dossier_history(app, dossier_id, moment)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies
