"""``motcua bench write``: command throughput next to raw INSERT transactions.

The application side drives ``OneStop`` on PostgreSQL: per dossier one
``receive_dossier`` (desk officer) and one ``forward_dossier``, two commands.
The reference side, in the same database and the same process, inserts rows
of the same size as the application's stored events into a table with the
columns of the eventsourcing events table, one INSERT per transaction over a
plain psycopg connection (autocommit off, ``commit()`` after each row).

``writers`` threads run each side concurrently: on the application side they
share one ``OneStop`` (as an API process's worker threads do, so concurrent
commands share group transactions); on the reference side each thread has its
own connection.

Machines are small and noisy: the two sides alternate order every round and
the result quotes the median of each side and ``ratio = app / reference``.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg
from eventsourcing.persistence import EventStore
from psycopg import sql

from adapters.settings import persistence_env, subject_keys_env
from api.bench.catalogue import (
    APPLICANT,
    DESK,
    FORWARD_TO,
    PROCEDURE,
    START,
    seed_bench_catalogue,
)
from api.bench.report import BenchReport, RoundReport
from api.bench.servers.postgres import (
    ExternalPostgres,
    PostgresServer,
    TemporaryPostgres,
)
from application.chain import ChainHeads
from application.clock import trace_for
from application.onestop import OneStop

NAME = "write"
UNIT = "commands/s (reference: INSERT transactions/s)"
RAW_TABLE = "bench_raw_events"
#: ReceivedAtDesk + DossierCode.Issued (one transaction), then Forwarded.
EVENTS_PER_DOSSIER = 3
#: Dossier codes are numbered per unit and day (at most 9999): move on a day
#: well before that.
DOSSIERS_PER_DAY = 5000


@dataclass(frozen=True)
class WriteRound:
    """One round: both sides measured back to back."""

    app_commands_per_second: float
    reference_inserts_per_second: float
    app_seconds: float
    reference_seconds: float
    order: str
    unchained_commands_per_second: float | None = None
    """The same commands without the per-stream hash chain (``compare_unchained``)."""

    @property
    def ratio(self) -> float:
        return self.app_commands_per_second / self.reference_inserts_per_second


@dataclass(frozen=True)
class Profile:
    """Per command under the profiler: all of it, and inside the recorder."""

    commands: int
    total_us: float
    write_us: float
    read_us: float

    @classmethod
    def of(cls, profiler: cProfile.Profile, *, commands: int) -> Profile:
        # The outermost call of each name holds the nested ones: take the
        # largest cumulative time rather than the sum.
        cumulative: dict[str, float] = {}
        total = 0.0
        for (_, _, function), row in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
            seconds = float(row[3])
            total = max(total, seconds)
            cumulative[function] = max(cumulative.get(function, 0.0), seconds)
        return cls(
            commands=commands,
            total_us=total / commands * 1e6,
            write_us=cumulative.get("insert_events", 0.0) / commands * 1e6,
            read_us=cumulative.get("select_events", 0.0) / commands * 1e6,
        )

    def note(self) -> str:
        rest = self.total_us - self.write_us - self.read_us
        return (
            f"profile (cProfile, {self.commands} commands of the untimed "
            f"warm-up, one writer): {self.total_us:.0f} µs/command under the "
            f"profiler = {self.write_us:.0f} writing events (recorder "
            f"insert_events) + {self.read_us:.0f} reading events (select_events) "
            f"+ {rest:.0f} rest (Python: domain, transcoding, eventsourcing)"
        )


@dataclass(frozen=True)
class WriteResult:
    """What ``run_write_benchmark`` measured."""

    commands: int
    """Application commands per round (receive + forward, 2 per dossier)."""
    inserts: int
    """Reference INSERT transactions per round (as many as commands)."""
    rounds: tuple[WriteRound, ...]
    app_median: float
    reference_median: float
    ratio: float
    """``app_median / reference_median``."""
    median_round_ratio: float
    """Median of the per-round ratios (robust to drift within a run)."""
    dossiers: int
    """Dossiers the application side received and forwarded, warm-up included."""
    events_written: int
    """Rows the commands added to the application's events table."""
    reference_rows: int
    """Rows the reference side inserted, warm-up included."""
    state_bytes: int
    """Size of a reference row's ``state``: the mean stored application event."""
    server: str
    notes: tuple[str, ...]
    database_url: str | None = None
    """The benchmark database, when it was kept (``keep_database=True``)."""

    def report(self) -> BenchReport:
        return BenchReport(
            name=NAME,
            app=self.app_median,
            reference=self.reference_median,
            ratio=self.ratio,
            rounds=tuple(
                RoundReport(
                    app=r.app_commands_per_second,
                    reference=r.reference_inserts_per_second,
                    order=r.order,
                )
                for r in self.rounds
            ),
            unit=UNIT,
            notes=self.notes,
        )


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))


