"""``motcua bench integrate``: the outbox and the legacy import against bare references.

1. **Outbox → JetStream** (events/s): a process of its own runs the integrator's
   ``NatsOutbox`` from position 0 over a simulated province's log (read,
   envelope, publish with ``Nats-Msg-Id``, wait for the batch's acks, move the
   position); the reference, also a process of its own, publishes the same
   number of messages of the same sizes with a bare nats-py ``publish_async``
   loop in batches of the same size, awaiting the acks. Each round uses a
   stream of its own on one ``nats-server -js``.
2. **Legacy import** (events/s): ``LegacyImport`` of the same dossiers exported
   in DVCQG sync format into a fresh database, against ``COPY`` of the very rows
   it wrote into a table shaped like the events table (plain psycopg).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import nats
import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.dvcqg import payloads
from adapters.dvcqg.legacy_import import LegacyImport
from adapters.integration import envelope
from adapters.integration.nats_outbox import NatsOutbox
from adapters.integration.outbox_options import OutboxOptions
from adapters.settings import Settings
from api.bench.report import BenchReport, Figure, RoundReport
from api.bench.servers import (
    ExternalPostgres,
    PostgresServer,
    TemporaryNats,
    TemporaryPostgres,
)
from api.bench.write import is_postgres_url
from api.wiring import build_application, build_read_store
from application.onestop import OneStop

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BATCH = 500


@contextmanager
def _server(database_url: str | None) -> Iterator[tuple[PostgresServer, str]]:
    if database_url is not None and is_postgres_url(database_url):
        yield ExternalPostgres(database_url), "given server"
        return
    temporary = TemporaryPostgres(durable=True).start()
    try:
        yield temporary, "temporary durable server"
    finally:
        temporary.stop()


def _seeded(server: PostgresServer, dossiers: int) -> tuple[str, OneStop]:
    url = server.create_database(f"motcua_bench_{uuid.uuid4().hex[:12]}")
    app = build_application(Settings(database_url=url))
    end = date(2026, 10, 31)
    seed_province(app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2025, 2028))
    if dossiers:
        Simulation(app, seed=1, start=end - timedelta(days=120), end=end).run(
            dossiers, lambda _: None
        )
    return url, app


def run_integrate_benchmark(
    database_url: str | None, *, dossiers: int, rounds: int
) -> BenchReport:
    if dossiers < 1 or rounds < 1:
        raise ValueError("dossiers and rounds must be ≥ 1")
    with _server(database_url) as (server, where), TemporaryNats() as nats_server:
        url, app = _seeded(server, dossiers)
        try:
            events = app.recorder.max_notification_id() or 0
            sizes = _message_sizes(app)
            exported = _exported(app)
        finally:
            app.close()
        publish: list[RoundReport] = []
        for index in range(rounds):
            first_app = index % 2 == 0
            app_rate = reference = 0.0
            for side in ("app", "raw") if first_app else ("raw", "app"):
                province = f"B{(2 * index + (side == 'raw')) % 100:02d}"
                if side == "app":
                    app_rate = events / _in_process(
                        "_outbox_seconds", url, nats_server.url, province
                    )
                else:
                    reference = events / _in_process(
                        "_raw_seconds", nats_server.url, province, json.dumps(sizes)
                    )
            publish.append(
                RoundReport(
                    app_rate,
                    reference,
                    "app,reference" if first_app else "reference,app",
                )
            )
        imports = [_import_round(server, exported) for _ in range(rounds)]
    publish_app = statistics.median(r.app for r in publish)
    publish_ref = statistics.median(r.reference for r in publish)
    import_app = statistics.median(r.app for r in imports)
    import_ref = statistics.median(r.reference for r in imports)
    return BenchReport(
        name="integrate",
        app=publish_app,
        reference=publish_ref,
        ratio=statistics.median(r.ratio for r in publish),
        rounds=tuple(publish),
        unit="events/s published to JetStream (reference: bare nats-py publish_async loop)",
        notes=(
            f"{events} events from {dossiers} simulated dossiers, batches of {BATCH}; "
            "both sides in processes of their own, a stream of their own per round",
            f"legacy import: {import_app:,.0f} events/s vs raw COPY {import_ref:,.0f} "
            f"rows/s (ratio {statistics.median(r.ratio for r in imports):.3f}) — "
            f"{len(exported)} dossiers in DVCQG sync format into a fresh database",
            f"server: {where}",
        ),
        figures=(
            _figure("outbox → JetStream", publish_app, publish_ref),
            _figure("legacy import vs COPY", import_app, import_ref),
        ),
    )


def _figure(query: str, app: float, reference: float) -> Figure:
    return Figure(
        topology="postgres + nats",
        query=query,
        who="system",
        connections=1,
        app=app,
        reference=reference,
        ratio=app / reference if reference else 0.0,
        p50_ms=0.0,
        p99_ms=0.0,
        reference_p50_ms=0.0,
        reference_p99_ms=0.0,
    )


def _message_sizes(app: OneStop) -> list[int]:
    """The body size of every event as the outbox sends it."""
    sizes: list[int] = []
    position = 0
    while True:
        batch = app.recorder.select_notifications(
            start=position, limit=5000, inclusive_of_start=False
        )
        if not batch:
            return sizes
        sizes.extend(len(envelope.body("B00", app.mapper, n)) for n in batch)
        position = batch[-1].id


def _exported(app: OneStop) -> list[dict[str, Any]]:
    links = payloads.Links("https://dvc.example")
    records = []
    for (originator_id,) in _dossier_ids(app):
        events: list[Any] = list(app.events.get(originator_id))
        dossier: Any = None
        for event in events:
            dossier = event.mutate(dossier)
        if dossier is not None and payloads.is_synced(dossier):
            records.append(payloads.dossier_record(dossier, events, links))
    return records


def _dossier_ids(app: OneStop) -> list[tuple[uuid.UUID]]:
    recorder = cast("PostgresApplicationRecorder", app.recorder)
    with (
        recorder.datastore.get_connection() as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} "
            "WHERE topic LIKE 'domain.dossier:Dossier.%'"
        )
        return [(row["originator_id"],) for row in cursor.fetchall()]


def _in_process(function: str, *args: str) -> float:
    program = (
        "import sys; import api.bench.integrate as b; "
        f"print(b.{function}(*sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return float(done.stdout.strip().splitlines()[-1])


class _TimedOutbox(NatsOutbox):
    """Starts the clock once connected, like the reference (which connects and
    creates its stream before timing)."""

    started = 0.0

    async def _connect(self) -> Any:
        connected = await super()._connect()
        if not self.started:
            self.started = time.perf_counter()
        return connected


def _outbox_seconds(url: str, nats_url: str, province: str) -> float:
    """In its own process: publish the whole log from 0; seconds it took."""
    settings = Settings(database_url=url)
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        outbox = _TimedOutbox(
            app, store, OutboxOptions(nats_url, province, batch_size=BATCH)
        )
        outbox.positions.reset(0)
        head = app.recorder.max_notification_id() or 0
        stop = threading.Event()

        def caught_up(_: float) -> None:
            stop.set()

        thread = threading.Thread(
            target=lambda: asyncio.run(outbox.run(stop, caught_up)), daemon=True
        )
        thread.start()
        thread.join(1800)
        elapsed = time.perf_counter() - outbox.started
        if outbox.positions.position() != head or outbox.published != head:
            raise RuntimeError(f"outbox published {outbox.published} of {head} events")
        return elapsed
    finally:
        store.close()
        app.close()


def _raw_seconds(nats_url: str, province: str, sizes_json: str) -> float:
    sizes: list[int] = json.loads(sizes_json)
    return asyncio.run(_raw(nats_url, province, sizes))


async def _raw(nats_url: str, province: str, sizes: list[int]) -> float:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream(publish_async_max_pending=BATCH)
        subject = f"raw.{province}"
        await js.add_stream(name=f"RAW_{province}", subjects=[f"raw.{province}"])
        bodies = [b"x" * size for size in sizes]
        started = time.perf_counter()
        for start in range(0, len(bodies), BATCH):
            pending = [
                await js.publish_async(
                    subject, body, headers={"Nats-Msg-Id": f"{start}-{offset}"}
                )
                for offset, body in enumerate(bodies[start : start + BATCH])
            ]
            await asyncio.gather(*pending)
        return time.perf_counter() - started
    finally:
        await nc.close()


def _import_round(
    server: PostgresServer, exported: list[dict[str, Any]]
) -> RoundReport:
    url, app = _seeded(server, 0)
    try:
        before = app.recorder.max_notification_id() or 0
        started = time.perf_counter()
        report = LegacyImport(app).run(exported)
        elapsed = time.perf_counter() - started
        if report.rejected:
            raise RuntimeError(f"legacy import rejected {report.rejected[:3]}")
        recorder = cast("PostgresApplicationRecorder", app.recorder)
        table = recorder.events_table_name
    finally:
        app.close()
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} "
            "WHERE notification_id > %s ORDER BY notification_id",
            (before,),
        ).fetchall()
        connection.execute(
            f"CREATE TABLE copy_reference (LIKE {table} INCLUDING DEFAULTS)"
        )
        connection.commit()
        started = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY copy_reference (originator_id, originator_version, topic, state) "
                "FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        connection.commit()
        copy_elapsed = time.perf_counter() - started
    return RoundReport(report.events / elapsed, len(rows) / copy_elapsed)
