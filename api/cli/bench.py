"""``motcua bench``: throughput ratios against a reference in the same run.

Each benchmark measures the application and a simpler reference doing
comparable work in the same process on the same machine, alternating the two
over several rounds, and reports the median of each side and their ratio.
``BENCHES`` maps names to benchmark functions; ``motcua bench all`` runs them
in order, so a new benchmark only needs a command and an entry there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters.settings import KNOWN, PREFIX, ConfigurationError
from api.bench.audit import run_audit_benchmark
from api.bench.indicators import run_indicators_benchmark
from api.bench.integrate import run_integrate_benchmark
from api.bench.lag import run_lag_benchmark
from api.bench.lookup import Topology, run_lookup_benchmark
from api.bench.project import run_project_benchmark
from api.bench.report import BenchReport
from api.bench.sign import run_sign_benchmark
from api.bench.write import is_postgres_url, run_write_benchmark
from api.bench.write_graphql import run_write_graphql_benchmark
from api.bench.wrk import WrkMissingError, require_wrk
from api.cli.common import fail, print_json
from api.cli.common import settings as read_settings
from api.wiring import projector_processes

app = typer.Typer(
    help="Benchmarks (ratios against a same-run reference).", no_args_is_help=True
)

QuickOption = Annotated[
    bool, typer.Option("--quick", help="Fewer commands and rounds (< 20 s).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@dataclass(frozen=True)
class BenchOptions:
    """What every benchmark gets: size and where to run."""

    quick: bool = False
    database_url: str | None = None
    """A PostgreSQL server to run on; ``None`` starts a temporary one."""


Bench = Callable[[BenchOptions], BenchReport]


def default_database_url() -> str | None:
    """``MOTCUA_DATABASE_URL`` if it is PostgreSQL, else ``None`` (temporary server)."""
    settings = read_settings()
    return settings.database_url if is_postgres_url(settings.database_url) else None


# -- write --------------------------------------------------------------------

WRITE_COMMANDS, WRITE_ROUNDS = 1000, 9
WRITE_QUICK_COMMANDS, WRITE_QUICK_ROUNDS = 400, 3


def write_bench(
    options: BenchOptions,
    *,
    commands: int | None = None,
    rounds: int | None = None,
    writers: int = 1,
    compare_unchained: bool = False,
) -> BenchReport:
    result = run_write_benchmark(
        options.database_url,
        commands=commands
        or (WRITE_QUICK_COMMANDS if options.quick else WRITE_COMMANDS),
        rounds=rounds or (WRITE_QUICK_ROUNDS if options.quick else WRITE_ROUNDS),
        writers=writers,
        compare_unchained=compare_unchained,
    )
    return result.report()


# -- lookup and project ---------------------------------------------------------


LOOKUP_TOPOLOGIES = (
    Topology("sqlite", 1),
    Topology("sqlite", 2),
    Topology("postgres", 2),
)
LOOKUP_QUICK_TOPOLOGIES = (Topology("sqlite", 2),)
LOOKUP_WRITES_PER_SECOND = 20.0


def lookup_bench(
    options: BenchOptions,
    *,
    topologies: tuple[Topology, ...] | None = None,
    served: Mapping[str, str] = {},
    writes_per_second: float = LOOKUP_WRITES_PER_SECOND,
) -> BenchReport:
    try:
        require_wrk()
    except WrkMissingError as error:
        raise fail(str(error)) from None
    chosen = topologies or (
        LOOKUP_QUICK_TOPOLOGIES if options.quick else LOOKUP_TOPOLOGIES
    )
    seconds, rounds = (1.0, 1) if options.quick else (4.0, 2)
    return run_lookup_benchmark(
        chosen,
        seconds=seconds,
        rounds=rounds,
        database_url=options.database_url,
        options=served,
        writes_per_second=writes_per_second,
    )


def project_bench(options: BenchOptions) -> BenchReport:
    # Quick (the CI smoke): ~0.6 k events, memory also at ~2.5 k; full: ~21 k
    # and ~190 k. Simulating a dossier (and signing its result) dominates.
    dossiers, rounds, copies = (40, 3, 4) if options.quick else (1500, 5, 9)
    return run_project_benchmark(
        options.database_url,
        dossiers=dossiers,
        rounds=rounds,
        memory_copies=copies,
        processes=projector_processes(read_settings(), postgres=True),
    )


def lag_bench(options: BenchOptions) -> BenchReport:
    rate, seconds, rounds = (50.0, 4.0, 1) if options.quick else (100.0, 20.0, 3)
    return run_lag_benchmark(
        options.database_url, rate=rate, seconds=seconds, rounds=rounds
    )


def audit_bench(options: BenchOptions) -> BenchReport:
    dossiers, rounds, samples = (200, 3, 100) if options.quick else (5000, 5, 1000)
    return run_audit_benchmark(dossiers=dossiers, rounds=rounds, samples=samples)


def integrate_bench(options: BenchOptions) -> BenchReport:
    dossiers, rounds = (30, 1) if options.quick else (1500, 3)
    return run_integrate_benchmark(
        options.database_url, dossiers=dossiers, rounds=rounds
    )


def sign_bench(options: BenchOptions) -> BenchReport:
    documents, rounds = (4, 1) if options.quick else (20, 3)
    return run_sign_benchmark(documents=documents, rounds=rounds)


INDICATOR_DOSSIERS = 1_000_000


def indicators_bench(
    options: BenchOptions, *, dossiers: int | None = None
) -> BenchReport:
    simulated, rounds, samples = (30, 1, 3) if options.quick else (400, 3, 15)
    return run_indicators_benchmark(
        options.database_url,
        simulated=simulated,
        dossiers=dossiers or (2_000 if options.quick else INDICATOR_DOSSIERS),
        rounds=rounds,
        samples=samples,
    )


#: Benchmarks ``motcua bench all`` runs, in order.
BENCHES: dict[str, Bench] = {
    "write": write_bench,
    "lookup": lookup_bench,
    "project": project_bench,
    "lag": lag_bench,
    "audit": audit_bench,
    "integrate": integrate_bench,
    "sign": sign_bench,
    "indicators": indicators_bench,
}


@app.command("write")
def write(
    quick: QuickOption = False,
    json: JsonOption = False,
    commands: Annotated[
        int | None,
        typer.Option(
            help="Application commands per round (even: receive + forward); "
            f"default {WRITE_COMMANDS}, quick {WRITE_QUICK_COMMANDS}.",
        ),
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option(
            help=f"Rounds (default {WRITE_ROUNDS}, quick {WRITE_QUICK_ROUNDS}).",
        ),
    ] = None,
    writers: Annotated[
        int,
        typer.Option(
            help="Concurrent writers on each side (threads sharing one OneStop; "
            "one connection each on the reference side).",
        ),
    ] = 1,
    via: Annotated[
        str,
        typer.Option(
            help="direct: OneStop vs raw INSERTs; graphql: officer mutations "
            "over HTTP to a served `motcua serve` (load generator in its own "
            "process) vs OneStop direct.",
        ),
    ] = "direct",
    api_workers: Annotated[
        int,
        typer.Option(
            help="--via graphql: `motcua serve --workers N` (API worker processes).",
        ),
    ] = 1,
    chain_cost: Annotated[
        bool,
        typer.Option(
            "--chain-cost",
            help="Also run the commands without the per-stream hash chain "
            "(same run, sibling database) and report the ratio.",
        ),
    ] = False,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="--via graphql: NAME=VALUE, a MOTCUA_* setting for the served "
            "product, e.g. GRAPHQL_FAST_PATH=n to measure the mutations through "
            "strawberry; repeatable.",
        ),
    ] = None,
) -> None:
    """Commands/s through the application vs raw INSERT transactions/s.

    Runs in a scratch database on the PostgreSQL server of
    MOTCUA_DATABASE_URL (dropped afterwards), or on a temporary durable
    server when that is not PostgreSQL.
    """
    if commands is not None and (commands < 2 or commands % 2 or commands > 10**6):
        raise fail("--commands phải là số chẵn 2..1000000 (must be even, 2..1000000)")
    if rounds is not None and not 1 <= rounds <= 100:
        raise fail("--rounds phải trong khoảng 1..100 (must be 1..100)")
    if not 1 <= writers <= 256:
        raise fail("--writers phải trong khoảng 1..256 (must be 1..256)")
    if not 1 <= api_workers <= 16:
        raise fail("--api-workers phải trong khoảng 1..16 (must be 1..16)")
    if api_workers != 1 and via != "graphql":
        raise fail("--api-workers chỉ dùng với --via graphql (only with --via graphql)")
    if via not in ("direct", "graphql"):
        raise fail(
            f"--via phải là direct hoặc graphql (must be direct or graphql): {via!r}"
        )
    if setting and via != "graphql":
        raise fail("--set chỉ dùng với --via graphql (only with --via graphql)")
    served = served_settings(setting or [])
    options = BenchOptions(quick=quick, database_url=default_database_url())
    if via == "graphql":
        report = run_write_graphql_benchmark(
            options.database_url,
            commands=commands or (WRITE_QUICK_COMMANDS if quick else WRITE_COMMANDS),
            rounds=rounds or (WRITE_QUICK_ROUNDS if quick else WRITE_ROUNDS),
            writers=writers,
            api_workers=api_workers,
            served=served,
        )
    else:
        report = write_bench(
            options,
            commands=commands,
            rounds=rounds,
            writers=writers,
            compare_unchained=chain_cost,
        )
    if json:
        print_json(report.to_json())
    else:
        _show([report])


@app.command("lookup")
def lookup(
    quick: QuickOption = False,
    json: JsonOption = False,
    store: Annotated[
        list[str] | None,
        typer.Option(
            help="sqlite (embedded default) or postgres (PostgreSQL + Redis, "
            "separate projector); repeat for both. Default: both (quick: sqlite)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="`motcua serve --workers` (default 1 and 2).", min=1, max=64),
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="NAME=VALUE: a MOTCUA_* setting for the served product, e.g. "
            "GRAPHQL_FAST_PATH=n to measure the strawberry path; repeatable.",
        ),
    ] = None,
    writes_per_second: Annotated[
        float,
        typer.Option(
            help="Officer commands per second sent over GraphQL by a writer "
            "process while the lookups run (0: read only).",
        ),
    ] = LOOKUP_WRITES_PER_SECOND,
) -> None:
    """GraphQL lookups through `motcua serve` vs a bare FastAPI route, under wrk,
    while a writer process sends officer commands at a steady rate."""
    if not 0 <= writes_per_second <= 10_000:
        raise fail("--writes-per-second phải trong khoảng 0..10000 (must be 0..10000)")
    served = served_settings(setting or [])
    topologies: tuple[Topology, ...] | None = None
    if store or workers:
        stores = store or ["sqlite"]
        for name in stores:
            if name not in ("sqlite", "postgres"):
                raise fail(
                    f"--store: sqlite hoặc postgres (sqlite or postgres): {name}"
                )
        counts = [workers] if workers else [1, 2]
        topologies = tuple(Topology(s, n) for s in stores for n in counts)
    options = BenchOptions(quick=quick, database_url=default_database_url())
    report = lookup_bench(
        options,
        topologies=topologies,
        served=served,
        writes_per_second=writes_per_second,
    )
    _print([report], json)


def served_settings(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs checked against the settings table."""
    served: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip().removeprefix(PREFIX)
        if not equals or name not in KNOWN:
            raise fail(
                f"--set: cần NAME=VALUE với một biến MOTCUA_* đã biết "
                f"(needs NAME=VALUE naming a known MOTCUA_* setting): {pair}"
            )
        try:
            KNOWN[name].parse(value)
        except ConfigurationError as error:
            raise fail(f"{error.message('vi')} / {error.message('en')}") from None
        served[name] = value
    return served


