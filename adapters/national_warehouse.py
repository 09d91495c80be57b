"""The national warehouse over HTTP: DVCQG's ``GetKetQuaGiayTo`` (domain.md §4.5).

POST ``{SoDinhDanhChuSoHuu, HoTenNguoiYeuCau, KenhThucHien, SoDinhDanhNguoiYeuCau,
MaThuTuc, DanhSachDanhMucKetQua: [{MaKetQua, SoKyHieu}]}`` → ``{errorCode,
message, result: {DanhSachGiayToKetQua: [{MaKetQua, TenGiayTo, SoKyHieu,
CoQuanChuQuan, DanhSachTepDinhKem: [{TenTep, DuongDan}]}]}}``; the first file
of the matching document is downloaded from ``DuongDan`` — only from the
warehouse's own origin (an answer never makes us fetch another host) — and
checked like an upload (a real, unencrypted PDF within the limits).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from adapters.files.scans import ScanLimits, to_pdf
from application.national_warehouse import (
    NationalDocument,
    NationalDocumentNotFoundError,
    NationalQuery,
    NationalWarehouseMalformedError,
    NationalWarehouseUnavailableError,
)
from domain import bounds
from domain.errors import LabelledError
from domain.files import MediaType

#: KenhThucHien: 1 = an officer at the desk.
AT_THE_DESK = "1"


class HttpNationalWarehouse:
    name = "dvcqg"

    def __init__(
        self,
        url: str,
        limits: ScanLimits,
        *,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.limits = limits
        self.timeout = timeout

    def find(self, query: NationalQuery) -> NationalDocument:
        body = {
            "SoDinhDanhChuSoHuu": query.owner_id,
            "HoTenNguoiYeuCau": query.requester_name,
            "KenhThucHien": AT_THE_DESK,
            "SoDinhDanhNguoiYeuCau": query.requester_id,
            "MaThuTuc": query.procedure_code,
            "DanhSachDanhMucKetQua": [
                {"MaKetQua": query.result_code, "SoKyHieu": query.number_symbol}
            ],
        }
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            answer = _json(_call(lambda: client.post(self.url, json=body)))
            found = _matching(answer, query)
            name, link = _first_file(found)
            target = urljoin(self.url, link)
            if not _same_origin(self.url, target):
                raise NationalWarehouseMalformedError(
                    "đường dẫn tệp ngoài kho / file link outside the warehouse"
                )
            data = _download(client, target, self.limits.max_bytes)
        scan = to_pdf(data, self.limits, MediaType.PDF.value)
        return NationalDocument(
            result_code=_text(found, "MaKetQua", bounds.CODE_LENGTH),
            name=_text(found, "TenGiayTo", bounds.SUMMARY_LENGTH),
            number_symbol=_text(found, "SoKyHieu", bounds.SHORT_TEXT_LENGTH),
            issuer=_text(found, "CoQuanChuQuan", bounds.SHORT_TEXT_LENGTH),
            file_name=name,
            pdf=scan.pdf,
            pages=scan.pages,
        )


def _call(send: Any) -> httpx.Response:
    try:
        response: httpx.Response = send()
    except httpx.TimeoutException:
        raise NationalWarehouseUnavailableError("timeout") from None
    except httpx.TransportError as error:
        raise NationalWarehouseUnavailableError(type(error).__name__) from None
    if response.status_code >= 500:
        raise NationalWarehouseUnavailableError(f"HTTP {response.status_code}")
    if response.status_code != 200:
        raise NationalWarehouseMalformedError(f"HTTP {response.status_code}")
    return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        raise NationalWarehouseMalformedError("không phải JSON / not JSON") from None
    if not isinstance(answer, dict) or "errorCode" not in answer:
        raise NationalWarehouseMalformedError("thiếu errorCode / no errorCode")
    if str(answer["errorCode"]) != "0":
        message = str(answer.get("message", ""))[:200]
        raise NationalWarehouseUnavailableError(
            f"errorCode {answer['errorCode']}: {message}"
        )
    return answer


def _matching(answer: dict[str, Any], query: NationalQuery) -> dict[str, Any]:
    result = answer.get("result")
    documents = result.get("DanhSachGiayToKetQua") if isinstance(result, dict) else None
    if documents is None:
        documents = []
    if not isinstance(documents, list) or not all(
        isinstance(d, dict) for d in documents
    ):
        raise NationalWarehouseMalformedError("DanhSachGiayToKetQua")
    for document in documents:
        if document.get("MaKetQua") == query.result_code and (
            not query.number_symbol or document.get("SoKyHieu") == query.number_symbol
        ):
            matched: dict[str, Any] = document
            return matched
    wanted = query.result_code + (
        f" {query.number_symbol}" if query.number_symbol else ""
    )
    raise NationalDocumentNotFoundError(wanted)


def _first_file(document: dict[str, Any]) -> tuple[str, str]:
    files = document.get("DanhSachTepDinhKem")
    if not isinstance(files, list) or not files or not isinstance(files[0], dict):
        raise NationalWarehouseMalformedError("DanhSachTepDinhKem")
    first = files[0]
    link = first.get("DuongDan")
    if not isinstance(link, str) or not link:
        raise NationalWarehouseMalformedError("DuongDan")
    return _text(first, "TenTep", bounds.SHORT_TEXT_LENGTH), link


def _text(record: dict[str, Any], key: str, limit: int) -> str:
    value = record.get(key, "")
    try:
        return bounds.text(value, key, limit)
    except LabelledError:
        raise NationalWarehouseMalformedError(key) from None


def _same_origin(base: str, target: str) -> bool:
    a, b = urlsplit(base), urlsplit(target)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _download(client: httpx.Client, url: str, max_bytes: int) -> bytes:
    try:
        with client.stream("GET", url) as response:
            if response.status_code >= 500:
                raise NationalWarehouseUnavailableError(f"HTTP {response.status_code}")
            if response.status_code == 404:
                raise NationalDocumentNotFoundError(url.rsplit("/", 1)[-1])
            if response.status_code != 200:
                raise NationalWarehouseMalformedError(f"HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise NationalWarehouseMalformedError(
                        f"tệp quá {max_bytes} byte / file over {max_bytes} bytes"
                    )
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise NationalWarehouseUnavailableError("timeout") from None
    except httpx.TransportError as error:
        raise NationalWarehouseUnavailableError(type(error).__name__) from None
    return b"".join(chunks)
