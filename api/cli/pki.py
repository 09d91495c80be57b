"""``motcua pki init|export-root``: the development PKI and the trust roots."""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.pki import DevelopmentPki
from adapters.pki.service import load_certificates
from adapters.settings import Settings
from api.cli.common import fail
from domain.errors import InvalidAgencyCodeError
from domain.values import AgencyCode

app = typer.Typer(
    help="Development PKI (province root, agency CAs, TSA) and trust roots.",
    no_args_is_help=True,
)


@app.command("init")
def init(
    agency: Annotated[
        list[str] | None,
        typer.Option(
            help="Also issue an agency CA and seal: CODE or CODE=NAME (repeatable)."
        ),
    ] = None,
) -> None:
    """Create the development PKI under $MOTCUA_DATA_DIR/pki (idempotent)."""
    settings = Settings.from_env()
    agencies: list[tuple[str, str]] = []
    for given in agency or []:
        code, _, name = given.partition("=")
        try:
            agencies.append((AgencyCode(code.strip()).value, name.strip()))
        except InvalidAgencyCodeError:
            raise fail(
                "--agency phải là mã cơ quan QCVN 102:2016, ví dụ 000.00.00.H34 "
                f"(must be a QCVN 102:2016 agency code): {code!r}"
            ) from None
    settings.prepare_storage()
    pki = DevelopmentPki(settings.data_dir / "pki")
    existed = pki.initialised
    pki.init(tuple(agencies))
    state = "đã có / already there" if existed else "đã tạo / created"
    typer.echo(f"PKI phát triển {state}: {pki.folder}")
    typer.echo(f"root: {pki.root_path}")
    for code, _ in agencies:
        typer.echo(f"CA {code}: {pki.ca_path(code)}")


@app.command("export-root")
def export_root() -> None:
    """Print the trusted root certificate(s) as PEM."""
    settings = Settings.from_env()
    configured = settings.value("PKI_TRUST_ROOTS")
    if configured is not None:
        from asn1crypto import pem

        for certificate in load_certificates(configured):
            typer.echo(pem.armor("CERTIFICATE", certificate.dump()).decode(), nl=False)
        return
    pki = DevelopmentPki(settings.data_dir / "pki")
    if not pki.initialised:
        raise fail(
            f"Chưa có PKI phát triển trong {pki.folder}: chạy `motcua pki init` "
            f"(no development PKI in {pki.folder}: run `motcua pki init`)"
        )
    typer.echo(pki.root_pem().decode(), nl=False)
