"""``motcua dossier list|show``."""

from __future__ import annotations

import contextlib
from typing import Annotated
from uuid import UUID

import typer

from api.cli.common import application, fail, print_json
from api.cli.common import settings as read_settings
from api.presenters import dossier_json, plain
from api.wiring import build_projector, build_read_store
from application.onestop import OneStop
from domain.dossier import Dossier
from domain.dossier_status import DossierStatus, status_from_national_code
from projections.worklist import WorkItem, WorklistView

app = typer.Typer(help="Look at dossiers.", no_args_is_help=True)


def parse_status(value: str) -> DossierStatus:
    if value.isdigit():
        with contextlib.suppress(ValueError):
            return status_from_national_code(int(value))
    for status in DossierStatus:
        if value.lower() in (status.value, status.name.lower()):
            return status
    known = ", ".join(s.value for s in DossierStatus)
    raise fail(
        f"Trạng thái không hợp lệ (unknown status) {value!r}; dùng 1–10 hoặc: {known}"
    )


def find(app: OneStop, reference: str) -> Dossier:
    """The dossier with this code, or with this id (online submissions have no
    code until the desk receives them)."""
    try:
        dossier_id = UUID(reference.strip())
    except ValueError:
        return app.find_dossier(reference.strip())
    return app.get_dossier(dossier_id)


@app.command("show")
def show(
    reference: Annotated[
        str,
        typer.Argument(
            metavar="CODE_OR_ID",
            help="Dossier code (e.g. 000.00.00.H34-220601-0001) or dossier id.",
        ),
    ],
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one dossier with its events."""
    with application() as app:
        dossier = find(app, reference)
        body = dossier_json(dossier, list(app.events.get(dossier.id)))
    if json:
        print_json(body)
        return
    typer.echo(
        f"{body['code'] or body['id']}  {body['statusLabel']} "
        f"({body['nationalStatusCode']})"
    )
    typer.echo(f"  {body['procedureCode']} {body['procedureName']}")
    typer.echo(f"  hạn (due): {body['dueAt']}")
    for event in body["events"]:
        typer.echo(f"  v{event['version']:>3} {event.get('at', '')}  {event['type']}")


def item_json(item: WorkItem) -> dict[str, object]:
    return {
        "id": item.dossier_id,
        "code": item.code,
        "status": item.status.value,
        "nationalStatusCode": item.national_code,
        "statusLabel": item.status.label("vi"),
        "applicantId": item.applicant_id,
        "agencyCode": item.competent_agency,
        "holderAgencyCode": item.holder_agency,
        "procedureCode": item.procedure_code,
        "receivedAt": plain(item.received_at),
        "dueAt": plain(item.due_at),
    }


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="National code 1–10 or a status name.")
    ] = None,
    limit: Annotated[
        int, typer.Option(help="At most this many.", min=1, max=100000)
    ] = 50,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List dossiers from the worklist read model, newest reception first."""
    wanted = parse_status(status) if status is not None else None
    settings = read_settings()
    with application() as app:
        store = build_read_store(settings)
        try:
            build_projector(app, store).catch_up()
            items = WorklistView(store).recent(status=wanted, limit=limit)
        finally:
            store.close()
    if json:
        print_json([item_json(i) for i in items])
        return
    for item in items:
        typer.echo(
            f"{item.code or item.dossier_id:<36} {item.national_code:>2} "
            f"{item.status.label('vi'):<36} hạn {plain(item.due_at) or '—'}"
        )
