"""``motcua import dvcqg FILE``: legacy dossiers in DVCQG sync format → events."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.dvcqg import payloads
from adapters.dvcqg.legacy_import import dossier_id_of
from adapters.settings import persistence_env
from api.cli.main import app
from application.onestop import OneStop
from domain.deadline import Timeliness
from domain.dossier_values import ReturnMethod
from tests.factories import at, receive, seed_catalogue
from tests.integration.test_dvcqg_sync import full_life

runner = CliRunner()

RECORD: dict[str, Any] = {
    "MaHoSo": "000.00.00.H34-240105-0007",
    "MaTTHC": "1.001193",
    "KenhThucHien": "1",
    "ChuHoSo": "Lê Văn Cũ",
    "SoGiayToChuHoSo": "062000000009",
    "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": "062000000009"}],
    "LoaiDoiTuong": "1",
    "TrichYeuHoSo": "Đăng ký khai sinh cho con",
    "NgayTiepNhan": "20240105083000",
    "NgayHenTra": "20240110083000",
    "TrangThaiHoSo": "10",
    "DonViXuLy": "000.00.12.H34",
    "NgayKetThucXuLy": "20240109150000",
    "NgayTra": "20240110090000",
    "HinhThuc": "1",
    "DanhSachGiayToKetQua": [
        {
            "TenGiayTo": "Giấy khai sinh",
            "GiayToId": "legacy-77",
            "MaGiayToKetQua": "KQ.H34.000001",
            "DuongDanTepTinKetQua": "https://old.example/kq/77",
        }
    ],
}


def database(path: Path) -> str:
    return f"sqlite:///{path / 'motcua.db'}"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    onestop = OneStop(env=persistence_env(database(tmp_path)))
    seed_catalogue(onestop)
    onestop.close()
    return tmp_path


def load(data_dir: Path) -> OneStop:
    return OneStop(env=persistence_env(database(data_dir)))


def head(data_dir: Path) -> int:
    onestop = load(data_dir)
    try:
        return onestop.recorder.max_notification_id() or 0
    finally:
        onestop.close()


def run_import(data_dir: Path, records: Any, *extra: str) -> tuple[int, dict[str, Any]]:
    file = data_dir / "legacy.json"
    file.write_text(json.dumps(records, ensure_ascii=False))
    result = runner.invoke(app, ["import", "dvcqg", str(file), "--json", *extra])
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


def test_a_returned_dossier_keeps_its_code_times_and_result(data_dir: Path) -> None:
    code, report = run_import(data_dir, {"data": [RECORD]})
    assert code == 0, report
    assert report["imported"] == 1
    assert report["events"] == 5  # received, forwarded, resolved, returned + code
    onestop = load(data_dir)
    try:
        dossier = onestop.get_dossier(dossier_id_of(RECORD["MaHoSo"]))
        assert dossier.code == RECORD["MaHoSo"]
        assert dossier.national_status_code == 10
        assert payloads.date_text(dossier.received_at) == "20240105083000"
        assert payloads.date_text(dossier.due_at) == "20240110083000"
        assert payloads.date_text(dossier.returned_at) == "20240110090000"
        assert dossier.return_method is ReturnMethod.POST
        assert dossier.timeliness is Timeliness.EARLY
        assert [r.result_code for r in dossier.results] == ["KQ.H34.000001"]
        assert dossier.applicant.name == "Lê Văn Cũ"
        # The legacy number is taken: receptions that day go around it.
        day = at(0, 8).replace(year=2024, month=1, day=5)
        codes = [receive(onestop, when=day).code for _ in range(7)]
        assert RECORD["MaHoSo"] not in codes
        assert len(set(codes)) == 7
        assert codes[-1] == "000.00.00.H34-240105-0008"
    finally:
        onestop.close()


def test_a_rerun_writes_nothing(data_dir: Path) -> None:
    assert run_import(data_dir, [RECORD])[0] == 0
    before = head(data_dir)
    code, report = run_import(data_dir, [RECORD])
    assert code == 0
    assert (report["imported"], report["unchanged"], report["events"]) == (0, 1, 0)
    assert head(data_dir) == before


@pytest.mark.parametrize("status", range(2, 11))
def test_each_status_is_reached(data_dir: Path, status: int) -> None:
    record = {**RECORD, "TrangThaiHoSo": str(status)}
    if status == 6:
        record["DanhSachLePhi"] = [
            {"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "LP1", "Gia": "8000"}
        ]
    if status == 5:
        record["DanhSachHoSoBoSung"] = [
            {"NoiDungBoSung": "Thiếu giấy chứng sinh", "NgayBoSung": "20240106090000"}
        ]
    code, report = run_import(data_dir, [record])
    assert code == 0, report
    onestop = load(data_dir)
    try:
        dossier = onestop.get_dossier(dossier_id_of(RECORD["MaHoSo"]))
    finally:
        onestop.close()
    assert dossier.national_status_code == status


def test_a_synced_dossier_round_trips_through_the_legacy_format(
    tmp_path: Path, data_dir: Path
) -> None:
    source = OneStop(env=persistence_env(f"sqlite:///{tmp_path / 'source.db'}"))
    try:
        seed_catalogue(source)
        dossier_id = full_life(source)
        dossier = source.get_dossier(dossier_id)
        events = list(source.events.get(dossier_id))
        exported = payloads.dossier_record(dossier, events, payloads.Links("http://x"))
    finally:
        source.close()
    assert run_import(data_dir, [exported])[0] == 0
    onestop = load(data_dir)
    try:
        imported_id = dossier_id_of(exported["MaHoSo"])
        again = payloads.dossier_record(
            onestop.get_dossier(imported_id),
            list(onestop.events.get(imported_id)),
            payloads.Links("http://x"),
        )
    finally:
        onestop.close()
    for key in (
        "MaHoSo",
        "MaTTHC",
        "TrangThaiHoSo",
        "NgayTiepNhan",
        "NgayHenTra",
        "NgayTra",
        "NgayKetThucXuLy",
        "ChuHoSo",
        "DinhDanhCHS",
        "KenhThucHien",
        "HinhThuc",
    ):
        assert again[key] == exported[key], key
    assert [g["MaGiayToKetQua"] for g in again["DanhSachGiayToKetQua"]] == [
        g["MaGiayToKetQua"] for g in exported["DanhSachGiayToKetQua"]
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"MaHoSo": "H34-1"}, "MaHoSo"),
        ({"MaTTHC": "9.999999"}, "9.999999"),
        ({"NgayTiepNhan": "2024-01-05"}, "NgayTiepNhan"),
        ({"NgayTiepNhan": "19990105083000"}, "NgayTiepNhan"),
        ({"NgayHenTra": "20241305083000"}, "NgayHenTra"),
        ({"TrangThaiHoSo": "1"}, "TrangThaiHoSo"),
        ({"TrangThaiHoSo": "11"}, "TrangThaiHoSo"),
        ({"KenhThucHien": "9"}, "KenhThucHien"),
        ({"SoGiayToChuHoSo": "12ab"}, "applicantId"),
        ({"ChuHoSo": ""}, "ChuHoSo"),
        ({"MaHoSo": "000.00.00.H35-240105-0001"}, "000.00.00.H35"),
        ({"MaHoSo": "000.00.77.H34-240105-0001"}, "000.00.77.H34"),
        ({"DanhSachGiayToKetQua": "KQ"}, "DanhSachGiayToKetQua"),
        ({"TrichYeuHoSo": "a\x00b"}, "TrichYeuHoSo"),
    ],
)
def test_bad_records_are_rejected_with_the_reason_and_write_nothing(
    data_dir: Path, change: dict[str, Any], reason: str
) -> None:
    good = {**copy.deepcopy(RECORD), "MaHoSo": "000.00.00.H34-240105-0001"}
    bad = {**copy.deepcopy(RECORD), **change}
    before = head(data_dir)
    code, report = run_import(data_dir, [bad, good, "x", good])
    assert code == 2
    assert report["imported"] == 1
    rejected = {r["index"]: r for r in report["rejected"]}
    assert set(rejected) == {0, 2, 3}
    assert reason in rejected[0]["reason"] + rejected[0]["code"]
    assert "lặp lại" in rejected[3]["reason"]  # the same code twice in one file
    assert head(data_dir) == before + report["events"]
    onestop = load(data_dir)
    try:
        assert dossier_id_of(RECORD["MaHoSo"]) not in onestop.repository or (
            change.get("MaHoSo", RECORD["MaHoSo"]) != RECORD["MaHoSo"]
        )
    finally:
        onestop.close()


def test_a_code_already_used_by_a_live_dossier_is_rejected(data_dir: Path) -> None:
    onestop = load(data_dir)
    try:
        live = receive(onestop, when=at(0, 8))
    finally:
        onestop.close()
    code, report = run_import(data_dir, [{**RECORD, "MaHoSo": live.code}])
    assert code == 2
    assert "đã được dùng" in report["rejected"][0]["reason"]


def test_bulk_import_on_postgresql_many_events_per_transaction(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOTCUA_DATABASE_URL", postgres_url)
    onestop = OneStop(env=persistence_env(postgres_url))
    try:
        seed_catalogue(onestop)
        before = onestop.recorder.max_notification_id() or 0
    finally:
        onestop.close()
    records = [
        {**RECORD, "MaHoSo": f"000.00.00.H34-240105-{n:04d}", "TrangThaiHoSo": "9"}
        for n in range(1, 451)
    ]
    file = tmp_path / "bulk.json"
    file.write_text(json.dumps({"data": records}, ensure_ascii=False))
    done = runner.invoke(
        app, ["import", "dvcqg", str(file), "--json", "--batch", "200"]
    )
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["imported"] == 450
    assert report["events"] == 450 * 4
    onestop = OneStop(env=persistence_env(postgres_url))
    try:
        assert (onestop.recorder.max_notification_id() or 0) == before + 1800
        dossier = onestop.get_dossier(dossier_id_of("000.00.00.H34-240105-0450"))
        assert dossier.national_status_code == 9
    finally:
        onestop.close()
    again = runner.invoke(app, ["import", "dvcqg", str(file), "--json"])
    assert json.loads(again.stdout)["unchanged"] == 450