@app.command("project")
def project(quick: QuickOption = False, json: JsonOption = False) -> None:
    """Rebuild of every read model (events/s) vs a raw scan of the events table."""
    _run("project", quick, json)


@app.command("lag")
def lag(quick: QuickOption = False, json: JsonOption = False) -> None:
    """Commit → new status visible via dossierStatus (p50/p99 ms) under a steady
    100 commands/s; serve and projector as processes on PostgreSQL + Redis."""
    _run("lag", quick, json)


@app.command("audit")
def audit(quick: QuickOption = False, json: JsonOption = False) -> None:
    """`audit verify` events/s vs SHA-256 over the same bytes in a loop; as-of
    reconstruction latency of a 20-event dossier (median, p99)."""
    _run("audit", quick, json)


@app.command("integrate")
def integrate(quick: QuickOption = False, json: JsonOption = False) -> None:
    """Events published to JetStream per second by the outbox vs a bare nats-py
    publish loop (each in its own process); legacy import events/s vs raw COPY."""
    _run("integrate", quick, json)


@app.command("sign")
def sign(quick: QuickOption = False, json: JsonOption = False) -> None:
    """PAdES documents signed (B-T, development TSA) and validated per second,
    1-page and 20-page scans, beside SHA-256 of the same bytes per second."""
    _run("sign", quick, json)


