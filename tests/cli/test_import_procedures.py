"""``motcua import procedures FILE``: LayThuTuc-style export → procedure versions."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.settings import persistence_env
from api.cli.main import app
from application.onestop import OneStop
from domain.deadline import TimeUnit
from domain.procedure import DigitizationScope, OnlineLevel
from tests.factories import seed_catalogue

runner = CliRunner()

TTHC: dict[str, Any] = {
    "MATTHC": "1.004227.000.00.12.H34",
    "TENTTHC": "Chứng thực bản sao từ bản chính",
    "MALINHVUC": "H34-CT",
    "COQUANTHUCHIEN": [{"MADONVI": "000.00.12.H34", "TENDONVI": "Sở Tư pháp"}],
    "CACHTHUCTHUCHIEN": [
        {
            "KENH": 2,
            "THOIGIAN": [
                {"THOIGIANGIAIQUYET": "1", "DONVITINH": "Ngày", "PHILEPHI": []}
            ],
        },
        {
            "KENH": 1,
            "THOIGIAN": [
                {
                    "THOIGIANGIAIQUYET": "2",
                    "DONVITINH": "Ngày làm việc",
                    "MOTA": "",
                    "PHILEPHI": [
                        {
                            "MAPHILEPHI": "LP1",
                            "SOTIEN": "2000",
                            "MOTA": "Phí chứng thực",
                        }
                    ],
                }
            ],
        },
    ],
    "THANHPHANHOSO": [
        {
            "TRUONGHOP": "",
            "GIAYTO": [
                {"MAGIAYTO": "GT.BC", "TENGIAYTO": "Bản chính giấy tờ"},
                {
                    "MAGIAYTO": "GT.CCCD",
                    "TENGIAYTO": "Căn cước",
                    "PHAMVISOHOA": "shown_only",
                },
            ],
        },
        {
            "TRUONGHOP": "Người được ủy quyền",
            "GIAYTO": [
                {"MAGIAYTO": "GT.BC", "TENGIAYTO": "Bản chính giấy tờ"},
                {"MAGIAYTO": "GT.UQ", "TENGIAYTO": "Ủy quyền", "BATBUOC": "0"},
            ],
        },
    ],
    "KETQUATHUCHIEN": [
        {"MAKETQUA": "KQ.H34.000010", "TENKETQUA": "Bản sao chứng thực"}
    ],
    "MUCDO": "4",
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    onestop = OneStop(env=persistence_env(f"sqlite:///{tmp_path / 'motcua.db'}"))
    seed_catalogue(onestop)
    onestop.close()
    return tmp_path


def write(path: Path, records: Any) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False))
    return path


def load(data_dir: Path) -> OneStop:
    return OneStop(env=persistence_env(f"sqlite:///{data_dir / 'motcua.db'}"))


def head(data_dir: Path) -> int:
    onestop = load(data_dir)
    try:
        return onestop.recorder.max_notification_id() or 0
    finally:
        onestop.close()


def test_export_becomes_a_procedure_and_a_rerun_changes_nothing(
    data_dir: Path,
) -> None:
    file = write(data_dir / "tthc.json", {"error_code": 0, "result": [TTHC]})
    first = runner.invoke(app, ["import", "procedures", str(file), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["imported"] == 1
    onestop = load(data_dir)
    try:
        definition = onestop.get_procedure("1.004227.000.00.12.H34").definition
    finally:
        onestop.close()
    assert definition.time_limit.unit is TimeUnit.WORKING_DAYS  # the desk channel
    assert definition.time_limit.amount == Decimal(2)
    assert [(f.code, f.amount) for f in definition.fees] == [("LP1", Decimal(2000))]
    assert [c.document_type_code for c in definition.components] == [
        "GT.BC",
        "GT.CCCD",
        "GT.UQ",
    ]
    assert [c.code for c in definition.components] == ["TP1", "TP2", "TP3"]
    assert definition.components[1].scope is DigitizationScope.SHOWN_ONLY
    assert definition.components[2].mandatory is False
    assert [r.result_code for r in definition.results] == ["KQ.H34.000010"]
    assert definition.online_level is OnlineLevel.FULL
    before = head(data_dir)
    again = runner.invoke(app, ["import", "procedures", str(file), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {
        "imported": 0,
        "unchanged": 1,
        "rejected": [],
        "events": 0,
    }
    assert head(data_dir) == before


def test_a_changed_export_is_a_new_version(data_dir: Path) -> None:
    file = write(data_dir / "a.json", [TTHC])
    assert runner.invoke(app, ["import", "procedures", str(file)]).exit_code == 0
    changed = copy.deepcopy(TTHC)
    changed["TENTTHC"] = "Chứng thực bản sao (sửa đổi)"
    write(file, [changed])
    assert runner.invoke(app, ["import", "procedures", str(file)]).exit_code == 0
    onestop = load(data_dir)
    try:
        procedure = onestop.get_procedure("1.004227.000.00.12.H34")
    finally:
        onestop.close()
    assert procedure.definition.name == "Chứng thực bản sao (sửa đổi)"
    assert procedure.version == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"MATTHC": "not-a-code"}, "mã thủ tục"),
        ({"TENTTHC": ""}, "TENTTHC"),
        ({"COQUANTHUCHIEN": [{"MADONVI": "000.00.99.H34"}]}, "000.00.99.H34"),
        ({"COQUANTHUCHIEN": "Sở Tư pháp"}, "COQUANTHUCHIEN"),
        ({"MALINHVUC": "HT"}, "HT"),
        ({"KETQUATHUCHIEN": [{"MAKETQUA": "", "TENKETQUA": "x"}]}, "MAKETQUA"),
        (
            {
                "CACHTHUCTHUCHIEN": [
                    {
                        "KENH": 1,
                        "THOIGIAN": [{"THOIGIANGIAIQUYET": "2", "DONVITINH": "tuần"}],
                    }
                ]
            },
            "tuần",
        ),
        (
            {
                "CACHTHUCTHUCHIEN": [
                    {
                        "KENH": 1,
                        "THOIGIAN": [
                            {
                                "THOIGIANGIAIQUYET": "1",
                                "DONVITINH": "Ngày",
                                "PHILEPHI": [{"MAPHILEPHI": "LP1", "SOTIEN": "-5"}],
                            }
                        ],
                    }
                ]
            },
            "SOTIEN",
        ),
    ],
)
def test_bad_records_are_rejected_with_their_reason_and_write_nothing(
    data_dir: Path, change: dict[str, Any], reason: str
) -> None:
    good = copy.deepcopy(TTHC)
    good["MATTHC"] = "2.000001"
    bad = {**copy.deepcopy(TTHC), **change}
    file = write(data_dir / "bad.json", {"result": [bad, good, 17]})
    before = head(data_dir)
    result = runner.invoke(app, ["import", "procedures", str(file), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["imported"] == 1  # the good one
    assert [r["index"] for r in report["rejected"]] == [0, 2]
    assert reason in report["rejected"][0]["reason"]
    assert head(data_dir) == before + 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"{not json", "JSON"), (b'{"result": 5}', "list"), (b"[]", None)],
)
def test_bad_files_are_refused_clearly(
    data_dir: Path, content: bytes, expected: str | None
) -> None:
    file = data_dir / "f.json"
    file.write_bytes(content)
    before = head(data_dir)
    result = runner.invoke(app, ["import", "procedures", str(file)])
    if expected is None:
        assert result.exit_code == 0
    else:
        assert result.exit_code == 2
        assert expected in result.output
        assert "Traceback" not in result.output
    assert head(data_dir) == before
    missing = runner.invoke(app, ["import", "procedures", str(data_dir / "nope.json")])
    assert missing.exit_code == 2
