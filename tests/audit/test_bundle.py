"""Evidence bundles verify offline; any changed byte fails."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adapters.audit_keys import FileCheckpointSigner
from adapters.settings import Settings
from api.cli.main import app as cli
from api.evidence import BundleError, export_bundle, verify_bundle
from api.wiring import build_application
from projections.seal import Sealer
from tests.pki import shared_pki
from tests.projections.conftest import BACKENDS, database_url, open_backend
from tests.projections.support import populate


def ROOT() -> bytes:
    return shared_pki().root_pem()


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
            backend.app, backend.store, sealer, code, signer.public_pem(), ROOT()
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
    assert report.dossier_events == count
    assert report.events > count  # and the result document's stream
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
    monkeypatch.setenv("MOTCUA_DATABASE_URL", url)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    # Files and signatures of the data directory: the export finds the PDFs
    # and validates them against that PKI's root.
    app = build_application(Settings.from_env())
    try:
        scenario = populate(app)
        code = app.get_dossier(scenario["returned"]).code
    finally:
        app.close()
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
    root = tmp_path / "root.pem"
    root.write_bytes(runner.invoke(cli, ["pki", "export-root"]).stdout_bytes)
    verified = runner.invoke(
        cli,
        [
            *("audit", "verify-bundle", str(out)),
            *("--public-key", str(key), "--root", str(root)),
        ],
    )
    assert verified.exit_code == 0, verified.output
    assert cli_env in verified.stdout
    assert verified.stdout.count(": TOTAL_PASSED") >= 3  # 2 components, result
    assert "agency seal" in verified.stdout
    assert "RFC 3161" in verified.stdout
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(ROOT())
    untrusted = runner.invoke(
        cli, ["audit", "verify-bundle", str(out), "--root", str(other_root)]
    )
    assert untrusted.exit_code == 1
    # the TSA's certificate (then the seal's, the documents') chains to the
    # data directory's root, not to this one
    assert "does not verify with the trust roots" in untrusted.stderr
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x20
    out.write_bytes(bytes(data))
    broken = runner.invoke(cli, ["audit", "verify-bundle", str(out)])
    assert broken.exit_code == 1
    assert "does not verify" in broken.stderr


def test_checkpoints_carry_an_rfc3161_timestamp_and_the_agency_seal(
    tmp_path: Path,
) -> None:
    from adapters.audit_keys import (
        CheckpointVerifier,
        PkiCheckpointSeal,
        RfcTimestamper,
    )
    from adapters.pki import Pki
    from api.evidence_documents import load_roots
    from projections.audit_verify import verify_log
    from projections.seal import Checkpoint, checkpoints

    pki = shared_pki()
    assert pki.timestamper is not None
    roots = load_roots(ROOT())
    backend = open_backend("sqlite", f"sqlite:///{tmp_path / 'm.db'}")
    try:
        scenario = populate(backend.app)
        signer = FileCheckpointSigner(tmp_path)
        sealer = Sealer(
            backend.app,
            backend.store,
            signer,
            timestamper=RfcTimestamper(pki.timestamper),
            seal=PkiCheckpointSeal(lambda: pki, "000.00.00.H34"),
        )
        sealer.catch_up()  # the first checkpoint is due at once
        with backend.store.transaction() as sql:
            (made,) = checkpoints(sql)
        assert made.timestamp_token is not None
        assert made.seal_cms is not None
        assert made.merkle_root is not None
        assert made.span_start == 1
        verifier = CheckpointVerifier(signer.public_pem(), roots)
        assert verifier.problem(made) is None
        assert verify_log(backend.app, backend.store, verifier).ok

        def forged(**changes: Any) -> Checkpoint:
            return dataclasses.replace(made, **changes)

        # signed, but the token stamps another message
        other = RfcTimestamper(pki.timestamper).timestamp(b"another message").hex()
        assert "another message" in str(verifier.problem(forged(timestamp_token=other)))
        # the right imprint from a TSA under another root
        stranger = Pki.development_pki(tmp_path / "other-pki")
        assert stranger.timestamper is not None
        foreign = RfcTimestamper(stranger.timestamper).timestamp(made.message()).hex()
        problem = verifier.problem(forged(timestamp_token=foreign))
        assert "timestamp token's signature" in str(problem)
        # the right imprint, its signature bytes changed
        token = bytearray(bytes.fromhex(made.timestamp_token))
        token[-3] ^= 0x40  # inside the RSA signature, the token's last field
        problem = verifier.problem(forged(timestamp_token=token.hex()))
        assert "timestamp token's signature" in str(problem)
        # the seal of another PKI's agency, or over another message
        foreign_seal = stranger.sign_data(made.message(), _agency()).hex()
        assert "seal" in str(verifier.problem(forged(seal_cms=foreign_seal)))
        wrong = pki.sign_data(b"another message", _agency()).hex()
        assert "seal" in str(verifier.problem(forged(seal_cms=wrong)))
        # verify_log names the forged checkpoint
        assert not verifier(forged(seal_cms=wrong))

        code = backend.app.get_dossier(scenario["returned"]).code
        assert code is not None
        data = export_bundle(
            backend.app, backend.store, sealer, code, signer.public_pem(), ROOT()
        )
        report = verify_bundle(data, signer.public_pem(), ROOT())
        assert report.sealed_by_agency
        assert report.timestamped
        bodies = json.loads(zipfile.ZipFile(BytesIO(data)).read("checkpoints.json"))
        assert bodies[0]["timestampToken"] == made.timestamp_token
        assert bodies[0]["sealCms"] == made.seal_cms
        with pytest.raises(BundleError, match="trust roots"):
            verify_bundle(data, signer.public_pem(), stranger.root_pem())
    finally:
        backend.app.close()
        backend.store.close()


def _agency() -> Any:
    from application.signatures import SignerRef

    return SignerRef.agency("000.00.00.H34")


def _members(bundle: bytes) -> dict[str, bytes]:
    archive = zipfile.ZipFile(BytesIO(bundle))
    return {n: archive.read(n) for n in archive.namelist()}


def _rebuilt(members: dict[str, bytes]) -> bytes:
    """The zip someone would make after editing members: manifest and
    canonical form redone, so only the anchors can catch the edit."""
    import hashlib

    from api.evidence import _canonical

    manifest = json.loads(members["manifest.json"])
    manifest["files"] = {
        n: hashlib.sha256(b).hexdigest()
        for n, b in members.items()
        if n != "manifest.json"
    }
    members["manifest.json"] = json.dumps(
        manifest, ensure_ascii=False, sort_keys=True, indent=1
    ).encode()
    return _canonical(members)


def _pdfs(bundle: bytes) -> list[str]:
    return sorted(n for n in _members(bundle) if n.endswith(".pdf"))


def test_the_bundle_carries_the_signed_documents_and_their_validation(
    exported: tuple[bytes, bytes, int],
) -> None:
    data, key, _ = exported
    members = _members(data)
    report = verify_bundle(data, key, ROOT())
    assert not report.root_from_bundle
    assert set(report.documents) == {n[10:74] for n in _pdfs(data)}
    reports = [
        json.loads(members[n.replace(".pdf", ".validation.json")]) for n in _pdfs(data)
    ]
    signed = [r for r in reports if r["signatures"]]
    # TP1 and TP2 signed by the desk; the result by the leader and the seal.
    assert sorted(len(r["signatures"]) for r in signed) == [1, 1, 2]
    assert all(r["indication"] == "TOTAL_PASSED" for r in signed)
    assert all(
        s["indication"] == "TOTAL_PASSED" and s["level"] == "B-T"
        for r in signed
        for s in r["signatures"]
    )
    root_fingerprint = shared_pki().trust_roots[0].sha256.hex()
    assert all(r["trustRoots"] == [root_fingerprint] for r in reports)
    sealed = next(r for r in signed if len(r["signatures"]) == 2)
    text = members[f"documents/{sealed['sha256']}.validation.txt"].decode()
    assert "ChuKyCoQuan2" in text
    assert "TOTAL_PASSED" in text
    # every document is named by a bundled event: the signed result's copy by
    # the result document's own stream
    manifest = json.loads(members["manifest.json"])
    assert len(manifest["streams"]) > 1
    assert manifest["missingDocuments"] == []


def test_documents_validate_only_against_the_root_given(
    exported: tuple[bytes, bytes, int], tmp_path: Path
) -> None:
    from adapters.pki import Pki

    data, key, _ = exported
    stranger = Pki.development_pki(tmp_path / "other", timestamps=False)
    with pytest.raises(BundleError, match="validation report"):
        verify_bundle(data, key, stranger.root_pem())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_altered_document_fails_even_in_a_rebuilt_bundle(
    exported: tuple[bytes, bytes, int], data: st.DataObject
) -> None:
    """A changed byte of a PDF, with manifest and zip redone: under the same
    name its hash no longer matches; renamed to its new hash (report redone
    too), no event names it."""
    bundle, key, _ = exported
    members = _members(bundle)
    name = data.draw(st.sampled_from(_pdfs(bundle)))
    pdf = bytearray(members[name])
    pdf[data.draw(st.integers(0, len(pdf) - 1))] ^= data.draw(st.integers(1, 255))
    altered = bytes(pdf)
    if data.draw(st.booleans()):
        members[name] = altered
        with pytest.raises(BundleError, match="not the file of that hash"):
            verify_bundle(_rebuilt(members), key, ROOT())
    else:
        import hashlib

        from api.evidence_documents import document_members, load_roots

        old = name[10:74]
        for suffix in (".pdf", ".validation.json", ".validation.txt"):
            del members[f"documents/{old}{suffix}"]
        members.update(
            document_members(
                hashlib.sha256(altered).hexdigest(), altered, load_roots(ROOT())
            )
        )
        with pytest.raises(BundleError, match="no bundled event names"):
            verify_bundle(_rebuilt(members), key, ROOT())


def test_an_edited_validation_report_fails(
    exported: tuple[bytes, bytes, int],
) -> None:
    bundle, key, _ = exported
    members = _members(bundle)
    name = next(
        n.replace(".pdf", ".validation.json")
        for n in _pdfs(bundle)
        if json.loads(members[n.replace(".pdf", ".validation.json")])["signatures"]
    )
    body = json.loads(members[name])
    body["signatures"][0]["signer"] = "Someone Else"
    members[name] = json.dumps(body).encode()
    with pytest.raises(BundleError, match="validation report"):
        verify_bundle(_rebuilt(members), key, ROOT())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_changed_byte_of_a_document_member_fails(
    exported: tuple[bytes, bytes, int], data: st.DataObject
) -> None:
    """Flips aimed at the documents' bytes inside the zip (the whole-file
    test above rarely lands there by chance)."""
    bundle, key, _ = exported
    archive = zipfile.ZipFile(BytesIO(bundle))
    info = data.draw(
        st.sampled_from(
            [i for i in archive.infolist() if i.filename[:10] == "documents/"]
        )
    )
    start = info.header_offset + 30 + len(info.filename)
    position = data.draw(st.integers(start, start + info.file_size - 1))
    changed = bytearray(bundle)
    changed[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(BundleError):
        verify_bundle(bytes(changed), key, ROOT())


def test_proofs_are_logarithmic_and_old_checkpoints_still_prove(
    tmp_path: Path,
) -> None:
    """A checkpoint written before spans had a tree head (old message, no
    Merkle root) still proves its events by the running hash; events after it
    prove by audit paths of at most ⌈log₂ n⌉ hashes for a span of n rows."""
    from adapters.audit_keys import CheckpointVerifier
    from projections.audit_verify import verify_log
    from projections.seal import (
        CHECKPOINTS,
        checkpoint_message,
        checkpoints,
        seal_head,
    )
    from tests.factories import receive

    backend = open_backend("sqlite", f"sqlite:///{tmp_path / 'm.db'}")
    try:
        scenario = populate(backend.app)
        signer = FileCheckpointSigner(tmp_path)
        sealer = Sealer(backend.app, backend.store, signer)
        while sealer.step():
            pass
        with backend.store.transaction() as sql:
            position, running = seal_head(sql)
            sealed_at = "2026-01-01T00:00:00+00:00"
            old = checkpoint_message(position, running, sealed_at)
            sql.execute(
                f"INSERT INTO {CHECKPOINTS} (position, running_hash, sealed_at, "
                "key_id, algorithm, signature) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    position,
                    running,
                    sealed_at,
                    signer.key_id,
                    signer.algorithm,
                    signer.sign(old).hex(),
                ),
            )
        legacy_end = position
        returned = scenario["returned"]
        late = receive(backend.app).dossier_id  # after the old checkpoint
        for _ in range(40):  # a longer second span
            receive(backend.app)
        code = backend.app.get_dossier(returned).code
        assert code is not None
        data = export_bundle(
            backend.app, backend.store, sealer, code, signer.public_pem(), ROOT()
        )
        verifier = CheckpointVerifier(signer.public_pem())
        assert verify_log(backend.app, backend.store, verifier).ok
        with backend.store.transaction() as sql:
            made = checkpoints(sql)
        assert [c.merkle_root is None for c in made] == [True, False]
        assert made[1].span_start == legacy_end + 1
        proofs = json.loads(zipfile.ZipFile(BytesIO(data)).read("proof.json"))
        kinds = {"merkle" if "merkle" in p else "running" for p in proofs["events"]}
        assert kinds == {"running"}  # the returned dossier is all in the old span
        assert verify_bundle(data, signer.public_pem(), ROOT()).events > 0

        # a dossier received after the old checkpoint proves by audit paths
        late_code = backend.app.get_dossier(late).code
        assert late_code is not None
        data = export_bundle(
            backend.app, backend.store, sealer, late_code, signer.public_pem(), ROOT()
        )
        report = verify_bundle(data, signer.public_pem(), ROOT())
        proofs = json.loads(zipfile.ZipFile(BytesIO(data)).read("proof.json"))
        with backend.store.transaction() as sql:
            span = checkpoints(sql)[1]
        assert span.span_start is not None
        assert span.position - span.span_start > 40
        size = span.position - span.span_start + 1
        assert all("merkle" in p for p in proofs["events"])
        assert all(
            len(p["merkle"]["path"]) <= (size - 1).bit_length()
            for p in proofs["events"]
        )
        assert report.proof_hashes <= report.events * (size - 1).bit_length()
        assert report.proof_hashes < report.events * size / 4  # vs every row
    finally:
        backend.app.close()
        backend.store.close()


def test_a_checkpoint_is_signed_even_when_tsa_and_seal_are_unavailable(
    tmp_path: Path,
) -> None:
    """A TSA that does not answer and a seal whose PKI is not configured
    leave the checkpoint with its own signature: the log is still signed and
    verifies, instead of the sealer failing on every attempt."""
    import socket

    from pyhanko.sign.timestamps import HTTPTimeStamper

    from adapters.audit_keys import (
        CheckpointVerifier,
        PkiCheckpointSeal,
        RfcTimestamper,
    )
    from adapters.settings import ConfigurationError
    from projections.audit_verify import verify_log
    from projections.seal import checkpoints

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]

    def no_pki() -> Any:
        raise ConfigurationError("production needs MOTCUA_PKI_PKCS12_DIR")

    backend = open_backend("sqlite", f"sqlite:///{tmp_path / 'm.db'}")
    try:
        populate(backend.app)
        signer = FileCheckpointSigner(tmp_path)
        Sealer(
            backend.app,
            backend.store,
            signer,
            timestamper=RfcTimestamper(
                HTTPTimeStamper(f"http://127.0.0.1:{closed}/tsa", timeout=2)
            ),
            seal=PkiCheckpointSeal(no_pki, "000.00.00.H34"),
        ).catch_up()
        with backend.store.transaction() as sql:
            (made,) = checkpoints(sql)
        assert made.signature
        assert made.timestamp_token is None
        assert made.seal_cms is None
        verifier = CheckpointVerifier(signer.public_pem())
        assert verifier.problem(made) is None
        assert verify_log(backend.app, backend.store, verifier).ok
    finally:
        backend.app.close()
        backend.store.close()