@app.command("indicators")
def indicators(
    quick: QuickOption = False,
    json: JsonOption = False,
    dossiers: Annotated[
        int | None,
        typer.Option(
            help=f"Dossiers in the read model (default {INDICATOR_DOSSIERS:,}, "
            "quick 2,000).",
        ),
    ] = None,
) -> None:
    """Province-quarter/month indicator queries by groupBy (p50/p99) vs a SUM over
    a flat dossier table; indicator projection rebuild vs a raw events scan."""
    if dossiers is not None and not 1 <= dossiers <= 10_000_000:
        raise fail("--dossiers phải trong khoảng 1..10000000 (must be 1..10000000)")
    options = BenchOptions(quick=quick, database_url=default_database_url())
    _print([indicators_bench(options, dossiers=dossiers)], json)


def _run(name: str, quick: bool, json: bool) -> None:
    report = BENCHES[name](
        BenchOptions(quick=quick, database_url=default_database_url())
    )
    _print([report], json)


def _print(reports: list[BenchReport], json: bool) -> None:
    if json:
        print_json(
            reports[0].to_json()
            if len(reports) == 1
            else [r.to_json() for r in reports]
        )
    else:
        _show(reports)


@app.command("all")
def run_all(quick: QuickOption = False, json: JsonOption = False) -> None:
    """Run every benchmark with its default size."""
    options = BenchOptions(quick=quick, database_url=default_database_url())
    reports = [bench(options) for bench in BENCHES.values()]
    if json:
        print_json([report.to_json() for report in reports])
    else:
        _show(reports)


