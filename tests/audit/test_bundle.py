"""Evidence bundles verify offline; any changed byte fails."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adapters.audit_keys import FileCheckpointSigner
from api.cli.main import app as cli
from api.evidence import BundleError, export_bundle, verify_bundle
from projections.seal import Sealer
from tests.projections.conftest import BACKENDS, database_url, open_backend
from tests.projections.support import populate


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, int]:
    tmp = tmp_path_factory.mktemp("bundle")
    backend = open_backend("sqlite", f"sqlite:///{tmp / 'm.db'}")
    try:
        scenario = populate(backend.app)
        signer = FileCheckpointSigner(tmp)
        sealer = Sealer(backend.app, backend.store, signer)
        code = backend.app.get_dossier(scenario["returned"]).code
        assert code is not None
        data = export_bundle(
            backend.app, backend.store, sealer, code, signer.public_pem()
        )
        count = len(backend.app.recorder.select_events(scenario["returned"]))
        return data, signer.public_pem(), count
    finally:
        backend.app.close()
        backend.store.close()


def test_a_bundle_verifies_with_the_agency_key_only(
    exported: tuple[bytes, bytes, int],
) -> None:
    data, key, count = exported
    report = verify_bundle(data, key)
    assert report.events == count
    assert not report.key_from_bundle
    history = json.loads(zipfile.ZipFile(BytesIO(data)).read("history.json"))
    assert history["status"] == "returned"
    assert [s["event"] for s in history["steps"]][-1] == "Rated"


def test_another_key_refuses_it(
    exported: tuple[bytes, bytes, int], tmp_path: Path
) -> None:
    data, _, _ = exported
    other = FileCheckpointSigner(tmp_path).public_pem()
    with pytest.raises(BundleError, match="not signed by key"):
        verify_bundle(data, other)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_changed_byte_fails(
    exported: tuple[bytes, bytes, int], data: st.DataObject
) -> None:
    bundle, key, _ = exported
    position = data.draw(st.integers(0, len(bundle) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = bytearray(bundle)
    changed[position] ^= flip
    with pytest.raises(BundleError):
        verify_bundle(bytes(changed), key)


def test_a_consistently_rebuilt_forgery_fails(
    exported: tuple[bytes, bytes, int],
) -> None:
    """Someone edits an event and rebuilds manifest and zip: the chain and the
    signed checkpoint still catch it."""
    from api.evidence import _canonical

    bundle, key, _ = exported
    archive = zipfile.ZipFile(BytesIO(bundle))
    members = {n: archive.read(n) for n in archive.namelist()}
    lines = members["events.jsonl"].splitlines()
    event = json.loads(lines[-1])
    import base64
    import hashlib

    state = bytearray(base64.b64decode(event["state"]))
    state[-5] ^= 0x01  # inside the stored JSON
    event["state"] = base64.b64encode(bytes(state)).decode()
    lines[-1] = json.dumps(event, sort_keys=True).encode()
    members["events.jsonl"] = b"\n".join(lines) + b"\n"
    manifest = json.loads(members["manifest.json"])
    manifest["files"]["events.jsonl"] = hashlib.sha256(
        members["events.jsonl"]
    ).hexdigest()
    members["manifest.json"] = json.dumps(
        manifest, ensure_ascii=False, sort_keys=True, indent=1
    ).encode()
    with pytest.raises(BundleError, match="chain"):
        verify_bundle(_canonical(members), key)


@pytest.fixture(params=BACKENDS)
def cli_env(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    kind = str(request.param)
    url = database_url(kind, request, tmp_path)
    backend = open_backend(kind, url)
    try:
        scenario = populate(backend.app)
        code = backend.app.get_dossier(scenario["reappointed"]).code
    finally:
        backend.app.close()
        backend.store.close()
    monkeypatch.setenv("MOTCUA_DATABASE_URL", url)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    assert code is not None
    return code


def test_cli_export_and_verify_bundle(cli_env: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "evidence.zip"
    exported = runner.invoke(cli, ["audit", "export", cli_env, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    key = tmp_path / "agency.pem"
    published = runner.invoke(cli, ["audit", "public-key"])
    key.write_text(published.stdout)
    verified = runner.invoke(
        cli, ["audit", "verify-bundle", str(out), "--public-key", str(key)]
    )
    assert verified.exit_code == 0, verified.output
    assert cli_env in verified.stdout
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x20
    out.write_bytes(bytes(data))
    broken = runner.invoke(cli, ["audit", "verify-bundle", str(out)])
    assert broken.exit_code == 1
    assert "does not verify" in broken.stderr


def test_checkpoints_carry_an_rfc3161_timestamp_when_a_tsa_is_configured(
    tmp_path: Path,
) -> None:
    from adapters.audit_keys import CheckpointVerifier, RfcTimestamper
    from adapters.pki.service import Pki
    from projections.audit_verify import verify_log
    from projections.seal import Checkpoint

    pki = Pki.development_pki(tmp_path / "pki")
    assert pki.timestamper is not None
    backend = open_backend("sqlite", f"sqlite:///{tmp_path / 'm.db'}")
    try:
        scenario = populate(backend.app)
        signer = FileCheckpointSigner(tmp_path)
        sealer = Sealer(
            backend.app,
            backend.store,
            signer,
            timestamper=RfcTimestamper(pki.timestamper),
        )
        sealer.catch_up()  # the first checkpoint is due at once
        with backend.store.transaction() as sql:
            from projections.seal import checkpoints

            (made,) = checkpoints(sql)
        assert made.timestamp_token is not None
        verifier = CheckpointVerifier(signer.public_pem())
        assert verifier(made)
        assert verify_log(backend.app, backend.store, verifier).ok
        other = RfcTimestamper(pki.timestamper).timestamp(b"another message").hex()
        forged = Checkpoint(
            made.position,
            made.running_hash,
            made.sealed_at,
            made.key_id,
            made.algorithm,
            made.signature,
            other,
        )
        assert not verifier(forged)  # signed, but the token stamps another message
        code = backend.app.get_dossier(scenario["returned"]).code
        assert code is not None
        data = export_bundle(
            backend.app, backend.store, sealer, code, signer.public_pem()
        )
        report = verify_bundle(data, signer.public_pem())
        assert report.checkpoint_position == made.position
        body = json.loads(zipfile.ZipFile(BytesIO(data)).read("checkpoint.json"))
        assert body["timestampToken"] == made.timestamp_token
    finally:
        backend.app.close()
        backend.store.close()
