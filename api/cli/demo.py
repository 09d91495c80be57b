"""``motcua demo``: seed Kon Tum and simulate dossiers."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from api.cli.common import application
from api.cli.inputs import iso_date

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_DOSSIERS = 1_000_000
MAX_DAYS = 3660
MAX_SEED = 2**63 - 1


def demo(
    dossiers: Annotated[
        int,
        typer.Option(help="Number of dossiers to simulate.", min=0, max=MAX_DOSSIERS),
    ] = 200,
    seed: Annotated[
        int,
        typer.Option(
            help="Random seed (same seed → same dossiers).", min=0, max=MAX_SEED
        ),
    ] = 1,
    days: Annotated[
        int,
        typer.Option(help="Length of the simulated period.", min=1, max=MAX_DAYS),
    ] = 90,
    until: Annotated[
        str | None,
        typer.Option(help="Last day of the period (ISO date); default today."),
    ] = None,
) -> None:
    """Seed the Kon Tum catalogue and drive dossiers through varied lifecycles."""
    end = iso_date("--until", until) if until else datetime.now(VN).date()
    start = end - timedelta(days=days)
    console = Console(stderr=True)
    with application() as app:
        seed_province(
            app,
            at=datetime.combine(start - timedelta(days=1), time(8), tzinfo=VN),
            years=range(start.year - 1, end.year + 2),
        )
        simulation = Simulation(app, seed=seed, start=start, end=end)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("Hồ sơ / dossiers", total=dossiers)
            summary = simulation.run(dossiers, lambda n: progress.advance(task, n))
    console.print(
        f"{summary.dossiers} dossiers {start}…{end}: "
        + ", ".join(f"{k}={v}" for k, v in sorted(summary.statuses.items()))
    )
