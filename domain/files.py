"""Files as the domain sees them: content-addressed PDFs and why one is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain import bounds
from domain.errors import DomainError, InvalidValueError


class MediaType(Enum):
    """What the uploaded bytes were (sniffed, never the client's word)."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"
    TIFF = "image/tiff"


@dataclass(frozen=True)
class StoredFile:
    """A stored PDF: its SHA-256, size in bytes, pages and the type it came as.

    Scans that arrive as images are stored as the PDF made from them, so
    ``sha256`` and ``size`` are always those of the stored PDF.
    """

    sha256: str
    size: int
    pages: int
    media_type: MediaType = MediaType.PDF

    def __post_init__(self) -> None:
        bounds.sha256(self.sha256, "file.sha256")
        for name in ("size", "pages"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise InvalidValueError(
                    f"file.{name}", "số nguyên dương", "a positive integer"
                )


@dataclass(frozen=True)
class SignatureCheck:
    """The validation of one signature of a PDF, as recorded (ETSI indication,
    who signed according to the certificate, when, PAdES level)."""

    indication: str
    sub_indication: str = ""
    signer: str = ""
    signing_time: datetime | None = None
    level: str = ""
    certificate_sha256: str = ""
    field_name: str = ""

    @property
    def passed(self) -> bool:
        return self.indication == "TOTAL_PASSED"


class FileRefusedError(DomainError):
    """An upload refused before anything was stored."""

    code = "FILE_REFUSED"
    vi = "Tệp không được chấp nhận: {a0}"
    en = "File refused: {a0}"


class UnsupportedFileError(FileRefusedError):
    code = "UNSUPPORTED_FILE_TYPE"
    vi = "Chỉ nhận PDF, JPEG, PNG hoặc TIFF (nội dung tệp là: {a0})"
    en = "Only PDF, JPEG, PNG or TIFF files are accepted (the content is: {a0})"


class FileTypeMismatchError(FileRefusedError):
    code = "FILE_TYPE_MISMATCH"
    vi = "Tệp khai là {declared} nhưng nội dung là {actual}"
    en = "The file claims to be {declared} but its content is {actual}"


class CorruptFileError(FileRefusedError):
    code = "CORRUPT_FILE"
    vi = "Tệp bị hỏng hoặc không đọc được: {a0}"
    en = "The file is corrupt or unreadable: {a0}"


class EncryptedPdfError(FileRefusedError):
    code = "ENCRYPTED_PDF"
    vi = "Tệp PDF được mã hóa hoặc đặt mật khẩu; hãy tải lên bản không mã hóa"
    en = "The PDF is encrypted or password-protected; upload an unencrypted copy"


class FileTooLargeError(FileRefusedError):
    code = "FILE_TOO_LARGE"
    vi = "Tệp quá lớn: {a0}"
    en = "The file is too large: {a0}"


class UnknownFileError(DomainError):
    code = "UNKNOWN_FILE"
    vi = "Không có tệp đã tải lên với mã băm {a0}; hãy tải tệp lên trước"
    en = "No uploaded file has the hash {a0}; upload the file first"


class FileIntegrityError(DomainError):
    """Stored bytes no longer match their hash: never served."""

    code = "FILE_INTEGRITY"
    vi = "Tệp lưu trữ không còn khớp mã băm {a0}"
    en = "The stored file no longer matches its hash {a0}"


class SignatureRefusedError(FileRefusedError):
    """A signature that does not validate (untrusted, expired, revoked signer,
    or the file changed after signing)."""

    code = "SIGNATURE_INVALID"
    vi = "Chữ ký số không hợp lệ ({indication} {sub}) — người ký: {signer}"
    en = "Invalid digital signature ({indication} {sub}) — signer: {signer}"


class SigningUnavailableError(DomainError):
    code = "SIGNING_UNAVAILABLE"
    vi = "Chưa cấu hình chữ ký số (PKI) cho hệ thống"
    en = "No digital signature service (PKI) is configured"
