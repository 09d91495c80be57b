"""A local HTTP server playing the national warehouse (DVCQG Kho, domain.md §4.5).

``POST /GetKetQuaGiayTo`` answers the owner's documents of the asked result
codes; files are served from ``/files/<name>``. ``mode`` switches a failure
on for every call: ``"timeout"`` (answers after ``slow_seconds``), ``"500"``,
``"malformed"`` (200, HTML), ``"no_code"`` (JSON without ``errorCode``),
``"refuse"`` (``errorCode`` 99), ``"bad_list"`` (the list is a string),
``"offsite"`` (the file link points at another host), ``"not_pdf"`` (the file
is HTML), ``"gone"`` (the file answers 404), ``"huge"`` (a 2 MiB file).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.stand_in import JsonHandler, StandInServer


@dataclass
class Warehouse:
    documents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """By owner id: records as the national warehouse answers them."""
    files: dict[str, bytes] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    mode: str | None = None
    slow_seconds: float = 2.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self,
        owner_id: str,
        result_code: str,
        number_symbol: str,
        pdf: bytes,
        *,
        name: str = "Giấy khai sinh",
        issuer: str = "UBND xã Đắk Cấm",
    ) -> None:
        file_name = f"{result_code}-{number_symbol.replace('/', '-')}.pdf"
        self.files[file_name] = pdf
        self.documents.setdefault(owner_id, []).append(
            {
                "MaKetQua": result_code,
                "TenGiayTo": name,
                "SoKyHieu": number_symbol,
                "CoQuanChuQuan": issuer,
                "DanhSachTepDinhKem": [
                    {"TenTep": file_name, "DuongDan": f"/files/{file_name}"}
                ],
            }
        )

    def lookup(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = {d.get("MaKetQua") for d in body.get("DanhSachDanhMucKetQua", [])}
        found = [
            d
            for d in self.documents.get(body.get("SoDinhDanhChuSoHuu", ""), [])
            if d["MaKetQua"] in wanted
        ]
        if self.mode == "offsite":
            found = [
                {
                    **d,
                    "DanhSachTepDinhKem": [
                        {"TenTep": "x.pdf", "DuongDan": "http://example.invalid/x.pdf"}
                    ],
                }
                for d in found
            ]
        listing: Any = "không có" if self.mode == "bad_list" else found
        return {
            "errorCode": 0,
            "message": "OK",
            "signature": "",
            "result": {"DanhSachGiayToKetQua": listing},
        }


class _Handler(JsonHandler):
    warehouse: Warehouse

    def do_POST(self) -> None:
        body = self.read_json()
        warehouse = self.warehouse
        with warehouse.lock:
            warehouse.calls.append(body)
        mode = warehouse.mode
        if mode == "timeout":
            time.sleep(warehouse.slow_seconds)
        if mode == "500":
            self.send(503, b'{"error": "maintenance"}')
        elif mode == "malformed":
            self.send(200, b"<html>Bad gateway</html>", "text/html")
        elif mode == "no_code":
            self.send(200, b'{"message": "ok?"}')
        elif mode == "refuse":
            reply = {"errorCode": 99, "message": "MaThuTuc không hợp lệ"}
            self.send_json(200, reply)
        else:
            reply = warehouse.lookup(body)
            self.send_json(200, reply)

    def do_GET(self) -> None:
        warehouse = self.warehouse
        name = self.path.removeprefix("/files/")
        data = warehouse.files.get(name)
        if warehouse.mode == "gone" or data is None:
            self.send(404, b"not found", "text/plain")
        elif warehouse.mode == "not_pdf":
            self.send(200, b"<html>login required</html>", "text/html")
        elif warehouse.mode == "huge":
            self.send(200, b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024), "application/pdf")
        else:
            self.send(200, data, "application/pdf")


class WarehouseServer(StandInServer):
    def __init__(self) -> None:
        self.warehouse = Warehouse()
        super().__init__(type("Handler", (_Handler,), {"warehouse": self.warehouse}))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/GetKetQuaGiayTo"
