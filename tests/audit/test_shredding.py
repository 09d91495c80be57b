"""Crypto-shredding: one subject's key destroyed, the others readable, the
chain and the seal still verify."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from adapters.audit_keys import CheckpointVerifier, FileCheckpointSigner
from adapters.settings import Settings
from adapters.subject_keys import FileSubjectKeys
from api.cli.main import app as cli
from api.wiring import build_application, build_read_store, build_sealer
from application.personal_data import ERASED
from domain.dossier import Dossier
from projections.audit_verify import verify_log
from tests.factories import APPLICANT, OTHER_APPLICANT
from tests.projections.conftest import BACKENDS, database_url
from tests.projections.support import populate


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    kind = str(request.param)
    return Settings(
        database_url=database_url(kind, request, tmp_path), data_dir=tmp_path / "d"
    )


def _applicants(settings: Settings) -> dict[str, str]:
    """Dossier id → applicant id as a fresh process reads it."""
    app = build_application(settings)
    try:
        found: dict[str, str] = {}
        position = 0
        while True:
            page = app.recorder.select_notifications(start=position, limit=500)
            if not page:
                return found
            for n in page:
                if (
                    n.topic.startswith("domain.dossier:Dossier.")
                    and n.originator_version == 1
                ):
                    dossier = app.get_dossier(UUID(str(n.originator_id)))
                    found[str(dossier.id)] = dossier.applicant.id
            position = page[-1].id + 1
    finally:
        app.close()


def test_shredding_one_subject(settings: Settings) -> None:
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        scenario = populate(app)
        first = app.recorder.select_events(scenario["received"], limit=1)[0]
        assert APPLICANT.name.encode() not in first.state
        assert APPLICANT.id.encode() not in first.state
        build_sealer(settings, app, store).catch_up()
    finally:
        app.close()
        store.close()
    before = _applicants(settings)
    assert set(before.values()) == {APPLICANT.id, OTHER_APPLICANT.id}

    assert settings.subject_keys_dir is not None
    keys = FileSubjectKeys(settings.subject_keys_dir)
    assert keys.destroy(APPLICANT.id)
    assert not keys.destroy(APPLICANT.id)

    after = _applicants(settings)
    assert after == {d: (ERASED if a == APPLICANT.id else a) for d, a in before.items()}
    app = build_application(settings)
    store = build_read_store(settings)
    try:
        shredded: Dossier = app.get_dossier(scenario["received"])
        assert shredded.applicant.name == ERASED
        assert shredded.status.value == "received"  # the rest of the history stays
        other = app.get_dossier(scenario["district"])
        assert other.applicant.id == OTHER_APPLICANT.id
        verifier = CheckpointVerifier(
            FileCheckpointSigner(settings.data_dir).public_pem()
        )
        report = verify_log(app, store, verifier)
        assert report.ok, [f.describe() for f in report.findings]
        assert report.sealed == report.events
    finally:
        app.close()
        store.close()


def test_cli_shred_rebuilds_the_read_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'm.db'}", data_dir=tmp_path / "d"
    )
    app = build_application(settings)
    try:
        populate(app)
    finally:
        app.close()
    monkeypatch.setenv("MOTCUA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    listed = runner.invoke(cli, ["dossier", "list", "--limit", "100", "--json"])
    assert APPLICANT.id in listed.stdout
    shred = runner.invoke(cli, ["audit", "shred", APPLICANT.id])
    assert shred.exit_code == 0, shred.output
    listed = runner.invoke(cli, ["dossier", "list", "--limit", "100", "--json"])
    assert APPLICANT.id not in listed.stdout
    assert OTHER_APPLICANT.id in listed.stdout
    again = runner.invoke(cli, ["audit", "shred", APPLICANT.id])
    assert again.exit_code == 2
