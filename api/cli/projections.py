"""``motcua projector`` and ``motcua projections status|rebuild|checksum|retry``."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from eventsourcing.postgres import PostgresApplicationRecorder
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress
from rich.table import Table

from adapters.readstore.listen import PostgresWakeup
from adapters.settings import Settings
from api.cli.common import application, fail, print_json
from api.cli.common import settings as read_settings
from api.live import ProjectorHooks
from api.wiring import (
    build_projector,
    build_read_store,
    build_sealer,
    projector_groups,
)
from projections.rebuild import checksum, rebuild_many
from projections.registry import READ_MODELS
from projections.runtime import TimingsFile
from projections.supervisor import GroupFailedError, Supervisor, run_once

_FORK = multiprocessing.get_context("fork")

app = typer.Typer(
    help="Read models: status, rebuild, checksum, retry.", no_args_is_help=True
)


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
    """Position, lag and dead-lettered events of every read model."""
    settings = read_settings()
    with application() as onestop:
        store = build_read_store(settings)
        try:
            projector = build_projector(onestop, store)
            rows = projector.status()
            letters = projector.dead_letters()
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
                    "failing": r.dead_letters,
                    "parked": r.parked,
                    "deadLetters": [
                        {
                            "position": d.position,
                            "topic": d.topic,
                            "originatorId": d.originator_id,
                            "error": d.error,
                            "recordedAt": d.recorded_at,
                            "attempts": d.attempts,
                            "blockedBy": d.blocked_by,
                        }
                        for d in letters
                        if d.read_model == r.name
                    ],
                }
                for r in rows
            ]
        )
        return
    table = Table(
        "read model", "version", "position", "log", "lag", "dead letters", "parked"
    )
    for r in rows:
        table.add_row(
            r.name,
            str(r.version),
            str(r.position),
            str(r.log_position),
            str(r.lag),
            str(r.dead_letters),
            str(r.parked),
        )
    console = Console()
    console.print(table)
    for d in letters:
        if d.parked:
            continue  # counted in the table; listed by --json
        console.print(
            f"{d.read_model} @ {d.position} {d.topic} ({d.originator_id}): {d.error}",
            markup=False,
        )


@app.command("rebuild")
def rebuild_command(name: Annotated[str | None, typer.Argument()] = None) -> None:
    """Rebuild read models beside the live copies, then swap them in (each
    group of ``MOTCUA_PROJECTOR_PROCESSES`` in its own process)."""
    settings = read_settings()
    groups = projector_groups(settings, _names(name))
    console = Console(stderr=True)
    heads = _FORK.Array("q", len(groups))
    with Progress(
        "{task.description}", BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        tasks = [progress.add_task(", ".join(g), total=None) for g in groups]

        def advanced(index: int, done: int) -> None:
            head = int(heads[index])
            progress.update(tasks[index], completed=done, total=head or None)

        target = partial(_rebuild_group, settings, heads)
        if len(groups) == 1:
            applied = [target(0, groups[0], partial(progress.advance, tasks[0]))]
        else:
            try:
                applied = run_once(groups, target, advanced)
            except GroupFailedError as error:
                raise fail(f"Dựng lại thất bại (rebuild failed):\n{error}") from None
        for index, task in enumerate(tasks):
            progress.update(task, completed=int(heads[index]))
    # After the children: the hooks' threads must not exist when they fork.
    with ProjectorHooks(settings) as hooks:
        for group in groups:
            for read_model in group:
                # Shared Redis and the API workers' own caches (SQLite: change_log)
                hooks.rebuilt(read_model)
    for group, events in zip(groups, applied, strict=True):
        for read_model in group:  # one pass over the log for the group
            console.print(f"{read_model}: {events} events")


def _rebuild_group(
    settings: Settings,
    heads: Any,
    index: int,
    names: list[str],
    advance: Callable[[int], None],
) -> int:
    with application() as onestop:
        store = build_read_store(settings)
        try:
            heads[index] = onestop.recorder.max_notification_id() or 0
            return rebuild_many(
                onestop,
                store,
                names,
                advance,
                batch_size=settings.value("PROJECTOR_BATCH_SIZE"),
            )
        finally:
            store.close()


@app.command("checksum")
def checksum_command(
    name: Annotated[str | None, typer.Argument()] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A stable digest of each read model's content (equal after any rebuild)."""
    settings = read_settings()
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


@app.command("retry")
def retry_command(
    name: Annotated[str | None, typer.Argument()] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Apply dead-lettered events again (after a fix): each dossier's in log order,
    up to the first that still fails; exit 1 while some still fail."""
    settings = read_settings()
    names = _names(name)
    with application() as onestop, ProjectorHooks(settings) as hooks:
        store = build_read_store(settings)
        try:
            runner = build_projector(onestop, store)
            hooks.attach(runner)
            outcome = runner.retry(names)
        finally:
            store.close()
    if json:
        print_json(
            {
                "cleared": outcome.cleared,
                "stillFailing": outcome.failing,
                "parked": outcome.parked,
            }
        )
    else:
        typer.echo(
            f"cleared {outcome.cleared}, still failing {outcome.failing}, "
            f"parked {outcome.parked}"
        )
    if outcome.failing or outcome.parked:
        raise typer.Exit(code=1)


def projector(
    timings: Annotated[
        Path | None,
        typer.Option(
            help="append one JSON line per batch with its stages' end times "
            "(monotonic seconds) and originators (for `bench lag`); with several "
            "processes, the batches of the public lookup's group"
        ),
    ] = None,
) -> None:
    """Follow the event log into every read model until interrupted: one
    process per group of read models (``MOTCUA_PROJECTOR_PROCESSES``)."""
    settings = read_settings()
    groups = projector_groups(settings)
    if len(groups) == 1:
        _follow(settings, groups[0], seal=True, timings=timings)
        return
    stop = _stop_on_signals()
    supervisor = Supervisor(groups, partial(_follow_group, settings, timings))
    code = supervisor.run(stop)
    if code:
        raise typer.Exit(code=code)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def _follow_group(
    settings: Settings, timings: Path | None, index: int, names: list[str]
) -> None:
    """One child of ``motcua projector``: the sealer runs in the first group,
    the timings are the public lookup's (what ``bench lag`` measures)."""
    timed = timings if "public_status" in names else None
    _follow(settings, names, seal=index == 0, timings=timed)


def _follow(
    settings: Settings, names: list[str], *, seal: bool, timings: Path | None
) -> None:
    stop = _stop_on_signals()
    with application() as onestop, ProjectorHooks(settings) as hooks:
        store = build_read_store(settings)
        batch_size = settings.value("PROJECTOR_BATCH_SIZE")
        runner = build_projector(onestop, store, names, batch_size=batch_size)
        hooks.attach(runner)
        timed = None if timings is None else TimingsFile(timings)
        if timed is not None:
            runner.timed.append(timed)
        if seal:
            runner.followers.append(build_sealer(settings, onestop, store).catch_up)
        wakeup = None
        if settings.is_postgres:
            recorder = cast("PostgresApplicationRecorder", onestop.recorder)
            wakeup = PostgresWakeup(settings.database_url, recorder.channel_name)
        try:
            runner.run_forever(stop, wakeup)
        finally:
            if wakeup is not None:
                wakeup.close()
            if timed is not None:
                timed.close()
            store.close()
