"""``motcua projections status|rebuild|checksum`` on a seeded SQLite database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Protocol

import pytest
from typer.testing import CliRunner, Result

from adapters.settings import Settings
from api.cli.main import app
from api.wiring import build_application
from domain.dossier_values import PaymentChannel
from projections.registry import READ_MODELS
from tests.factories import ADMIN, JUSTICE, at, desk, in_progress, trace
from tests.poison import poisoned_payment, poisoned_request

runner = CliRunner()


class Motcua(Protocol):
    def __call__(self, *args: str, exit_code: int = 0) -> Result: ...


def environment(directory: Path) -> dict[str, str]:
    return {
        "MOTCUA_DATA_DIR": str(directory),
        "MOTCUA_DATABASE_URL": f"sqlite:///{directory / 'motcua.db'}",
    }


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo province with 30 simulated dossiers, seeded once per module."""
    directory = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment(directory).items():
            patch.setenv(key, value)
        # Before the 2025 reorganisation: the factories' dossiers below are
        # received by Kon Tum units, which end on 1 July 2025.
        result = runner.invoke(
            app,
            ["demo", "--dossiers", "30", "--seed", "3", "--until", "2025-06-20"],
        )
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture
def motcua(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Motcua:
    """Runs ``motcua`` on a private copy of the seeded database."""
    for file in seeded.glob("motcua.db*"):
        shutil.copy(file, tmp_path / file.name)
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)

    def run(*args: str, exit_code: int = 0) -> Result:
        result = runner.invoke(app, list(args))
        assert result.exit_code == exit_code, result.output
        return result

    return run


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


class TestProjectionsStatus:
    def test_reports_every_read_model_behind_the_log_before_projecting(
        self, motcua: Motcua
    ) -> None:
        rows = as_json(motcua("projections", "status", "--json"))
        assert [r["name"] for r in rows] == list(READ_MODELS)
        for row in rows:
            assert row["version"] == READ_MODELS[row["name"]].version
            assert row["position"] == 0
            assert row["logPosition"] > 0
            assert row["lag"] == row["logPosition"]

    def test_reports_no_lag_once_checksum_has_caught_up(self, motcua: Motcua) -> None:
        motcua("projections", "checksum", "--json")
        rows = as_json(motcua("projections", "status", "--json"))
        assert {r["lag"] for r in rows} == {0}
        assert {r["position"] for r in rows} == {rows[0]["logPosition"]}

    def test_prints_a_table_without_json(self, motcua: Motcua) -> None:
        output = motcua("projections", "status").stdout
        for name in READ_MODELS:
            assert name in output


class TestProjectionsChecksum:
    def test_gives_a_stable_digest_of_every_read_model(self, motcua: Motcua) -> None:
        first = as_json(motcua("projections", "checksum", "--json"))
        assert list(first) == list(READ_MODELS)
        assert all(len(digest) == 64 for digest in first.values())
        assert as_json(motcua("projections", "checksum", "--json")) == first
        assert as_json(motcua("projections", "checksum", "worklist", "--json")) == {
            "worklist": first["worklist"]
        }

    def test_prints_digest_and_name_without_json(self, motcua: Motcua) -> None:
        lines = motcua("projections", "checksum", "timeline").stdout.splitlines()
        (line,) = lines
        digest, name = line.split()
        assert name == "timeline"
        assert len(digest) == 64


class TestProjectionsRebuild:
    def test_rebuilding_one_read_model_keeps_its_checksum(self, motcua: Motcua) -> None:
        before = as_json(motcua("projections", "checksum", "--json"))
        result = motcua("projections", "rebuild", "worklist")
        assert "worklist:" in result.stderr
        assert as_json(motcua("projections", "checksum", "--json")) == before
        rows = as_json(motcua("projections", "status", "--json"))
        assert {r["lag"] for r in rows} == {0}

    def test_rebuilding_every_read_model_keeps_every_checksum(
        self, motcua: Motcua
    ) -> None:
        before = as_json(motcua("projections", "checksum", "--json"))
        result = motcua("projections", "rebuild")
        for name in READ_MODELS:
            assert f"{name}:" in result.stderr
        assert as_json(motcua("projections", "checksum", "--json")) == before

    def test_rebuilding_before_any_projection_builds_the_read_model(
        self, motcua: Motcua
    ) -> None:
        motcua("projections", "rebuild", "catalogue")
        rows = {
            r["name"]: r for r in as_json(motcua("projections", "status", "--json"))
        }
        assert rows["catalogue"]["lag"] == 0
        assert rows["worklist"]["position"] == 0


