"""``motcua import procedures FILE`` and ``motcua import dvcqg FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from adapters.dvcqg.catalogue_import import ImportReport, import_procedures
from adapters.dvcqg.legacy_import import LegacyImport
from adapters.dvcqg.records import ImportFileError
from api.cli.common import application, print_json
from application.clock import trace_for
from domain.values import Actor, Role

app = typer.Typer(
    help="Import from the national formats (TTHC catalogue, legacy dossiers).",
    no_args_is_help=True,
)

MAX_FILE_BYTES = 512 * 1024 * 1024
IMPORTER = Actor("import", Role.SYSTEM)

FileArgument = Annotated[
    Path, typer.Argument(help="JSON file", exists=False, dir_okay=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


def read_records(path: Path, key: str) -> list[Any]:
    """The records of ``{key: [...]}`` or of a bare list; a clear error otherwise."""
    if not path.is_file():
        raise ImportFileError(f"không có tệp {path}", f"no such file {path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"{path} lớn hơn {MAX_FILE_BYTES} byte",
            f"{path} is larger than {MAX_FILE_BYTES} bytes",
        )
    try:
        content = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ImportFileError(
            f"{path} không phải JSON ({error})", f"{path} is not JSON ({error})"
        ) from None
    if isinstance(content, dict):
        content = content.get(key, content.get("data"))
    if not isinstance(content, list):
        raise ImportFileError(
            f'{path}: cần một danh sách hoặc {{"{key}": [...]}}',
            f'{path}: expected a list or {{"{key}": [...]}}',
        )
    return content


def _report(report: ImportReport, json: bool) -> None:
    if json:
        print_json(report.as_json())
    else:
        typer.echo(
            f"imported {len(report.imported)}, unchanged {len(report.unchanged)}, "
            f"rejected {len(report.rejected)}, events {report.events}"
        )
        for index, code, reason in report.rejected:
            typer.echo(f"  #{index} {code or '-'}: {reason}", err=True)
    if report.rejected:
        raise typer.Exit(code=2)


@app.command("procedures")
def procedures(path: FileArgument, json: JsonOption = False) -> None:
    """TTHC from a LayThuTuc-style export → new procedure versions (idempotent);
    exit 2 when some records were rejected (the others are imported)."""
    records = read_records(path, "result")
    with application() as onestop:
        report = import_procedures(onestop, records, trace_for(IMPORTER))
    _report(report, json)


@app.command("dvcqg")
def dvcqg(
    path: FileArgument,
    json: JsonOption = False,
    batch: Annotated[
        int,
        typer.Option(help="Dossiers saved per transaction.", min=1, max=10_000),
    ] = 200,
) -> None:
    """Legacy dossiers in DVCQG sync format (DongBoHoSoMC records) → events;
    re-runs write nothing; exit 2 when some records were rejected (the others
    are imported)."""
    records = read_records(path, "data")
    with application() as onestop:
        report = LegacyImport(onestop, batch=batch).run(records)
    _report(report, json)
