"""``motcua bench indicators``: indicator queries at scale and projection throughput.

On a scratch PostgreSQL database:

1. A demo province is simulated through the application (real events); the
   indicator read model is rebuilt from the log in each round (events/s)
   against a sequential psycopg read of the events table.
2. The read model is then filled to ``dossiers`` dossiers spread over a year,
   cloned from the simulated dossiers' facts (shifted in time, spread over the
   province's units), with the same buckets the projection keeps, and beside
   it a flat table with one row of counts per dossier. Province-quarter and
   province-month queries, by each groupBy, go through the read model and
   ``application.monitoring.report`` (what the GraphQL resolver runs), against
   the reference: a plain ``SUM … GROUP BY`` over the flat table for the same
   reception days. Latency p50/p99 of each, alternating, same run.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.settings import Settings
from api.bench.project import _raw_scan
from api.bench.report import BenchReport, Figure, RoundReport
from api.bench.write import _scratch_database
from api.wiring import build_application, build_read_store
from application import monitoring
from application.onestop import OneStop
from domain.indicator_facts import END_RESOLVED, DossierFacts, portal_accepted
from domain.indicator_tally import COLUMNS, NOTHING, Tally, settled_at, tally_of
from domain.values import AgencyCode
from projections.base import utc
from projections.indicators import (
    IndicatorProjection,
    IndicatorView,
    bucket_key,
    reception_day,
    segments_of,
)
from projections.ports import ReadStore
from projections.runtime import TRACKING, Projector, ensure_tracking

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NAME = "indicators"
FLAT = "bench_flat_dossier"
YEAR_START = date(2025, 10, 1)
QUARTER = (date(2026, 1, 1), date(2026, 3, 31))
MONTH = (date(2026, 2, 1), date(2026, 2, 28))
GROUPINGS = (
    monitoring.Grouping.NONE,
    monitoring.Grouping.AGENCY,
    monitoring.Grouping.PROCEDURE,
    monitoring.Grouping.MONTH,
)


@dataclass(frozen=True)
class Query:
    name: str
    first: date
    last: date
    grouping: monitoring.Grouping


def run_indicators_benchmark(
    database_url: str | None,
    *,
    simulated: int,
    dossiers: int,
    rounds: int,
    samples: int,
) -> BenchReport:
    if min(simulated, dossiers, rounds, samples) < 1:
        raise ValueError("sizes and rounds must be ≥ 1")
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
                simulated, lambda _: None
            )
            events = app.recorder.max_notification_id() or 0
            rebuilds: list[RoundReport] = []
            for index in range(rounds):
                first = index % 2 == 0
                app_rate = raw_rate = 0.0
                for side in ("app", "raw") if first else ("raw", "app"):
                    if side == "app":
                        app_rate = events / _rebuild(app, store)
                    else:
                        raw_rate = events / _raw_scan(url, events)
                rebuilds.append(
                    RoundReport(
                        app_rate,
                        raw_rate,
                        "app,reference" if first else "reference,app",
                    )
                )
            templates = IndicatorView(store).facts(_root(store), date.min, date.max)
            scope = _root(store)
            filled = _fill(url, templates, dossiers)
            figures, headline = _measure_queries(store, url, scope, samples)
        finally:
            store.close()
            app.close()
    project_app = statistics.median(r.app for r in rebuilds)
    project_ref = statistics.median(r.reference for r in rebuilds)
    return BenchReport(
        name=NAME,
        app=headline.app,
        reference=headline.reference,
        ratio=headline.ratio,
        rounds=tuple(headline.rounds),
        unit="province-quarter queries/s (reference: SUM over a flat dossier table)",
        notes=(
            f"read model filled to {filled} dossiers over "
            f"{YEAR_START}..{YEAR_START + timedelta(days=364)} "
            f"(cloned from {len(templates)} simulated; those the short simulation "
            f"left unfinished are resolved 1–20 days after reception unless "
            f"received in the last {IN_FLIGHT_DAYS} days), scope {scope}",
            f"projection rebuild (indicators only): {project_app:,.0f} events/s vs "
            f"raw scan {project_ref:,.0f} rows/s (ratio "
            f"{statistics.median(r.ratio for r in rebuilds):.3f}, {events} events "
            f"from {simulated} simulated dossiers)",
            f"server: {server}",
        ),
        figures=tuple(figures),
    )


def _rebuild(app: OneStop, store: ReadStore) -> float:
    projection = IndicatorProjection()
    with store.schema() as sql:
        ensure_tracking(sql)
        projection.drop(sql)
        sql.execute(
            f"DELETE FROM {TRACKING} WHERE name = ?", (projection.tracking_name,)
        )
    started = time.perf_counter()
    Projector(app, store, [projection], batch_size=1000).catch_up()
    return time.perf_counter() - started


def _root(store: ReadStore) -> str:
    table = IndicatorProjection().table("dossier")
    (found,) = store.query(f"SELECT competent_agency FROM {table} LIMIT 1")
    code = AgencyCode(str(found[0]))
    while code.parent is not None:
        code = code.parent
    return str(code)


def _shifted(
    facts: DossierFacts, by: timedelta, number: int, agency: str
) -> DossierFacts:
    def move(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment + by

    return replace(
        facts,
        dossier_id=f"bench-{number}",
        code=None,
        competent_agency=agency,
        submitted_at=facts.submitted_at + by,
        received_at=move(facts.received_at),
        due_at=move(facts.due_at),
        end_at=move(facts.end_at),
        local_dues=tuple((a + by, move(b)) for a, b in facts.local_dues),
        supplements=tuple((a + by, move(b)) for a, b in facts.supplements),
        synced_at=move(facts.synced_at),
    )


IN_FLIGHT_DAYS = 30
"""Only dossiers received in the data's last days may still be unfinished."""


