"""The ``motcua`` command line."""

from __future__ import annotations

import importlib
import logging
from typing import Annotated, Any

import typer
from typer._click import Command, Context
from typer.core import TyperGroup

from api.cli.failures import MotcuaGroup, check_settings
from api.logging import configure_logging

#: Each subcommand: its module and the Typer app or function there. Imported
#: when named, so ``motcua token`` does not import the benchmarks, pyhanko and
#: fpdf (a second of every process start: each API worker, each CLI call).
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("api.cli.demo", "demo"),
    "serve": ("api.cli.serve", "serve"),
    "token": ("api.cli.token", "token"),
    "projector": ("api.cli.projections", "projector"),
    "integrator": ("api.cli.integrator", "integrator"),
    "dossier": ("api.cli.dossier", "app"),
    "calendar": ("api.cli.calendar", "app"),
    "bench": ("api.cli.bench", "app"),
    "projections": ("api.cli.projections", "app"),
    "reorganise": ("api.cli.reorganise", "app"),
    "audit": ("api.cli.audit", "app"),
    "pki": ("api.cli.pki", "app"),
    "import": ("api.cli.imports", "app"),
}


def load_command(name: str) -> Command:
    module, attribute = COMMANDS[name]
    target: Any = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(add_completion=False)  # as registered on a parent
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    built = typer.main.get_command(holder)
    if isinstance(built, TyperGroup) and name in built.commands:
        return built.commands[name]
    return built


class LazyGroup(MotcuaGroup):
    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        return load_command(cmd_name)


app = typer.Typer(
    name="motcua",
    cls=LazyGroup,
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


def main() -> None:
    app()