class TestDeadLetters:
    def test_status_shows_them_retry_keeps_failing_ones_and_rebuild_keeps_them(
        self, motcua: Motcua
    ) -> None:
        app = build_application(Settings.from_env())
        try:
            # The factories' dossiers go to this department of the demo's unit.
            app.add_department(
                JUSTICE, trace=trace(ADMIN), department_code="PHC", name="Hành chính"
            )
            dossier_id, position = poisoned_payment(app)
        finally:
            app.close()
        motcua("projections", "checksum", "--json")  # catches up past the poison
        rows = {
            r["name"]: r for r in as_json(motcua("projections", "status", "--json"))
        }
        assert {r["lag"] for r in rows.values()} == {0}
        (letter,) = rows["citizen"]["deadLetters"]
        assert (letter["position"], letter["originatorId"]) == (
            position,
            str(dossier_id),
        )
        assert letter["topic"].endswith("FinancialObligationRequested")
        assert "OverflowError" in letter["error"]
        assert all(rows[n]["deadLetters"] == [] for n in READ_MODELS if n != "citizen")
        table = motcua("projections", "status").stdout
        assert f"citizen @ {position}" in table

        assert as_json(motcua("projections", "retry", "worklist", "--json")) == {
            "cleared": 0,
            "stillFailing": 0,
            "parked": 0,
        }
        failing = motcua("projections", "retry", exit_code=1)
        assert "still failing 1" in failing.stdout
        motcua("projections", "rebuild", "citizen")
        rows = {
            r["name"]: r for r in as_json(motcua("projections", "status", "--json"))
        }
        assert [d["position"] for d in rows["citizen"]["deadLetters"]] == [position]
        assert rows["citizen"]["deadLetters"][0]["attempts"] == 1  # a fresh copy

    def test_status_and_retry_show_the_events_parked_behind_a_failing_one(
        self, motcua: Motcua
    ) -> None:
        app = build_application(Settings.from_env())
        try:
            app.add_department(
                JUSTICE, trace=trace(ADMIN), department_code="PHC", name="Hành chính"
            )
            dossier_id = in_progress(app, at(1))
            failing, _ = poisoned_request(app, dossier_id, at(1, 14))
            app.confirm_payment(
                dossier_id,
                trace=trace(desk(), at(2)),
                channel=PaymentChannel.DESK,
                receipt="BL-1",
            )
            parked = app.recorder.max_notification_id()
        finally:
            app.close()
        motcua("projections", "checksum", "--json")
        rows = {
            r["name"]: r for r in as_json(motcua("projections", "status", "--json"))
        }
        assert (rows["citizen"]["failing"], rows["citizen"]["parked"]) == (1, 1)
        assert [
            (d["position"], d["blockedBy"]) for d in rows["citizen"]["deadLetters"]
        ] == [(failing, None), (parked, failing)]
        assert all(
            (r["failing"], r["parked"]) == (0, 0)
            for n, r in rows.items()
            if n != "citizen"
        )
        assert "parked" in motcua("projections", "status").stdout
        retried = motcua("projections", "retry", "--json", exit_code=1)
        assert json.loads(retried.stdout) == {
            "cleared": 0,
            "stillFailing": 1,
            "parked": 1,
        }


class TestUnknownReadModel:
    @pytest.mark.parametrize("command", ["rebuild", "checksum", "retry"])
    def test_exits_with_code_2_and_names_the_known_read_models(
        self, motcua: Motcua, command: str
    ) -> None:
        result = motcua("projections", command, "worklists", exit_code=2)
        assert "worklists" in result.stderr
        assert "unknown read model" in result.stderr
        for name in READ_MODELS:
            assert name in result.stderr
