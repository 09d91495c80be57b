"""``motcua reorganise plan|apply FILE`` on a demo province before 1 July 2025."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from adapters.demo.lifetime import PLANS_DIR
from api.cli.main import app

runner = CliRunner()
PROVINCE_PLAN = sorted(PLANS_DIR.glob("*.json"))[0]
COMMUNE_PLAN = sorted(PLANS_DIR.glob("*.json"))[1]


def _only_data_dir(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MOTCUA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(path))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo province before 1 July 2025, seeded once per module (each
    test works on its own copy)."""
    path = tmp_path_factory.mktemp("seeded")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _only_data_dir(monkeypatch, path)
        result = runner.invoke(
            app, ["demo", "--dossiers", "60", "--seed", "4", "--until", "2025-06-30"]
        )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def data_dir(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(seeded, copy)
    _only_data_dir(monkeypatch, copy)
    return copy


def run(*args: str, exit_code: int = 0) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def listing() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = as_json(
        run("dossier", "list", "--limit", "1000", "--json")
    )
    return rows


class TestPlanAndApply:
    def test_preview_counts_and_records_nothing_then_apply_records_once(
        self, data_dir: Path
    ) -> None:
        before = listing()
        preview = as_json(run("reorganise", "plan", str(PROVINCE_PLAN), "--json"))
        assert preview["counts"]["merged"] == 15
        assert preview["counts"]["split"] == 1
        assert preview["counts"]["established"] == 12
        assert preview["alreadyApplied"] is False
        moved = {m["code"]: m["to"] for m in preview["procedureMoves"]}
        assert moved["3.000333"] == "000.00.02.H48"  # Sở Tư pháp
        assert moved["1.014199"] == "000.00.01.H48"  # LĐ-TB&XH split → Nội vụ
        open_in_departments = [
            d
            for d in before
            if d["nationalStatusCode"] in (2, 3, 4, 5, 6)
            and d["agencyCode"].split(".")[:2] == ["000", "00"]
            and not d["agencyCode"].startswith("000.00.2")
        ]
        assert preview["counts"]["dossiersTransferred"] >= len(open_in_departments)
        assert listing() == before  # a preview records nothing

        applied = as_json(run("reorganise", "apply", str(PROVINCE_PLAN), "--json"))
        assert applied["recorded"] is True
        assert applied["counts"] == preview["counts"]
        again = as_json(run("reorganise", "apply", str(PROVINCE_PLAN), "--json"))
        assert again["recorded"] is False
        assert again["planId"] == applied["planId"]
        assert again["logPosition"] is None
        assert as_json(run("reorganise", "plan", str(PROVINCE_PLAN), "--json"))[
            "alreadyApplied"
        ]

    def test_the_commune_plan_needs_the_new_province_first(
        self, data_dir: Path
    ) -> None:
        refused = run("reorganise", "apply", str(COMMUNE_PLAN), exit_code=2)
        assert "000.00.00.H48" in refused.output
        assert "Error" in refused.output
        run("reorganise", "apply", str(PROVINCE_PLAN))
        done = run("reorganise", "apply", str(COMMUNE_PLAN))
        assert "recorded plan" in done.output
        for row in listing():
            if row["code"] and row["status"] not in ("returned", "refused"):
                shown = as_json(run("dossier", "show", row["code"], "--json"))
                assert shown["code"] == row["code"]  # old codes stay valid


class TestBadPlans:
    def test_every_problem_is_listed_and_nothing_is_recorded(
        self, data_dir: Path, tmp_path: Path
    ) -> None:
        plan = json.loads(PROVINCE_PLAN.read_text(encoding="utf-8"))
        plan["merge"].append({"from": ["000.00.09.H34"], "into": "000.00.01.H48"})
        plan["merge"].append({"from": ["000.00.88.H34"], "into": "000.00.01.H48"})
        plan["dissolve"] = [{"unit": "000.00.00.H34", "reason": "twice"}]
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(plan), encoding="utf-8")
        before = listing()
        refused = run("reorganise", "apply", str(path), exit_code=2)
        text = refused.output
        assert "000.00.88.H34" in text  # unknown
        assert "000.00.09.H34" in text  # mapped twice
        assert "000.00.00.H34" in text  # merged and dissolved
        assert "Lỗi" in text
        assert listing() == before

    @pytest.mark.parametrize(
        "content", ["{not json", "[]", '{"effective_on": "2025-07-01"}', "\ud800"]
    )
    def test_unreadable_files_are_refused_clearly(
        self, data_dir: Path, tmp_path: Path, content: str
    ) -> None:
        path = tmp_path / "plan.json"
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
        result = run("reorganise", "plan", str(path), exit_code=2)
        assert "Traceback" not in result.output
        assert "Error" in result.output

    def test_a_missing_file_is_a_usage_error(self, data_dir: Path) -> None:
        result = run("reorganise", "apply", "/nonexistent/plan.json", exit_code=2)
        assert "Traceback" not in result.output


class TestDemoLivesThroughTheReorganisation:
    def test_old_codes_move_to_successors_and_new_dossiers_use_the_new_units(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _only_data_dir(monkeypatch, tmp_path)
        result = runner.invoke(
            app, ["demo", "--dossiers", "80", "--seed", "2", "--until", "2026-01-31"]
        )
        assert result.exit_code == 0, result.output
        assert "transferred to successor units" in result.output
        rows = [r for r in listing() if r["code"]]
        old = [r for r in rows if r["code"].split("-")[0].endswith("H34")]
        new = [r for r in rows if r["code"].split("-")[0].endswith("H48")]
        assert old
        assert new
        assert all(r["code"].split("-")[1] < "250701" for r in old)
        assert all(r["code"].split("-")[1] >= "250701" for r in new)
        assert all(r["agencyCode"].endswith("H48") for r in new)
        moved = [r for r in old if r["agencyCode"].endswith("H48")]
        assert moved  # in flight on 1 July 2025: handed to successor units
        for row in moved:
            shown = as_json(run("dossier", "show", row["code"], "--json"))
            kinds = [e["type"] for e in shown["events"]]
            assert "TransferredToSuccessor" in kinds, kinds
