"""The national warehouse port (Kho dữ liệu điện tử on DVCQG, domain.md §4.5/§7.3).

At reception the desk asks the national warehouse for the applicant's
documents of a result code (``GetKetQuaGiayTo``: owner id, requester, channel,
procedure code, the result codes and number-symbols wanted) and, when one is
found, brings its file into the provincial warehouse and reuses it (R-21,
``DuocLayTuKhoDMQG``). Every failure is typed and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.errors import DomainError


@dataclass(frozen=True)
class NationalQuery:
    owner_id: str
    """SoDinhDanhChuSoHuu: the document owner's identifier."""
    requester_id: str
    """SoDinhDanhNguoiYeuCau: the officer asking (KenhThucHien 1, at the desk)."""
    requester_name: str
    procedure_code: str
    result_code: str
    number_symbol: str = ""


@dataclass(frozen=True)
class NationalDocument:
    """One document the national warehouse answered, with its file."""

    result_code: str
    name: str
    number_symbol: str
    issuer: str
    """CoQuanChuQuan."""
    file_name: str
    pdf: bytes
    """Checked like an upload: a readable, unencrypted PDF within the limits."""
    pages: int


class NationalWarehouse(Protocol):
    name: str

    def find(self, query: NationalQuery) -> NationalDocument:
        """The owner's document of ``query.result_code`` (and number-symbol,
        when given), with its file downloaded; ``NationalWarehouseError``
        subclasses say why not."""
        ...


class NationalWarehouseError(DomainError):
    code = "NATIONAL_WAREHOUSE_ERROR"
    vi = "Lỗi kho dữ liệu quốc gia: {a0}"
    en = "National warehouse error: {a0}"


class NationalWarehouseUnavailableError(NationalWarehouseError):
    """Not configured, unreachable, too slow or answering 5xx: try later."""

    code = "NATIONAL_WAREHOUSE_UNAVAILABLE"
    vi = "Không kết nối được kho dữ liệu quốc gia ({a0}); vui lòng thử lại sau"
    en = "The national warehouse cannot be reached ({a0}); try again later"


class NationalWarehouseMalformedError(NationalWarehouseError):
    """An answer that does not follow the contract (not JSON, fields missing
    or of the wrong type, a file that is not a PDF)."""

    code = "NATIONAL_WAREHOUSE_MALFORMED"
    vi = "Kho dữ liệu quốc gia trả lời không đúng định dạng: {a0}"
    en = "The national warehouse answered in an unexpected form: {a0}"


class NationalDocumentNotFoundError(NationalWarehouseError):
    code = "NATIONAL_DOCUMENT_NOT_FOUND"
    vi = "Kho dữ liệu quốc gia không có giấy tờ {a0} của người nộp"
    en = "The national warehouse has no document {a0} of the applicant"
