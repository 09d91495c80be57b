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

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from api.bench.servers.base import find_free_port


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


class _Handler(BaseHTTPRequestHandler):
    warehouse: Warehouse

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the calls from the warehouse, not stderr."""

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        warehouse = self.warehouse
        with warehouse.lock:
            warehouse.calls.append(body)
        mode = warehouse.mode
        if mode == "timeout":
            time.sleep(warehouse.slow_seconds)
        if mode == "500":
            self._send(503, b'{"error": "maintenance"}')
        elif mode == "malformed":
            self._send(200, b"<html>Bad gateway</html>", "text/html")
        elif mode == "no_code":
            self._send(200, b'{"message": "ok?"}')
        elif mode == "refuse":
            reply = {"errorCode": 99, "message": "MaThuTuc không hợp lệ"}
            self._send(200, json.dumps(reply, ensure_ascii=False).encode())
        else:
            reply = warehouse.lookup(body)
            self._send(200, json.dumps(reply, ensure_ascii=False).encode())

    def do_GET(self) -> None:
        warehouse = self.warehouse
        name = self.path.removeprefix("/files/")
        data = warehouse.files.get(name)
        if warehouse.mode == "gone" or data is None:
            self._send(404, b"not found", "text/plain")
        elif warehouse.mode == "not_pdf":
            self._send(200, b"<html>login required</html>", "text/html")
        elif warehouse.mode == "huge":
            self._send(200, b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024), "application/pdf")
        else:
            self._send(200, data, "application/pdf")


class WarehouseServer:
    def __init__(self) -> None:
        self.warehouse = Warehouse()
        handler = type("Handler", (_Handler,), {"warehouse": self.warehouse})
        self.port = find_free_port("127.0.0.1")
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/GetKetQuaGiayTo"

    def __enter__(self) -> WarehouseServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
