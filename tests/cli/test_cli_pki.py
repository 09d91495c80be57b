"""``motcua pki init|export-root`` through the real command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from api.cli.main import app

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MOTCUA_PKI_TRUST_ROOTS", raising=False)
    return tmp_path


def test_export_root_before_init_is_a_clear_error(data_dir: Path) -> None:
    result = runner.invoke(app, ["pki", "export-root"])
    assert result.exit_code == 2
    assert "motcua pki init" in result.output
    assert not (data_dir / "pki" / "root.pem").exists()


def test_init_twice_keeps_the_root_and_export_prints_it(data_dir: Path) -> None:
    first = runner.invoke(app, ["pki", "init", "--agency", "000.00.00.H34=Sở Tư pháp"])
    assert first.exit_code == 0, first.output
    exported = runner.invoke(app, ["pki", "export-root"])
    assert exported.exit_code == 0, exported.output
    again = runner.invoke(app, ["pki", "init"])
    assert again.exit_code == 0
    assert "already there" in again.output
    assert runner.invoke(app, ["pki", "export-root"]).stdout == exported.stdout
    root = x509.load_pem_x509_certificate(exported.stdout.encode())
    assert root.issuer == root.subject
    assert exported.stdout.encode() == (data_dir / "pki" / "root.pem").read_bytes()
    ca = x509.load_pem_x509_certificate(
        (data_dir / "pki" / "ca" / "000.00.00.H34.pem").read_bytes()
    )
    assert ca.issuer == root.subject
    assert (data_dir / "pki" / "identities" / "agency" / "000.00.00.H34.p12").exists()


@pytest.mark.parametrize("agency", ["H34", "../x", "000.00.00.H34/.."])
def test_a_bad_agency_code_writes_nothing(data_dir: Path, agency: str) -> None:
    result = runner.invoke(app, ["pki", "init", "--agency", agency])
    assert result.exit_code == 2
    assert "QCVN 102" in result.output
    assert not (data_dir / "pki").exists()


def test_export_root_prints_the_configured_trust_roots(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["pki", "init"]).exit_code == 0
    pem = (data_dir / "pki" / "root.pem").read_bytes()
    bundle = data_dir / "roots.pem"
    bundle.write_bytes(pem + (data_dir / "pki" / "tsa.pem").read_bytes())
    monkeypatch.setenv("MOTCUA_PKI_TRUST_ROOTS", str(bundle))
    result = runner.invoke(app, ["pki", "export-root"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("BEGIN CERTIFICATE") == 2
