"""``motcua audit seal|verify|protect``: tamper evidence of the event log."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from adapters.append_only import HISTORY_TABLES, protect_postgres
from adapters.audit_keys import CheckpointVerifier, FileCheckpointSigner
from adapters.pki.service import Pki
from adapters.settings import Settings
from adapters.subject_keys import SHRED_NOTICE_SECONDS, FileSubjectKeys
from api.cli.common import application, fail, print_json
from api.cli.inputs import iso_instant
from api.evidence import BundleError, export_bundle, verify_bundle
from api.evidence_documents import load_roots
from api.live import ProjectorHooks
from api.presenters import plain
from api.wiring import build_read_store, build_sealer
from application.history import DossierAsOf, dossier_history
from domain.dossier_values import canonical_applicant_id
from projections.access_log import AccessLogView
from projections.audit_verify import KINDS, verify_log
from projections.rebuild import rebuild_many
from projections.registry import READ_MODELS

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
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            help="Root certificate(s) (PEM) the agency seal's and the TSA's "
            "signatures on checkpoints must chain to (default: the PKI's trust "
            "roots, MOTCUA_PKI_TRUST_ROOTS or the development root).",
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
    roots = (
        load_roots(root.read_bytes())
        if root is not None
        else Pki.from_settings(settings).trust_roots
    )
    verifier = CheckpointVerifier(pem, roots)
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
            AccessLogView(store)  # and the access log
        finally:
            store.close()
    protect_postgres(settings.database_url, app_role)
    typer.echo(f"{', '.join(HISTORY_TABLES)}: SELECT, INSERT only for {app_role}")


@app.command("history")
def history_command(
    reference: Annotated[
        str,
        typer.Argument(metavar="CODE_OR_ID", help="Dossier code or dossier id."),
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="ISO 8601 time with offset: the dossier as the system knew it then "
            "(events recorded up to it). Default: now.",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The dossier as known at a time: status, documents, due time with its
    derivation, and every step with who, role, agency, reason and times."""
    moment = iso_instant("--as-of", as_of) if as_of is not None else None
    with application() as onestop:
        try:
            target: str | UUID = UUID(reference.strip())
        except ValueError:
            target = reference.strip()
        found = dossier_history(onestop, target, moment)
    if json:
        print_json(plain(found))
        return
    _show_history(found)


def _show_history(found: DossierAsOf) -> None:
    when = found.as_of.isoformat() if found.as_of else "now"
    if not found.known:
        typer.echo(f"{found.dossier_id}: not yet recorded at {when}")
        return
    typer.echo(
        f"{found.code or found.dossier_id} as known at {when}: {found.status} "
        f"(national {found.national_status_code}), version {found.version}, "
        f"held by {found.holder_agency} {found.holder_department or ''}".rstrip()
    )
    if found.due is not None:
        typer.echo(f"due {found.due.due_at.isoformat() if found.due.due_at else '—'}:")
        for line in found.due.explanation:
            typer.echo(f"  {line}")
    typer.echo("documents:")
    for doc in found.documents:
        signed = f", signed by {doc.signed_by}" if doc.signed_by else ""
        typer.echo(f"  {doc.component_code} {doc.status}{signed}")
    typer.echo("steps:")
    for step in found.steps:
        unit = f"{step.agency_code or ''}/{step.department or ''}".strip("/")
        effective = (
            f" (effective {step.effective_at.isoformat()})"
            if step.effective_at != step.recorded_at
            else ""
        )
        reason = f" — {step.reason}" if step.reason else ""
        typer.echo(
            f"  v{step.version} {step.recorded_at.isoformat()}{effective} "
            f"{step.event} by {step.actor_id} ({step.role}{', ' + unit if unit else ''})"
            f" procedure v{step.procedure_version} calendar v{step.calendar_version}"
            f"{reason}"
        )


@app.command("export")
def export_command(
    reference: Annotated[
        str, typer.Argument(metavar="CODE_OR_ID", help="Dossier code or dossier id.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The bundle to write (.zip).")],
) -> None:
    """Write the dossier's evidence bundle: events, chain proof to the nearest
    signed checkpoint, the checkpoint, the reconstructed history, the signed
    documents with their validation reports, the public key and root certificate."""
    settings = Settings.from_env()
    signer = FileCheckpointSigner(settings.data_dir)
    root_pem = Pki.from_settings(settings).root_pem()
    with application() as onestop:
        store = build_read_store(settings)
        try:
            data = export_bundle(
                onestop,
                store,
                build_sealer(settings, onestop, store),
                reference,
                signer.public_pem(),
                root_pem,
            )
        finally:
            store.close()
    out.write_bytes(data)
    typer.echo(f"{out}: {len(data)} bytes, key {signer.key_id}")