def run_write_benchmark(
    database_url: str | None,
    *,
    commands: int,
    rounds: int,
    warmup: int | None = None,
    keep_database: bool = False,
    writers: int = 1,
    compare_unchained: bool = False,
) -> WriteResult:
    """Measure ``rounds`` rounds of ``commands`` commands against raw inserts.

    ``database_url`` names a PostgreSQL server reached as a role that may
    ``CREATE DATABASE``; the benchmark runs in a fresh database on it and drops
    it afterwards (unless ``keep_database``). ``None`` or a non-PostgreSQL URL
    starts a temporary, durable (``fsync=on``) server for the run.
    ``warmup`` dossiers (default: up to 60, at least 1) run untimed first on
    the application side, twice as many rows on the reference side.
    ``compare_unchained`` adds a third side in each round: the same commands
    through an application without the per-stream hash chain, in a sibling
    database on the same server (the chain's cost, measured in the same run).
    """
    if commands < 2 or commands % 2:
        raise ValueError("commands must be an even number ≥ 2 (receive + forward)")
    if rounds < 1:
        raise ValueError("rounds must be ≥ 1")
    if writers < 1:
        raise ValueError("writers must be ≥ 1")
    pairs = commands // 2
    # At least one dossier: its events give the reference rows their size.
    warm = max(1, min(60, pairs) if warmup is None else warmup)
    with _scratch_database(database_url, keep=keep_database) as (url, server):
        raw = _RawSide(url, writers)
        app_side = _AppSide(url, writers)
        plain_url = _sibling_database(url, "_plain") if compare_unchained else None
        plain = _AppSide(plain_url, writers, chained=False) if plain_url else None
        try:
            server += f", {raw.settings()}"
            if plain is not None:
                plain.run(warm)
            # One writer: the second half of the (untimed) warm-up runs under
            # the profiler, to say where a command's time goes.
            profiled = warm // 2 if writers == 1 else 0
            app_side.run(warm - profiled)
            profile = app_side.profile(profiled) if profiled else None
            state_bytes, topic_chars = app_side.mean_stored_event()
            raw.prepare(state_bytes, topic_chars)
            raw.run(warm * 2)
            measured: list[WriteRound] = []
            app_transactions = 0
            for index in range(rounds):
                app_first = index % 2 == 0
                plain_seconds = None
                if plain is not None and not app_first:
                    plain_seconds = plain.run(pairs)
                before = app_side.last_position()
                if app_first:
                    app_seconds = app_side.run(pairs)
                    raw_seconds = raw.run(commands)
                else:
                    raw_seconds = raw.run(commands)
                    app_seconds = app_side.run(pairs)
                app_transactions += app_side.transactions(
                    before, app_side.last_position()
                )
                if plain is not None and app_first:
                    plain_seconds = plain.run(pairs)
                measured.append(
                    WriteRound(
                        app_commands_per_second=commands / app_seconds,
                        reference_inserts_per_second=commands / raw_seconds,
                        app_seconds=app_seconds,
                        reference_seconds=raw_seconds,
                        order="app,reference" if app_first else "reference,app",
                        unchained_commands_per_second=(
                            commands / plain_seconds if plain_seconds else None
                        ),
                    )
                )
            configuration = app_side.configuration()
            groups = app_side.groups()
            events_written = app_side.events_written()
            reference_rows = raw.rows()
        finally:
            app_side.close()
            raw.close()
            if plain is not None:
                plain.close()
            if plain_url is not None:
                _drop_database(url, plain_url)
        expected = app_side.dossiers * EVENTS_PER_DOSSIER
        if events_written != expected:
            raise RuntimeError(
                f"the application side wrote {events_written} events, "
                f"expected {expected} for {app_side.dossiers} dossiers"
            )
        app_median = statistics.median(r.app_commands_per_second for r in measured)
        ref_median = statistics.median(r.reference_inserts_per_second for r in measured)
        ratio = app_median / ref_median
        round_ratio = statistics.median(r.ratio for r in measured)

        def per_command(seconds: Iterable[float]) -> float:
            return statistics.median(seconds) / commands * 1e6

        app_us = per_command(r.app_seconds for r in measured)
        chain_notes: tuple[str, ...] = ()
        if compare_unchained:
            plain_rates = [
                r.unchained_commands_per_second
                for r in measured
                if r.unchained_commands_per_second
            ]
            plain_median = statistics.median(plain_rates)
            per_round = statistics.median(
                r.app_commands_per_second / r.unchained_commands_per_second
                for r in measured
                if r.unchained_commands_per_second
            )
            chain_notes = (
                f"hash chain: {app_median:.0f} cmd/s chained vs {plain_median:.0f} "
                f"unchained (same run): ratio {app_median / plain_median:.3f}, "
                f"median of per-round ratios {per_round:.3f}",
            )
        notes = (
            *chain_notes,
            f"writers: {writers} concurrent on each side; app group transactions "
            f"(> 1 save): {groups}; timed rounds: {commands * rounds} commands in "
            f"{app_transactions} transactions "
            f"({commands * rounds / max(app_transactions, 1):.2f} saves each)",
            f"app: {pairs} dossiers per round through OneStop: receive_dossier "
            "(desk) + forward_dossier = 2 commands, 2 transactions, "
            f"{EVENTS_PER_DOSSIER} events (Dossier×2 + DossierCode)",
            f"reference: psycopg, 1 INSERT + COMMIT per row, {state_bytes}-byte "
            "state (mean stored event of the app side), same database",
            f"median of {rounds} rounds, sides alternating; "
            f"median of per-round ratios {round_ratio:.3f}",
            f"app µs/command (median, wall / commands): {app_us:.0f}; "
            "reference µs/insert "
            f"{per_command(r.reference_seconds for r in measured):.0f}",
            *([profile.note()] if profile is not None else []),
            f"app configuration: {configuration}",
            f"server: {server}",
        )
        return WriteResult(
            commands=commands,
            inserts=commands,
            rounds=tuple(measured),
            app_median=app_median,
            reference_median=ref_median,
            ratio=ratio,
            median_round_ratio=round_ratio,
            dossiers=app_side.dossiers,
            events_written=events_written,
            reference_rows=reference_rows,
            state_bytes=state_bytes,
            server=server,
            notes=notes,
            database_url=url if keep_database else None,
        )


