"""The ``motcua`` command line."""

from __future__ import annotations

import logging
from typing import Any

import typer
from typer.core import TyperGroup

from api.cli import bench, calendar, demo, dossier, projections, serve, token
from api.logging import configure_logging
from domain.errors import LabelledError


class MotcuaGroup(TyperGroup):
    """Expected failures print a bilingual message and exit with code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except LabelledError as error:
            typer.echo(
                f"Lỗi: {error.message('vi')} / Error: {error.message('en')}", err=True
            )
            raise typer.Exit(code=2) from None


app = typer.Typer(
    name="motcua",
    cls=MotcuaGroup,
    help="Hệ thống thông tin giải quyết TTHC — event-sourced one-stop backend.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _configure() -> None:
    """Hệ thống thông tin giải quyết TTHC — event-sourced one-stop backend."""
    configure_logging(logging.INFO)


app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("token")(token.token)
app.command("projector")(projections.projector)
app.add_typer(dossier.app, name="dossier")
app.add_typer(calendar.app, name="calendar")
app.add_typer(bench.app, name="bench")
app.add_typer(projections.app, name="projections")


def main() -> None:
    app()
