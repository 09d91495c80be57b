"""``motcua bench``: throughput ratios against a reference in the same run.

Each benchmark measures the application and a simpler reference doing
comparable work in the same process on the same machine, alternating the two
over several rounds, and reports the median of each side and their ratio.
``BENCHES`` maps names to benchmark functions; ``motcua bench all`` runs them
in order, so a new benchmark only needs a command and an entry there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from adapters.bench.report import BenchReport
from adapters.bench.write import is_postgres_url, run_write_benchmark
from adapters.settings import Settings
from api.bench.lag import run_lag_benchmark
from api.bench.lookup import run_lookup_benchmark
from api.bench.project import run_project_benchmark
from api.cli.common import fail, print_json

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
    settings = Settings.from_env()
    return settings.database_url if is_postgres_url(settings.database_url) else None


# -- write --------------------------------------------------------------------

WRITE_COMMANDS, WRITE_ROUNDS = 1000, 9
WRITE_QUICK_COMMANDS, WRITE_QUICK_ROUNDS = 400, 3


def write_bench(
    options: BenchOptions, *, commands: int | None = None, rounds: int | None = None
) -> BenchReport:
    result = run_write_benchmark(
        options.database_url,
        commands=commands
        or (WRITE_QUICK_COMMANDS if options.quick else WRITE_COMMANDS),
        rounds=rounds or (WRITE_QUICK_ROUNDS if options.quick else WRITE_ROUNDS),
    )
    return result.report()


# -- lookup and project ---------------------------------------------------------


def lookup_bench(options: BenchOptions) -> BenchReport:
    requests, rounds = (400, 3) if options.quick else (1500, 5)
    return run_lookup_benchmark(requests=requests, concurrency=8, rounds=rounds)


def project_bench(options: BenchOptions) -> BenchReport:
    dossiers, rounds = (200, 3) if options.quick else (1500, 5)
    return run_project_benchmark(options.database_url, dossiers=dossiers, rounds=rounds)


def lag_bench(options: BenchOptions) -> BenchReport:
    rate, seconds, rounds = (50.0, 4.0, 1) if options.quick else (100.0, 20.0, 3)
    return run_lag_benchmark(
        options.database_url, rate=rate, seconds=seconds, rounds=rounds
    )


#: Benchmarks ``motcua bench all`` runs, in order.
BENCHES: dict[str, Bench] = {
    "write": write_bench,
    "lookup": lookup_bench,
    "project": project_bench,
    "lag": lag_bench,
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
    options = BenchOptions(quick=quick, database_url=default_database_url())
    report = write_bench(options, commands=commands, rounds=rounds)
    if json:
        print_json(report.to_json())
    else:
        _show([report])


@app.command("lookup")
def lookup(quick: QuickOption = False, json: JsonOption = False) -> None:
    """Anonymous dossierStatus over HTTP (real app, cache on) vs a bare FastAPI route."""
    _run("lookup", quick, json)


@app.command("project")
def project(quick: QuickOption = False, json: JsonOption = False) -> None:
    """Rebuild of every read model (events/s) vs a raw scan of the events table."""
    _run("project", quick, json)


@app.command("lag")
def lag(quick: QuickOption = False, json: JsonOption = False) -> None:
    """Commit → new status visible via dossierStatus (p50/p99 ms) under a steady
    100 commands/s; serve and projector as processes on PostgreSQL + Redis."""
    _run("lag", quick, json)


def _run(name: str, quick: bool, json: bool) -> None:
    report = BENCHES[name](
        BenchOptions(quick=quick, database_url=default_database_url())
    )
    if json:
        print_json(report.to_json())
    else:
        _show([report])


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