@contextmanager
def _scratch_database(
    database_url: str | None, *, keep: bool
) -> Iterator[tuple[str, str]]:
    """A fresh database (URL, description of the server) for one run."""
    name = f"motcua_bench_{uuid.uuid4().hex[:12]}"
    temporary: TemporaryPostgres | None = None
    server: PostgresServer
    if database_url is not None and is_postgres_url(database_url):
        server = ExternalPostgres(database_url)
        where = "given server"
    else:
        temporary = TemporaryPostgres(durable=True).start()
        server = temporary
        where = "temporary durable server"
    try:
        url = server.create_database(name)
        try:
            yield url, where
        finally:
            if not keep:
                server.drop_database(name)
    finally:
        if temporary is not None:  # its databases go with it
            temporary.stop()


def _sibling_database(url: str, suffix: str) -> str:
    parts = urlparse(url)
    name = parts.path.strip("/") + suffix
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunparse(parts._replace(path="/" + name))


def _drop_database(url: str, sibling: str) -> None:
    name = urlparse(sibling).path.strip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


class _UnchainedOneStop(OneStop):
    """The application without the per-stream hash chain (bench reference only)."""

    def construct_event_store(self) -> EventStore[uuid.UUID]:
        self.chain_heads = ChainHeads()
        return EventStore(self.mapper, self.recorder)


