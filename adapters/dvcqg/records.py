"""Reading records of the national formats: typed fields, bilingual rejections.

Every problem with one record is an ``InvalidRecordError`` naming the field and
the rule; importers collect them per record and write nothing for that record.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import Bilingual, LabelledError

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class InvalidRecordError(LabelledError):
    code = "INVALID_RECORD"
    vi = "Bản ghi không hợp lệ: {a0} {a1}"
    en = "Invalid record: {a0} {a2}"


class ImportFileError(LabelledError):
    code = "INVALID_IMPORT_FILE"
    vi = "Tệp nhập không hợp lệ: {a0}"
    en = "Invalid import file: {a1}"
    max_shown = 400


def refuse(field: str, vi: str, en: str) -> InvalidRecordError:
    return InvalidRecordError(field, vi, en)


def text(record: dict[str, Any], field: str, *, required: bool = True) -> str:
    value = record.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise refuse(field, "bị thiếu", "is missing")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise refuse(field, "phải là chuỗi", "must be text")
    return str(value).strip()


def items(record: dict[str, Any], field: str) -> list[dict[str, Any]]:
    value = record.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise refuse(field, "phải là danh sách đối tượng", "must be a list of objects")
    return value


def money(record: dict[str, Any], field: str) -> Decimal:
    raw = record.get(field, 0)
    if isinstance(raw, bool):
        raise refuse(field, "phải là số tiền", "must be an amount")
    try:
        value = Decimal(str(raw).strip() or "0")
    except InvalidOperation:
        raise refuse(field, "phải là số tiền", "must be an amount") from None
    if not value.is_finite() or value < 0 or value != value.to_integral_value():
        raise refuse(field, "phải là số nguyên VND không âm", "must be whole VND ≥ 0")
    return value


def date(
    record: dict[str, Any], field: str, *, required: bool = True
) -> datetime | None:
    """``yyyyMMddHHmmss`` in Vietnam time (the sync format's only date form)."""
    raw = text(record, field, required=required)
    if not raw:
        return None
    try:
        parsed = datetime.strptime(raw, "%Y%m%d%H%M%S")
    except ValueError:
        raise refuse(
            field, "phải có dạng yyyyMMddHHmmss", "must be yyyyMMddHHmmss"
        ) from None
    if len(raw) != 14 or not 2000 <= parsed.year <= 2099:
        raise refuse(
            field, "ngoài 2000–2099 hoặc sai dạng", "outside 2000–2099 or malformed"
        )
    return parsed.replace(tzinfo=VIETNAM)


def reason_of(error: Exception, language: str = "vi") -> str:
    if isinstance(error, LabelledError):
        return error.message(language)
    return f"{type(error).__name__}: {error}"[:300]


def bilingual(vi: str, en: str) -> Bilingual:
    return Bilingual(vi, en)
