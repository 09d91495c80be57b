"""The ``motcua`` command line."""

from __future__ import annotations

import sys

import typer

from api.cli import bench, calendar, demo, dossier, projections, serve, token
from domain.errors import LabelledError

app = typer.Typer(
    name="motcua",
    help="Hệ thống thông tin giải quyết TTHC — event-sourced one-stop backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("token")(token.token)
app.add_typer(dossier.app, name="dossier")
app.add_typer(calendar.app, name="calendar")
app.add_typer(bench.app, name="bench")
app.add_typer(projections.app, name="projections")
app.command("projector")(projections.projector)


def main() -> None:
    try:
        app()
    except LabelledError as error:
        typer.echo(
            f"Lỗi / error: {error.message('vi')} ({error.message('en')})", err=True
        )
        sys.exit(2)