class _AppSide:
    """``OneStop`` on the benchmark database, seeded with the bench catalogue."""

    def __init__(self, url: str, writers: int = 1, *, chained: bool = True) -> None:
        self.url = url
        self.writers = writers
        self._pool = ThreadPoolExecutor(writers, thread_name_prefix="bench-app")
        self._count_lock = threading.Lock()
        kind = OneStop if chained else _UnchainedOneStop
        # With a subject key store, as `motcua serve` has: the applicant's data
        # is sealed in the reference too (without it the direct path wrote it
        # plain and did less work than the product it is compared with).
        self._keys = tempfile.TemporaryDirectory(prefix="motcua-bench-keys-")
        keys = subject_keys_env(Path(self._keys.name))
        self.app = kind(env=persistence_env(url) | keys)
        seed_bench_catalogue(self.app)
        self.catalogue_rows = self._count()
        self.catalogue_last = int(
            self._query("SELECT coalesce(max(notification_id), 0) FROM {}")[0]
        )
        self.dossiers = 0

    def profile(self, pairs: int) -> Profile:
        """An extra, untimed round under cProfile (this thread, one writer):
        where a command's time goes, read from the profile rather than from
        wrappers around the product's recorder."""
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            self._dossiers(pairs)
        finally:
            profiler.disable()
        return Profile.of(profiler, commands=pairs * 2)

    def configuration(self) -> str:
        options = self.app.options
        return (
            f"recorder {type(self.app.recorder).__name__}, "
            f"CATALOGUE_CACHE_SECONDS={options.catalogue_cache_seconds:g}, "
            f"SAVED_DOSSIERS_CACHE={options.saved_dossiers_cache}, "
            f"POSTGRES_POOL_SIZE={self.app.env.get('POSTGRES_POOL_SIZE')}, "
            f"personal data {'sealed' if self.app.subject_keys else 'plain'}"
        )

    def groups(self) -> int:
        return int(getattr(self.app.recorder, "groups", 0))

    def run(self, pairs: int) -> float:
        """Receive and forward ``pairs`` dossiers; returns the elapsed seconds."""
        shares = [
            pairs // self.writers + (i < pairs % self.writers)
            for i in range(self.writers)
        ]
        started = time.perf_counter()
        for done in [self._pool.submit(self._dossiers, n) for n in shares if n]:
            done.result()
        return time.perf_counter() - started

    def _dossiers(self, count: int) -> None:
        app = self.app
        for _ in range(count):
            with self._count_lock:
                index = self.dossiers
                self.dossiers += 1
            at = self._at(index)
            reception = app.receive_dossier(
                trace=trace_for(DESK, at=at),
                applicant=APPLICANT,
                procedure_code=PROCEDURE,
            )
            app.forward_dossier(
                reception.dossier_id, trace=trace_for(DESK, at=at), to=FORWARD_TO
            )

    def _at(self, dossier: int) -> datetime:
        day = dossier // DOSSIERS_PER_DAY
        # Monday + ``day`` weekdays
        return START + timedelta(days=day + 2 * (day // 5))

    def mean_stored_event(self) -> tuple[int, int]:
        """Mean ``state`` bytes and ``topic`` characters of the commands' events."""
        row = self._query(
            "SELECT round(avg(octet_length(state)))::int, "
            "round(avg(char_length(topic)))::int FROM {} "
            "WHERE notification_id > %s",
            (self.catalogue_last,),
        )
        return int(row[0]), int(row[1])

    def events_written(self) -> int:
        return self._count() - self.catalogue_rows

    def last_position(self) -> int:
        return int(self._query("SELECT coalesce(max(notification_id), 0) FROM {}")[0])

    def transactions(self, after: int, upto: int) -> int:
        """Transactions that wrote the events in (``after``, ``upto``]: rows of
        one transaction share its ``xmin`` (the group size, read from the
        database, whichever process wrote them)."""
        return int(
            self._query(
                "SELECT count(DISTINCT xmin::text) FROM {} "
                "WHERE notification_id > %s AND notification_id <= %s",
                (after, upto),
            )[0]
        )

    def _count(self) -> int:
        return int(self._query("SELECT count(*) FROM {}")[0])

    def _query(self, statement: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        table = sql.Identifier(f"{self.app.name.lower()}_events")
        query = sql.SQL(statement).format(*([table] * statement.count("{}")))
        with psycopg.connect(self.url) as conn:
            row = conn.execute(query, params).fetchone()
        assert row is not None
        return tuple(row)

    def close(self) -> None:
        self._pool.shutdown()
        self.app.close()
        self._keys.cleanup()


class _RawSide:
    """``writers`` psycopg connections inserting rows shaped like stored events."""

    def __init__(self, url: str, writers: int = 1) -> None:
        self.conn = psycopg.connect(url)  # autocommit off: explicit COMMIT per row
        # One connection per writer thread (the first is ``conn``).
        self.conns = [self.conn] + [psycopg.connect(url) for _ in range(writers - 1)]
        self._pool = ThreadPoolExecutor(writers, thread_name_prefix="bench-raw")
        self.conn.execute(
            sql.SQL(
                "CREATE TABLE {} (originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, topic text NOT NULL, "
                "state bytea, PRIMARY KEY (originator_id, originator_version))"
            ).format(sql.Identifier(RAW_TABLE))
        )
        self.conn.commit()
        self.insert = sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(
            sql.Identifier(RAW_TABLE)
        )
        self.state = b""
        self.topic = ""

    def settings(self) -> str:
        row = self.conn.execute(
            "SELECT current_setting('server_version'), current_setting('fsync'), "
            "current_setting('synchronous_commit')"
        ).fetchone()
        self.conn.commit()
        assert row is not None
        return f"PostgreSQL {row[0]}, fsync={row[1]}, synchronous_commit={row[2]}"

    def prepare(self, state_bytes: int, topic_chars: int) -> None:
        pattern = b'{"trace":{"actor":{"id":"bench-desk","role":"desk"}},"_":0}'
        self.state = (pattern * (state_bytes // len(pattern) + 1))[:state_bytes]
        self.topic = ("domain.dossier:Dossier.Reference" * 4)[:topic_chars]

    def run(self, inserts: int) -> float:
        """Insert ``inserts`` rows, one transaction each; returns the seconds."""
        writers = len(self.conns)
        shares = [inserts // writers + (i < inserts % writers) for i in range(writers)]
        started = time.perf_counter()
        jobs = [
            self._pool.submit(self._insert, conn, n)
            for conn, n in zip(self.conns, shares, strict=True)
            if n
        ]
        for job in jobs:
            job.result()
        return time.perf_counter() - started

    def _insert(self, conn: psycopg.Connection[Any], inserts: int) -> None:
        cursor, insert = conn.cursor(), self.insert
        state, topic = self.state, self.topic
        for _ in range(inserts):
            cursor.execute(insert, (uuid.uuid4(), 1, topic, state))
            conn.commit()

    def rows(self) -> int:
        row = self.conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(RAW_TABLE))
        ).fetchone()
        self.conn.commit()
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        self._pool.shutdown()
        for conn in self.conns:
            conn.close()
