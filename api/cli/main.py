"""The ``motcua`` command line."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from api.cli import (
    audit,
    bench,
    calendar,
    demo,
    dossier,
    imports,
    integrator,
    pki,
    projections,
    reorganise,
    serve,
    token,
)
from api.cli.failures import MotcuaGroup, check_settings
from api.logging import configure_logging

app = typer.Typer(
    name="motcua",
    cls=MotcuaGroup,
    help="Hệ thống thông tin giải quyết TTHC — event-sourced one-stop backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _configure(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Print the traceback of an unexpected failure (or MOTCUA_DEBUG=y).",
        ),
    ] = False,
) -> None:
    """Hệ thống thông tin giải quyết TTHC — event-sourced one-stop backend.

    Exit codes: 0 success, 2 bad input or configuration, 1 runtime failure
    (database unreachable, file not writable, unexpected error).
    """
    configure_logging(logging.INFO)
    check_settings(ctx, debug=debug)


app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("token")(token.token)
app.command("projector")(projections.projector)
app.command("integrator")(integrator.integrator)
app.add_typer(dossier.app, name="dossier")
app.add_typer(calendar.app, name="calendar")
app.add_typer(bench.app, name="bench")
app.add_typer(projections.app, name="projections")
app.add_typer(reorganise.app, name="reorganise")
app.add_typer(audit.app, name="audit")
app.add_typer(pki.app, name="pki")
app.add_typer(imports.app, name="import")


def main() -> None:
    app()
