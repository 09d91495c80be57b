"""``motcua demo``: seed Kon Tum and simulate dossiers, or seed the second
demo province (``--province H35``) for cross-province forwarding."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from adapters.demo import gialai
from adapters.demo.lifetime import REORGANISED_ON, live
from adapters.demo.seeding import seed_province
from api.cli.common import application
from api.cli.inputs import BadCliValue, iso_date

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_DOSSIERS = 1_000_000
MAX_DAYS = 3660
MAX_SEED = 2**63 - 1
DEFAULT_START = date(2024, 10, 1)
PROVINCES = ("H34", gialai.PROVINCE)


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
        int | None,
        typer.Option(
            help="Length of the simulated period in days (default: from"
            " 1 October 2024, so the demo lives through the 1 July 2025"
            " reorganisation).",
            min=1,
            max=MAX_DAYS,
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Last day of the period (ISO date); default today."),
    ] = None,
    province: Annotated[
        str,
        typer.Option(
            help="H34: Kon Tum and its dossiers. H35: only the catalogue of a"
            " second province (same procedures) to forward dossiers to;"
            " needs --dossiers 0.",
        ),
    ] = "H34",
) -> None:
    """Seed the Kon Tum catalogue and drive dossiers through varied lifecycles."""
    end = iso_date("--until", until) if until else datetime.now(VN).date()
    if province not in PROVINCES:
        raise BadCliValue(
            "--province", province, " hoặc ".join(PROVINCES), " or ".join(PROVINCES)
        )
    if province == gialai.PROVINCE:
        if dossiers:
            raise BadCliValue(
                "--dossiers",
                str(dossiers),
                f"0 với --province {province} (chỉ danh mục)",
                f"0 with --province {province} (catalogue only)",
            )
        _seed_second_province(end)
        return
    if days is None:
        start = min(end - timedelta(days=90), DEFAULT_START)
    else:
        start = end - timedelta(days=days)
    console = Console(stderr=True)
    # The Kon Tum catalogue exists before the period and before 1 July 2025.
    seeded = min(start, REORGANISED_ON) - timedelta(days=1)
    with application() as app:
        seed_province(
            app,
            at=datetime.combine(seeded, time(8), tzinfo=VN),
            years=range(seeded.year - 1, end.year + 2),
        )
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("Hồ sơ / dossiers", total=dossiers)
            summary = live(
                app,
                seed=seed,
                start=start,
                end=end,
                dossiers=dossiers,
                progress=lambda n: progress.advance(task, n),
            )
    console.print(
        f"{summary.dossiers} dossiers {start}…{end}: "
        + ", ".join(f"{k}={v}" for k, v in sorted(summary.statuses.items()) if v)
    )
    if start < REORGANISED_ON <= end:
        console.print(
            f"{REORGANISED_ON}: Kon Tum → Quảng Ngãi (NQ 202/2025/QH15,"
            f" NQ 1677/NQ-UBTVQH15); {summary.transferred} dossiers in flight"
            " transferred to successor units"
        )


def _seed_second_province(end: date) -> None:
    with application() as app:
        gialai.seed_gialai(
            app,
            at=datetime.combine(DEFAULT_START, time(8), tzinfo=VN),
            years=range(DEFAULT_START.year - 1, end.year + 2),
        )
    Console(stderr=True).print(
        f"{gialai.PROVINCE}: {len(gialai.AGENCY_SEEDS)} units,"
        f" {len(gialai.PROCEDURE_SEEDS)} procedures (the Kon Tum demo's, same"
        " codes); forward to it with MOTCUA_PEER_PROVINCES"
    )
