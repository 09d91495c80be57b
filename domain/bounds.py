"""Domain ranges for every value that enters an event.

The event log is permanent, so a value is checked here *before* an event
exists: money as integer VND, instants with a timezone inside a plausible
window, text normalised and bounded, lists and identifiers bounded. Each
check raises ``InvalidValueError`` naming the field and the rule; the value
itself is never echoed (it may be huge or hold unprintable characters).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sized
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final
from uuid import UUID

from domain.errors import InvalidValueError

#: Largest amount of one fee line, in VND (integer dong; VND has no subunit).
MAX_MONEY_VND: Final = 10**12
_MONEY_DIGITS: Final = len(str(MAX_MONEY_VND))

# Text lengths per kind of field (characters after normalisation).
CODE_LENGTH: Final = 64
NAME_LENGTH: Final = 200
SHORT_TEXT_LENGTH: Final = 200  # number/symbol, receipt, issuer
REASON_LENGTH: Final = 2000  # reasons, notes, decisions, comments
SUMMARY_LENGTH: Final = 4000

# List lengths.
MAX_DOCUMENTS: Final = 100  # documents of one submission / supplement
MAX_COMPONENTS: Final = 100  # component codes named by one command
MAX_FEES: Final = 50
MAX_RESULTS: Final = 20

#: Instants a dossier command may carry (due times, business times).
EARLIEST_INSTANT: Final = datetime(2000, 1, 1, tzinfo=UTC)
INSTANT_HORIZON: Final = timedelta(days=3653)  # ~10 years after now
#: Dates printed on documents (issued on / valid until).
EARLIEST_DOCUMENT_DATE: Final = date(1900, 1, 1)
DOCUMENT_DATE_HORIZON_YEARS: Final = 100
#: How far a re-appointment may move the due time (Decree 61: a new, near date).
REAPPOINTMENT_HORIZON: Final = timedelta(days=366)

_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
    re.ASCII,
)
# Control characters (Unicode category Cc), lone surrogates (Cs) and the
# non-characters U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF of every plane. Line
# breaks and tabs are allowed in multi-line text only.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}"
    for plane in range(0, 0x110000, 0x10000)
)
_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
_FORBIDDEN_MULTILINE = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]"
)


# Invisible characters that change how text reads (Unicode format, Cf): in a
# one-line field only ZWNJ/ZWJ (needed by some scripts and emoji) may stay; line
# and paragraph separators (U+2028/U+2029) break a line like a newline does.
# In multi-line text the Trojan-source class is refused: bidi embeddings,
# overrides and isolates, and the byte-order mark.
_JOINERS = frozenset("\u200c\u200d")
_LINE_SEPARATORS = frozenset("\u2028\u2029")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\ufeff]")


def _invisible(value: str, multiline: bool) -> bool:
    if multiline:
        return _BIDI_CONTROLS.search(value) is not None
    return any(
        char in _LINE_SEPARATORS
        or (char not in _JOINERS and unicodedata.category(char) == "Cf")
        for char in value
        if not char.isascii()
    )


def _refuse(field: str, vi: str, en: str) -> InvalidValueError:
    return InvalidValueError(field, vi, en)


# -- money ---------------------------------------------------------------------


def money(value: object, field: str = "amount") -> int:
    """An amount in integer VND, ``0 < amount ≤ MAX_MONEY_VND``.

    Accepted: an ``int`` or a string of ASCII digits (no sign, spaces,
    separators, decimals or exponents), or an integral finite ``Decimal``.
    The length is checked before any conversion, so ``"1e999999999"`` or a
    million digits cost nothing.
    """
    rule = (
        f"số tiền nguyên (VND), từ 1 đến {MAX_MONEY_VND:,}",
        f"a whole amount of VND from 1 to {MAX_MONEY_VND:,}",
    )
    amount: int
    if isinstance(value, bool):
        raise _refuse(field, *rule)
    if isinstance(value, int):
        amount = value
    elif isinstance(value, str):
        if len(value) > _MONEY_DIGITS or not _ASCII_DIGITS.fullmatch(value):
            raise _refuse(field, *rule)
        amount = int(value)
    elif isinstance(value, Decimal):
        # Comparisons of Decimals look at exponents first: cheap for 1e999999999.
        if not value.is_finite() or not 0 < value <= MAX_MONEY_VND:
            raise _refuse(field, *rule)
        if value != value.to_integral_value():
            raise _refuse(field, *rule)
        amount = int(value)
    else:
        raise _refuse(field, *rule)
    if not 0 < amount <= MAX_MONEY_VND:
        raise _refuse(field, *rule)
    return amount


# -- instants and dates ----------------------------------------------------------


def instant(
    value: datetime,
    field: str,
    *,
    now: datetime | None = None,
    earliest: datetime = EARLIEST_INSTANT,
    horizon: timedelta = INSTANT_HORIZON,
) -> datetime:
    """An aware instant between ``earliest`` and ``now + horizon``."""
    if not isinstance(value, datetime):
        raise _refuse(field, "cần ngày giờ", "a date and time is required")
    try:
        offset = value.utcoffset()
    except (ValueError, TypeError):
        offset = None
    if offset is None:
        raise _refuse(
            field,
            "cần ngày giờ có múi giờ (ví dụ +07:00)",
            "an instant with a timezone is required (e.g. +07:00)",
        )
    latest = (now or datetime.now(UTC)) + horizon
    # Aware comparisons subtract offsets without building a UTC datetime, so
    # 9999-12-31T23:59:59-12:00 compares instead of overflowing.
    if not earliest <= value <= latest:
        raise _refuse(
            field,
            f"thời điểm phải trong khoảng {earliest:%Y-%m-%d} đến {latest:%Y-%m-%d}",
            f"the instant must lie between {earliest:%Y-%m-%d} and {latest:%Y-%m-%d}",
        )
    return value


def document_date(value: date | None, field: str) -> date | None:
    """A date printed on a document: 1900-01-01 … today + 100 years."""
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _refuse(field, "cần một ngày", "a date is required")
    today = datetime.now(UTC).date()
    latest = date(today.year + DOCUMENT_DATE_HORIZON_YEARS, 12, 31)
    if not EARLIEST_DOCUMENT_DATE <= value <= latest:
        raise _refuse(
            field,
            f"ngày phải trong khoảng {EARLIEST_DOCUMENT_DATE} đến {latest}",
            f"the date must lie between {EARLIEST_DOCUMENT_DATE} and {latest}",
        )
    return value


def reappointed_due(value: datetime, current: datetime) -> datetime:
    """A new due time: a valid instant at most ``REAPPOINTMENT_HORIZON`` after now's."""
    instant(value, "dueAt")
    if value > current + REAPPOINTMENT_HORIZON:
        raise _refuse(
            "dueAt",
            f"chỉ được hẹn lại trong vòng {REAPPOINTMENT_HORIZON.days} ngày",
            f"a re-appointment may move the due time by {REAPPOINTMENT_HORIZON.days}"
            " days at most",
        )
    return value


