"""``motcua audit seal|verify|protect``: tamper evidence of the event log."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from adapters.append_only import HISTORY_TABLES, protect_postgres
from adapters.audit_keys import CheckpointVerifier, FileCheckpointSigner
from adapters.settings import Settings
from api.cli.common import application, fail, print_json
from api.wiring import build_read_store, build_sealer
from projections.audit_verify import KINDS, verify_log

app = typer.Typer(
    help="Accountability: seal and verify the event log.", no_args_is_help=True
)

TAMPERED = 1


@app.command("seal")
def seal_command(
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep sealing new events until stopped.")
    ] = False,
    checkpoint: Annotated[
        bool, typer.Option("--checkpoint/--no-checkpoint", help="Sign the head now.")
    ] = True,
) -> None:
    """Seal the log up to its head (running hash per position) and sign a checkpoint."""
    settings = Settings.from_env()
    with application() as onestop:
        store = build_read_store(settings)
        try:
            sealer = build_sealer(settings, onestop, store)
            if follow:
                stop = threading.Event()
                signal.signal(signal.SIGTERM, lambda *_: stop.set())
                signal.signal(signal.SIGINT, lambda *_: stop.set())
                while not stop.is_set():
                    sealer.catch_up()
                    stop.wait(0.5)
                return
            count = sealer.catch_up()
            made = sealer.checkpoint() if checkpoint else None
        finally:
            store.close()
    signed = f", checkpoint at {made.position}" if made else ""
    typer.echo(f"sealed {count} events{signed}")


@app.command("verify")
def verify_command(
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="PEM public key of the checkpoints (default: the data directory's).",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Walk the log; exit 1 naming the first altered, removed, inserted or
    reordered event."""
    settings = Settings.from_env()
    pem = (
        public_key.read_bytes()
        if public_key is not None
        else FileCheckpointSigner(settings.data_dir).public_pem()
    )
    verifier = CheckpointVerifier(pem)
    with application() as onestop:
        store = build_read_store(settings)
        try:
            report = verify_log(onestop, store, verifier)
        finally:
            store.close()
    if json:
        print_json(report.as_json())
    else:
        typer.echo(
            f"{report.events} events ({report.chained} chained), "
            f"{report.sealed} sealed, {report.unsealed} not yet sealed, "
            f"{report.checkpoints} signed checkpoints up to position "
            f"{report.signed_position}"
        )
    first = report.first
    if first is None:
        if not json:
            typer.echo("OK: nhật ký nguyên vẹn / the log is intact")
        return
    vi = KINDS[first.kind][0]
    typer.echo(
        f"Lỗi: sự kiện {vi} tại vị trí {first.position} / Error: {first.describe()}",
        err=True,
    )
    for finding in report.ordered()[1:20]:
        typer.echo(f"  also: {finding.describe()}", err=True)
    raise typer.Exit(TAMPERED)


@app.command("protect")
def protect_command(
    app_role: Annotated[
        str,
        typer.Option("--app-role", help="The PostgreSQL role the services log in as."),
    ],
) -> None:
    """PostgreSQL schema set-up, run once as an administrator (MOTCUA_DATABASE_URL):
    creates the tables, makes history append-only and grants APP_ROLE only
    SELECT and INSERT on it."""
    settings = Settings.from_env()
    if not settings.is_postgres:
        raise fail(
            "chỉ dùng cho PostgreSQL (SQLite: trigger đã có sẵn) / PostgreSQL only "
            "(on SQLite the triggers are always there)"
        )
    if not app_role.replace("_", "").isalnum():
        raise fail(f"tên vai trò không hợp lệ / invalid role name {app_role!r}")
    with application() as onestop:
        store = build_read_store(settings)
        try:
            build_sealer(settings, onestop, store)  # creates the seal tables
        finally:
            store.close()
    protect_postgres(settings.database_url, app_role)
    typer.echo(f"{', '.join(HISTORY_TABLES)}: SELECT, INSERT only for {app_role}")
