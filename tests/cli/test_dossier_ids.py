"""``dossier list --json`` rows carry the dossier id; ``dossier show`` takes a code or an id.

Online submissions have no code until the desk receives them, and a submission
refused before reception never gets one: the id is the only way to name them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from adapters.settings import Settings
from api.cli.main import app
from api.wiring import build_application
from domain.procedure import Procedure
from tests.factories import (
    APPLICANT,
    BIRTH,
    citizen,
    desk,
    document,
    receive,
    seed_catalogue,
    trace,
)

runner = CliRunner()


@pytest.fixture
def dossiers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """One paper dossier (coded), one online submission, one refused submission."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    onestop = build_application(Settings.from_env())
    try:
        seed_catalogue(onestop)
        paper = receive(onestop)
        documents = {
            "TP1": document("a", onestop, citizen()),
            "TP2": document("b", onestop, citizen()),
        }
        waiting, _ = onestop.submit_dossier(
            trace=trace(citizen()),
            applicant=APPLICANT,
            procedure_code=BIRTH,
            documents=documents,
        )
        refused, _ = onestop.submit_dossier(
            trace=trace(citizen()),
            applicant=APPLICANT,
            procedure_code=BIRTH,
            documents=documents,
        )
        onestop.refuse_dossier(refused, trace=trace(desk()), reason="Thiếu bản gốc")
        procedure_id = str(Procedure.create_id(BIRTH))
    finally:
        onestop.close()
    return {
        "paper": str(paper.dossier_id),
        "code": paper.code,
        "waiting": str(waiting),
        "refused": str(refused),
        "procedure": procedure_id,
    }


def run_json(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_listed_row_carries_its_id(dossiers: dict[str, str]) -> None:
    rows = run_json("dossier", "list", "--json")
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {dossiers["paper"], dossiers["waiting"], dossiers["refused"]}
    assert by_id[dossiers["paper"]]["code"] == dossiers["code"]
    assert by_id[dossiers["waiting"]]["code"] is None
    assert by_id[dossiers["refused"]]["code"] is None
    assert (
        by_id[dossiers["refused"]]["nationalStatusCode"]
        != (by_id[dossiers["waiting"]]["nationalStatusCode"])
    )


@pytest.mark.parametrize("which", ["waiting", "refused", "paper"])
def test_show_accepts_the_id_from_the_list(
    dossiers: dict[str, str], which: str
) -> None:
    rows = {row["id"]: row for row in run_json("dossier", "list", "--json")}
    shown = run_json("dossier", "show", dossiers[which], "--json")
    assert shown["id"] == dossiers[which]
    assert shown["code"] == rows[dossiers[which]]["code"]
    assert shown["status"] == rows[dossiers[which]]["status"]
    assert shown["events"]


def test_show_by_code_and_by_id_agree(dossiers: dict[str, str]) -> None:
    by_code = run_json("dossier", "show", dossiers["code"], "--json")
    by_id = run_json("dossier", "show", dossiers["paper"], "--json")
    assert by_code == by_id
    upper = run_json("dossier", "show", dossiers["paper"].upper(), "--json")
    assert upper["id"] == dossiers["paper"]


def test_show_in_text_names_an_uncoded_dossier_by_its_id(
    dossiers: dict[str, str],
) -> None:
    result = runner.invoke(app, ["dossier", "show", dossiers["waiting"]])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(dossiers["waiting"])
    listing = runner.invoke(app, ["dossier", "list"])
    assert dossiers["refused"] in listing.stdout


@pytest.mark.parametrize(
    "reference",
    # Fixed: a test id must be the same in every pytest-xdist worker.
    [
        "5202504a-db0f-4d12-8694-e31461e5b3f9",
        "procedure",
        "not-a-code",
        "000.00.00.H34-260302-9999",
        "",
    ],
)
def test_show_refuses_what_is_not_a_dossier(
    dossiers: dict[str, str], reference: str
) -> None:
    reference = dossiers.get(reference, reference)
    result = runner.invoke(app, ["dossier", "show", reference, "--json"])
    assert result.exit_code == 2, result.output
    assert "Lỗi" in result.output
    assert "Error" in result.output
    assert "Traceback" not in result.output
    UUID(dossiers["procedure"])  # the procedure id is a real aggregate id
