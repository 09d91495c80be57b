"""What a setting may hold: a parser plus a bilingual description of its values.

Each kind turns the raw text of an environment variable into a typed value or
raises ``ValueError``; ``vi``/``en`` describe the accepted values for error
messages and ``values`` for the README settings table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

TRUE = frozenset({"y", "yes", "true", "t", "on", "1"})
FALSE = frozenset({"n", "no", "false", "f", "off", "0"})
MAX_TEXT = 500
MAX_PATH = 4096
MAX_NAME = 255


@dataclass(frozen=True)
class Kind:
    """How to read one setting."""

    parse: Callable[[str], Any]
    vi: str
    en: str
    values: str
    """The accepted values, for the README table (markdown, no ``|``)."""


def _integer(low: int, high: int, text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]{1,19}", text.strip()):
        raise ValueError(text)
    value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def integer(low: int, high: int) -> Kind:
    return Kind(
        lambda text: _integer(low, high, text),
        f"số nguyên từ {low} đến {high}",
        f"an integer from {low} to {high}",
        f"integer {low}–{high}",
    )


def _number(low: Decimal, high: Decimal, text: str) -> Decimal:
    if not re.fullmatch(r"[+-]?[0-9]{1,12}(\.[0-9]{1,9})?", text.strip()):
        raise ValueError(text)  # no exponents, NaN or infinities
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not low <= value <= high:
        raise ValueError(text)
    return value


def number(low: str, high: str) -> Kind:
    return Kind(
        lambda text: _number(Decimal(low), Decimal(high), text),
        f"số thập phân từ {low} đến {high}",
        f"a decimal number from {low} to {high}",
        f"number {low}–{high}",
    )


def _flag(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(text)


def flag() -> Kind:
    return Kind(
        _flag,
        "y hoặc n (yes/no, true/false, on/off, 1/0)",
        "y or n (yes/no, true/false, on/off, 1/0)",
        "`y` or `n`",
    )


def choice(*options: str) -> Kind:
    def parse(text: str) -> str:
        if text.strip() not in options:
            raise ValueError(text)
        return text.strip()

    listed = ", ".join(options)
    return Kind(
        parse,
        f"một trong: {listed}",
        f"one of: {listed}",
        " or ".join(f"`{o}`" for o in options),
    )


def text(max_length: int = MAX_TEXT) -> Kind:
    def parse(value: str) -> str:
        if not value.strip() or len(value) > max_length or not value.isprintable():
            raise ValueError(value)
        return value

    return Kind(
        parse,
        f"chuỗi in được, 1–{max_length} ký tự",
        f"printable text of 1–{max_length} characters",
        "text",
    )


def url(*schemes: str) -> Kind:
    def parse(value: str) -> str:
        parsed = urlparse(value.strip())
        try:
            parsed.port  # noqa: B018 — raises ValueError on a bad port
        except ValueError:
            raise ValueError(value) from None
        if parsed.scheme not in schemes or not (parsed.hostname or parsed.path):
            raise ValueError(value)
        return value.strip()

    listed = ", ".join(f"{s}://" for s in schemes)
    return Kind(
        parse,
        f"URL bắt đầu bằng {listed}",
        f"a URL starting with {listed}",
        " or ".join(f"`{s}://…`" for s in schemes),
    )


def _tsa_source(value: str) -> str:
    value = value.strip()
    if value in ("none", "development"):
        return value
    return str(url("https", "http").parse(value))


def tsa_source() -> Kind:
    return Kind(
        _tsa_source,
        "none, development, hoặc URL http(s):// của máy chủ cấp dấu thời gian",
        "none, development, or the http(s):// URL of an RFC 3161 timestamp authority",
        "`none`, `development` or `https://…`",
    )


def _database_url(value: str) -> str:
    value = value.strip()
    if value.startswith("memory:"):
        return value
    if value.startswith("sqlite:///"):
        if not value.removeprefix("sqlite:///"):
            raise ValueError(value)
        return value
    if value.startswith(("postgresql://", "postgres://")):
        parsed = urlparse(value)
        try:
            parsed.port  # noqa: B018 — raises ValueError on a bad port
        except ValueError:
            raise ValueError(value) from None
        if not parsed.hostname or not parsed.path.lstrip("/"):
            raise ValueError(value)
        return value
    raise ValueError(value)


def database_url() -> Kind:
    return Kind(
        _database_url,
        "sqlite:///đường-dẫn, postgresql://người-dùng:mật-khẩu@máy:cổng/csdl "
        "hoặc memory://",
        "sqlite:///path, postgresql://user:password@host:port/db or memory://",
        "`sqlite:///path`, `postgresql://user:pw@host:port/db` or `memory://`",
    )


def _path(value: str) -> Path:
    path = Path(value)
    if (
        not value.strip()
        or "\x00" in value
        or len(value) > MAX_PATH
        or any(len(part) > MAX_NAME for part in path.parts)
    ):
        raise ValueError(value)
    return path


def _directory(value: str) -> Path:
    path = _path(value)
    # The nearest existing ancestor must be a directory it can be created in.
    try:
        for candidate in (path, *path.absolute().parents):
            if candidate.exists():
                if not candidate.is_dir():
                    raise ValueError(value)
                break
    except OSError:
        raise ValueError(value) from None
    return path


def directory() -> Kind:
    return Kind(
        _directory,
        "đường dẫn thư mục (đã có, hoặc tạo được)",
        "a directory path (existing, or one that can be created)",
        "directory",
    )


def _readable_file(value: str) -> Path:
    path = _path(value)
    try:
        if not path.is_file():
            raise ValueError(value)
        with path.open("rb"):
            pass
    except OSError:
        raise ValueError(value) from None
    return path


def readable_file() -> Kind:
    return Kind(
        _readable_file,
        "đường dẫn tới một tệp đọc được",
        "the path of a readable file",
        "file path",
    )


MAX_KEY_FILE_BYTES = 1 << 20
"""A PEM public key is a few KB; a bigger file is not one."""


def _pem_public_key_file(value: str) -> Path:
    # Imported here: only processes that verify tokens need cryptography loaded.
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    path = _readable_file(value)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_KEY_FILE_BYTES + 1)
        if len(data) > MAX_KEY_FILE_BYTES:
            raise ValueError(value)
        key = load_pem_public_key(data)
    except (OSError, ValueError, TypeError):
        raise ValueError(value) from None
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError(value)  # tokens are verified with EC or RSA keys only
    return path


def pem_public_key_file() -> Kind:
    return Kind(
        _pem_public_key_file,
        "đường dẫn tới tệp khoá công khai PEM (EC hoặc RSA) đọc được",
        "the path of a readable PEM public key file (EC or RSA)",
        "PEM public key file (EC or RSA)",
    )


def redacted(value: str) -> str:
    """``value`` with any URL password hidden, for messages and logs."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", value)


def pattern(regex: str, vi: str, en: str, values: str) -> Kind:
    """Text matching ``regex`` in full (codes that end up in names and subjects)."""

    def parse(value: str) -> str:
        if not re.fullmatch(regex, value.strip()):
            raise ValueError(value)
        return value.strip()

    return Kind(parse, vi, en, values)


def _provinces(value: str) -> frozenset[str]:
    codes = [part.strip() for part in value.split(",")]
    if not codes or any(not re.fullmatch(r"[A-Z][0-9]{2}", code) for code in codes):
        raise ValueError(value)
    return frozenset(codes)


def provinces() -> Kind:
    """Comma-separated QCVN 102 province codes (``H35,H36``)."""
    return Kind(
        _provinces,
        "danh sách mã tỉnh cách nhau bởi dấu phẩy (ví dụ H35,H36)",
        "comma-separated province codes (e.g. H35,H36)",
        "province codes such as `H35,H36`",
    )