@app.command("verify-bundle")
def verify_bundle_command(
    bundle: Annotated[Path, typer.Argument(help="A bundle from `audit export`.")],
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The agency's public key, obtained separately (`audit public-key`). "
            "Without it the bundle's own key is used and its id printed to compare.",
        ),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option(
            "--root",
            help="The root certificate(s) to validate the documents' signatures "
            "against (PEM, e.g. from `motcua pki export-root`). Without it the "
            "bundle's own root.pem is used and its fingerprint printed to compare.",
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Verify a bundle offline (no database): exit 1 naming what does not verify."""
    data = bundle.read_bytes()
    pem = public_key.read_bytes() if public_key is not None else None
    root_pem = root.read_bytes() if root is not None else None
    try:
        report = verify_bundle(data, pem, root_pem)
    except BundleError as error:
        typer.echo(
            f"Lỗi: gói chứng cứ không hợp lệ — {error} / Error: the bundle does not "
            f"verify — {error}",
            err=True,
        )
        raise typer.Exit(TAMPERED) from None
    if json:
        print_json(plain(report))
        return
    typer.echo(
        f"OK: {report.events} events of dossier {report.code or report.dossier_id}, "
        f"chained and sealed up to checkpoint {report.checkpoint_position} signed "
        f"{report.signed_at} by key {report.key_id}"
    )
    if report.sealed_by_agency:
        typer.echo("  checkpoints co-signed by the agency seal (chains to the root)")
    if report.timestamped:
        typer.echo("  checkpoints carry a verified RFC 3161 timestamp")
    typer.echo(f"  proofs: {report.proof_hashes} hashes (Merkle audit paths)")
    for sha256, verdict in report.documents.items():
        typer.echo(f"  document {sha256}: {verdict}")
    for sha256 in report.missing_documents:
        typer.echo(f"  document {sha256}: not in the bundle (not kept when exported)")
    if report.root_from_bundle:
        typer.echo(
            "(chứng thư gốc lấy từ chính gói: hãy so với chứng thư gốc của tỉnh / "
            "the root certificate came from the bundle itself: compare it with "
            "the province's published root, or pass --root)"
        )
    if report.key_from_bundle:
        typer.echo(
            "(khoá công khai lấy từ chính gói: hãy so mã khoá với khoá của cơ quan / "
            "the public key came from the bundle itself: compare its id with the "
            "agency's published key)"
        )


@app.command("public-key")
def public_key_command() -> None:
    """Print the agency's checkpoint public key (PEM) to publish or carry offline."""
    settings = Settings.from_env()
    typer.echo(FileCheckpointSigner(settings.data_dir).public_pem().decode(), nl=False)


@app.command("shred")
def shred_command(
    subject: Annotated[
        str,
        typer.Argument(help="The data subject's identifier (CCCD, tax code…)."),
    ],
) -> None:
    """End of retention: destroy the subject's key (their personal data in every
    stored event becomes unreadable; the chain still verifies), then rebuild the
    read models so no plaintext copy stays there. Running services notice the
    destroyed key within a second and drop what they opened with it."""
    settings = Settings.from_env()
    directory = settings.subject_keys_dir
    if directory is None:
        raise fail("không có kho khoá chủ thể / no subject key store configured")
    keys = FileSubjectKeys(directory)
    subject = canonical_applicant_id(subject.strip())
    if not keys.destroy(subject):
        raise fail(
            "không có khoá cho chủ thể này (đã xoá hoặc chưa từng có) / no key for "
            "this subject (already destroyed or never created)"
        )
    # Past the window in which a running projector may still open the key,
    # so what it writes after this is erased and the rebuild replaces the rest.
    time.sleep(2 * SHRED_NOTICE_SECONDS)
    names = list(READ_MODELS)
    with application() as onestop:
        store = build_read_store(settings)
        try:
            rebuild_many(onestop, store, names)
        finally:
            store.close()
    with ProjectorHooks(settings) as hooks:
        for name in names:  # the API workers' cached pages of the old copies
            hooks.rebuilt(name)
    typer.echo(f"key destroyed; {len(READ_MODELS)} read models rebuilt")