def _finished(facts: DossierFacts, chance: random.Random) -> DossierFacts:
    """A template the short simulation left unfinished, resolved some working
    days after its reception (on time, early or late at random)."""
    if facts.end_at is not None or facts.received_at is None:
        return facts
    end = facts.received_at + timedelta(days=chance.randrange(1, 20), hours=2)
    supplements = tuple(
        (a, b or min(end, a + timedelta(days=1))) for a, b in facts.supplements
    )
    return replace(
        facts,
        supplements=supplements,
        end_at=end,
        end_kind=END_RESOLVED,
        local_timeliness=chance.choice(("early", "on_time", "on_time", "late")),
        electronic_result=chance.random() < 0.7,
        satisfaction=chance.choice((None, None, "satisfied", "dissatisfied")),
    )


def _clones(templates: list[DossierFacts], count: int) -> Iterator[DossierFacts]:
    chance = random.Random(7)
    usable = [f for f in templates if f.received_at is not None]
    agencies = sorted({f.competent_agency for f in usable})
    last = YEAR_START + timedelta(days=364)
    for number in range(count):
        template = chance.choice(usable)
        assert template.received_at is not None
        day = YEAR_START + timedelta(days=chance.randrange(365))
        if (last - day).days > IN_FLIGHT_DAYS:
            template = _finished(template, chance)
        received = template.received_at
        assert received is not None
        by = datetime.combine(day, received.astimezone(VN).timetz())
        clone = _shifted(template, by - received, number, chance.choice(agencies))
        if number % 10:
            # Nine in ten accepted by the national portal soon after reception.
            assert clone.received_at is not None
            sent = clone.received_at + timedelta(seconds=chance.randrange(5, 600))
            clone = portal_accepted(clone, sent)
        yield clone


def _fill(url: str, templates: list[DossierFacts], count: int) -> int:
    """The read model as the projection would have left it for ``count`` more
    dossiers, plus the reference's flat table, written with COPY."""
    projection = IndicatorProjection()
    dossier_table = projection.table("dossier")
    bucket_table = projection.table("bucket")
    segment_table = projection.table("segment")
    buckets: dict[tuple[str, str, str], tuple[object, ...]] = {}
    sums: dict[tuple[str, str, str], Tally] = defaultdict(Tally)
    with psycopg.connect(url) as connection:
        connection.execute(f"DELETE FROM {bucket_table}")
        connection.execute(f"DELETE FROM {dossier_table}")
        connection.execute(f"DELETE FROM {segment_table}")
        connection.execute(f"DROP TABLE IF EXISTS {FLAT}")
        connection.execute(
            f"CREATE TABLE {FLAT} (competent_agency TEXT, received_on TEXT, "
            f"procedure_code TEXT, {', '.join(c + ' BIGINT' for c in COLUMNS)})"
        )
        pending: dict[tuple[str, str, str], int] = defaultdict(int)
        latest: dict[tuple[str, str, str], str] = {}
        with (
            connection.cursor() as cursor,
            cursor.copy(
                f"COPY {dossier_table} (dossier_id, received_on, competent_agency, "
                "procedure_code, code, facts) FROM STDIN"
            ) as copy,
            psycopg.connect(url) as steps_connection,
            steps_connection.cursor() as steps_cursor,
            steps_cursor.copy(
                f"COPY {segment_table} (dossier_id, competent_agency, received_on, "
                "procedure_code, valid_from, reach, final, "
                f"{', '.join(COLUMNS)}) FROM STDIN"
            ) as steps,
        ):
            flat_rows: list[tuple[object, ...]] = []
            for facts in _clones(templates, count):
                key = bucket_key(facts)
                assert key is not None
                triple = (key.agency, key.day, key.procedure)
                copy.write_row(
                    (
                        facts.dossier_id,
                        reception_day(facts),
                        facts.competent_agency,
                        facts.procedure_code,
                        None,
                        facts.to_json(),
                    )
                )
                settled = settled_at(facts)
                tally = NOTHING
                if settled is None:
                    pending[triple] += 1
                else:
                    tally = tally_of(facts, settled)
                    sums[triple] += tally
                    mark = utc(settled) or ""
                    latest[triple] = max(latest.get(triple, ""), mark)
                if facts.synced_at is not None:
                    tally = replace(tally, synced=1)
                flat_rows.append((*triple, *tally.values()))
                for begin, reach, final, step in segments_of(facts):
                    steps.write_row(
                        (facts.dossier_id, *triple, begin, reach, final, *step.values())
                    )
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {FLAT} FROM STDIN") as copy:
                for row in flat_rows:
                    copy.write_row(row)
            for triple in set(sums) | set(pending):
                buckets[triple] = (
                    *triple,
                    pending.get(triple, 0),
                    latest.get(triple),
                    *sums.get(triple, NOTHING).values(),
                )
            with cursor.copy(
                f"COPY {bucket_table} (competent_agency, received_on, procedure_code, "
                f"pending, settled_until, {', '.join(COLUMNS)}) FROM STDIN"
            ) as copy:
                for row in buckets.values():
                    copy.write_row(row)
        connection.execute(f"CREATE INDEX ON {FLAT} (received_on)")
        connection.commit()
    with psycopg.connect(url, autocommit=True) as connection:
        # What autovacuum does for a live database after a bulk load: index-only
        # scans need the visibility map.
        connection.execute("VACUUM ANALYZE")
    return count


