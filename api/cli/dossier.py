"""``motcua dossier list|show``."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import application, fail, print_json
from api.presenters import dossier_json
from domain.dossier_status import DossierStatus, status_from_national_code

app = typer.Typer(help="Look at dossiers.", no_args_is_help=True)


def parse_status(value: str) -> DossierStatus:
    if value.isdigit():
        try:
            return status_from_national_code(int(value))
        except ValueError:
            pass
    for status in DossierStatus:
        if value.lower() in (status.value, status.name.lower()):
            return status
    known = ", ".join(s.value for s in DossierStatus)
    raise fail(
        f"Trạng thái không hợp lệ (unknown status) {value!r}; dùng 1–10 hoặc: {known}"
    )


@app.command("show")
def show(
    code: Annotated[
        str, typer.Argument(help="Dossier code, e.g. 000.00.00.H34-220601-0001")
    ],
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one dossier with its events."""
    with application() as app:
        dossier = app.find_dossier(code)
        body = dossier_json(dossier, list(app.events.get(dossier.id)))
    if json:
        print_json(body)
        return
    typer.echo(f"{body['code']}  {body['statusLabel']} ({body['nationalStatusCode']})")
    typer.echo(f"  {body['procedureCode']} {body['procedureName']}")
    typer.echo(f"  hạn (due): {body['dueAt']}")
    for event in body["events"]:
        typer.echo(f"  v{event['version']:>3} {event.get('at', '')}  {event['type']}")