def _show(reports: list[BenchReport]) -> None:
    table = Table(title="motcua bench (median of rounds; ratio = app / reference)")
    table.add_column("bench")
    table.add_column("app", justify="right")
    table.add_column("reference", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("rounds", justify="right")
    table.add_column("unit")
    for report in reports:
        table.add_row(
            report.name,
            f"{report.app:,.0f}",
            f"{report.reference:,.0f}",
            f"{report.ratio:.2f}",
            str(len(report.rounds)),
            report.unit,
        )
    console = Console()
    console.print(table)
    for report in reports:
        for note in report.notes:
            console.print(f"  [dim]{report.name}:[/dim] {note}")
    for report in reports:
        if report.figures:
            console.print(_figures(report))


def _figures(report: BenchReport) -> Table:
    table = Table(title=f"{report.name}: every figure with its same-run reference")
    for column in (
        "topology",
        "query",
        "conns",
        "req/s",
        "ref req/s",
        "ratio",
        "p50 ms",
        "p99 ms",
        "ref p99 ms",
        "CPU µs/req",
        "page hits",
        "writes/s",
    ):
        table.add_column(column)
    for f in report.figures:
        table.add_row(
            f.topology,
            f.query,
            str(f.connections),
            f"{f.app:,.0f}",
            f"{f.reference:,.0f}",
            f"{f.ratio:.2f}",
            f"{f.p50_ms:.1f}",
            f"{f.p99_ms:.1f}",
            f"{f.reference_p99_ms:.1f}",
            "" if f.cpu_us is None else f"{f.cpu_us:,.0f}",
            "" if f.hit_rate is None else f"{f.hit_rate:.1%}",
            "" if f.writes_per_second is None else f"{f.writes_per_second:,.1f}",
        )
    return table