def _reference(
    connection: psycopg.Connection[tuple[object, ...]],
) -> Callable[[Query], float]:
    columns = ", ".join(f"SUM({c})" for c in COLUMNS)
    keys = {
        monitoring.Grouping.NONE: None,
        monitoring.Grouping.AGENCY: "competent_agency",
        monitoring.Grouping.PROCEDURE: "procedure_code",
        monitoring.Grouping.MONTH: "substr(received_on, 1, 7)",
    }

    def run(query: Query) -> float:
        key = keys[query.grouping]
        select = f"SELECT {key + ', ' if key else ''}{columns} FROM {FLAT} "
        select += "WHERE received_on >= %s AND received_on <= %s"
        if key:
            select += f" GROUP BY {key}"
        started = time.perf_counter()
        connection.execute(
            select, (query.first.isoformat(), query.last.isoformat())
        ).fetchall()
        return time.perf_counter() - started

    return run


def _measure_queries(
    store: ReadStore, url: str, scope: str, samples: int
) -> tuple[list[Figure], BenchReport]:
    view = IndicatorView(store)

    def through_app(query: Query) -> float:
        started = time.perf_counter()
        days, procedures = monitoring.detail(query.grouping)
        counted = view.tallies(
            scope,
            query.first,
            query.last,
            frozenset(),
            days=days,
            procedures=procedures,
        )
        monitoring.report(scope, query.first, query.last, counted, query.grouping)
        return time.perf_counter() - started

    with psycopg.connect(url, autocommit=True) as connection:
        return _compare(through_app, _reference(connection), samples)


def _compare(
    through_app: Callable[[Query], float],
    reference: Callable[[Query], float],
    samples: int,
) -> tuple[list[Figure], BenchReport]:
    figures: list[Figure] = []
    headline: BenchReport | None = None
    for period, (first, last) in (("quarter", QUARTER), ("month", MONTH)):
        for grouping in GROUPINGS:
            query = Query(f"province-{period}/{grouping.value}", first, last, grouping)
            through_app(query)  # warm caches on both sides once
            reference(query)
            app_times: list[float] = []
            ref_times: list[float] = []
            rounds: list[RoundReport] = []
            for index in range(samples):
                if index % 2 == 0:
                    a, r = through_app(query), reference(query)
                else:
                    r, a = reference(query), through_app(query)
                app_times.append(a)
                ref_times.append(r)
                rounds.append(
                    RoundReport(
                        1 / a,
                        1 / r,
                        "app,reference" if index % 2 == 0 else "reference,app",
                    )
                )
            app_rate = 1 / statistics.median(app_times)
            ref_rate = 1 / statistics.median(ref_times)
            figures.append(
                Figure(
                    topology="postgres",
                    query=query.name,
                    who="monitor",
                    connections=1,
                    app=app_rate,
                    reference=ref_rate,
                    ratio=app_rate / ref_rate,
                    p50_ms=_percentile(app_times, 50),
                    p99_ms=_percentile(app_times, 99),
                    reference_p50_ms=_percentile(ref_times, 50),
                    reference_p99_ms=_percentile(ref_times, 99),
                )
            )
            if headline is None:
                headline = BenchReport(
                    NAME, app_rate, ref_rate, app_rate / ref_rate, tuple(rounds), ""
                )
    assert headline is not None
    return figures, headline


def _percentile(times: list[float], percent: int) -> float:
    ordered = sorted(times)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return ordered[index] * 1000