# -- text ------------------------------------------------------------------------


def text(
    value: object,
    field: str,
    max_length: int,
    *,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Stripped, NFC-normalised text of at most ``max_length`` characters.

    Control characters (line breaks and tabs only in multi-line fields),
    lone surrogates and non-characters are refused; so are invisible format
    characters (see ``_invisible``).
    """
    if not isinstance(value, str):
        raise _refuse(field, "cần văn bản", "text is required")
    # NFC never more than triples a string: refuse the absurd before normalising.
    if len(value) > 3 * max_length + 64:
        raise _too_long(field, max_length)
    forbidden = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN
    if forbidden.search(value):
        raise _refuse(
            field,
            "có ký tự điều khiển hoặc ký tự không hợp lệ",
            "contains a control character or an invalid character",
        )
    if _invisible(value, multiline):
        raise _refuse(
            field,
            "có ký tự định dạng ẩn (điều khiển hướng chữ, ngắt dòng Unicode…)",
            "contains an invisible format character (bidi control, line separator…)",
        )
    normal = unicodedata.normalize("NFC", value.strip())
    if len(normal) > max_length:
        raise _too_long(field, max_length)
    if required and not normal:
        raise _refuse(field, "không được để trống", "must not be empty")
    return normal


def _too_long(field: str, max_length: int) -> InvalidValueError:
    return _refuse(
        field,
        f"dài quá {max_length:,} ký tự",
        f"longer than {max_length:,} characters",
    )


# -- identifiers -------------------------------------------------------------------


def code(value: object, field: str, max_length: int = CODE_LENGTH) -> str:
    """A catalogue code (component, result, fee, document type, department):
    ASCII letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit."""
    if (
        not isinstance(value, str)
        or len(value) > max_length
        or not _CODE.fullmatch(value)
    ):
        raise _refuse(
            field,
            f"mã gồm chữ, số, '.', '_' hoặc '-', tối đa {max_length} ký tự",
            f"a code of letters, digits, '.', '_' or '-', at most {max_length}"
            " characters",
        )
    return value


def sha256(value: object, field: str) -> str:
    """A SHA-256 digest as 64 lowercase hexadecimal digits."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise _refuse(
            field,
            "cần mã băm SHA-256 (64 ký tự hex chữ thường)",
            "a SHA-256 digest (64 lowercase hex digits) is required",
        )
    return value


def uuid(value: object, field: str) -> UUID:
    """A UUID in its canonical 36-character form (or 32 hex digits)."""
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise _refuse(field, "cần mã UUID", "a UUID is required")
    return UUID(value)


def bounded(
    items: Sized, field: str, max_items: int, *, required: bool = False
) -> None:
    """A list of at most ``max_items`` (and at least one when ``required``)."""
    if len(items) > max_items:
        raise _refuse(
            field,
            f"tối đa {max_items} mục",
            f"at most {max_items} items",
        )
    if required and not items:
        raise _refuse(field, "cần ít nhất một mục", "at least one item is required")
