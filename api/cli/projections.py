"""``motcua projector`` and ``motcua projections status|rebuild|checksum``."""

from __future__ import annotations

import signal
import threading
from functools import partial
from typing import Annotated, cast

import typer
from eventsourcing.postgres import PostgresApplicationRecorder
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress
from rich.table import Table

from adapters.readstore.listen import PostgresWakeup
from adapters.settings import Settings
from api.cli.common import application, fail, print_json
from api.wiring import build_projector, build_read_store
from projections.rebuild import checksum, rebuild
from projections.registry import READ_MODELS

app = typer.Typer(help="Read models: status, rebuild, checksum.", no_args_is_help=True)


def _names(name: str | None) -> list[str]:
    if name is None:
        return list(READ_MODELS)
    if name not in READ_MODELS:
        raise fail(
            f"Không có mô hình đọc (unknown read model) {name!r}; có: "
            + ", ".join(READ_MODELS)
        )
    return [name]


@app.command("status")
def status(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Position and lag of every read model."""
    settings = Settings.from_env()
    with application() as onestop:
        store = build_read_store(settings)
        try:
            rows = build_projector(onestop, store).status()
        finally:
            store.close()
    if json:
        print_json(
            [
                {
                    "name": r.name,
                    "version": r.version,
                    "position": r.position,
                    "logPosition": r.log_position,
                    "lag": r.lag,
                }
                for r in rows
            ]
        )
        return
    table = Table("read model", "version", "position", "log", "lag")
    for r in rows:
        table.add_row(
            r.name, str(r.version), str(r.position), str(r.log_position), str(r.lag)
        )
    Console().print(table)


@app.command("rebuild")
def rebuild_command(name: Annotated[str | None, typer.Argument()] = None) -> None:
    """Rebuild read models beside the live copies, then swap them in."""
    settings = Settings.from_env()
    console = Console(stderr=True)
    with application() as onestop:
        store = build_read_store(settings)
        try:
            total = onestop.recorder.max_notification_id() or 0
            for read_model in _names(name):
                with Progress(
                    "{task.description}",
                    BarColumn(),
                    MofNCompleteColumn(),
                    console=console,
                ) as progress:
                    task = progress.add_task(read_model, total=total)
                    applied = rebuild(
                        onestop,
                        store,
                        read_model,
                        partial(progress.advance, task),
                    )
                    progress.update(task, completed=total)
                console.print(f"{read_model}: {applied} events")
        finally:
            store.close()


@app.command("checksum")
def checksum_command(
    name: Annotated[str | None, typer.Argument()] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A stable digest of each read model's content (equal after any rebuild)."""
    settings = Settings.from_env()
    with application() as onestop:
        store = build_read_store(settings)
        try:
            build_projector(onestop, store).catch_up()
            sums = {n: checksum(store, READ_MODELS[n]()) for n in _names(name)}
        finally:
            store.close()
    if json:
        print_json(sums)
        return
    for read_model, digest in sums.items():
        typer.echo(f"{digest}  {read_model}")


def projector() -> None:
    """Follow the event log into every read model until interrupted."""
    settings = Settings.from_env()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with application() as onestop:
        store = build_read_store(settings)
        batch_size = int(settings.options.get("PROJECTOR_BATCH_SIZE", "1000"))
        runner = build_projector(onestop, store, batch_size=batch_size)
        wakeup = None
        if settings.is_postgres:
            recorder = cast("PostgresApplicationRecorder", onestop.recorder)
            wakeup = PostgresWakeup(settings.database_url, recorder.channel_name)
        try:
            runner.run_forever(stop, wakeup)
        finally:
            if wakeup is not None:
                wakeup.close()
            store.close()
