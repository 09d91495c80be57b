"""Digital signatures on PDFs: the port the use cases call, and its values.

``Signatures`` signs a PDF for an officer (a digitized component, a slip) or
for both the competent person and the agency (a result, Decree 30/2020 Art. 5:
two signatures), and validates the signatures a PDF carries against the
configured trust roots. ``adapters.pki.Pki`` implements it with pyhanko;
its module docstring shows how to build and call it.

The values are what an event may record: plain text, enums and datetimes, no
library objects (``SignatureReport.as_record()`` gives a JSON-able mapping).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.errors import LabelledError


class SignatureError(LabelledError):
    """Signing or validating could not be done; nothing was produced."""

    code = "SIGNATURE_ERROR"
    vi = "Không thể xử lý chữ ký số: {a0}"
    en = "Digital signature failure: {a0}"


class UnreadablePdfError(SignatureError):
    code = "PDF_UNREADABLE"
    vi = "Tệp không phải PDF đọc được: {a0}"
    en = "Not a readable PDF: {a0}"


class EncryptedPdfError(SignatureError):
    code = "PDF_ENCRYPTED"
    vi = "Tệp PDF được mã hóa, không ký hay kiểm tra được"
    en = "The PDF is encrypted and cannot be signed or validated"


class NoSigningIdentityError(SignatureError):
    code = "NO_SIGNING_CERTIFICATE"
    vi = "Không có chứng thư số để ký cho {a0}"
    en = "No signing certificate for {a0}"


class SigningCertificateInvalidError(SignatureError):
    code = "SIGNING_CERTIFICATE_INVALID"
    vi = "Chứng thư số của {a0} không dùng được để ký: {a1}"
    en = "The signing certificate of {a0} cannot be used: {a1}"


class TimestampUnavailableError(SignatureError):
    code = "TIMESTAMP_UNAVAILABLE"
    vi = "Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian: {a0}"
    en = "The timestamp authority did not answer: {a0}"


class SignerKind(enum.StrEnum):
    """Whose signature: a person (officer, competent person) or an agency seal."""

    PERSON = "person"
    AGENCY = "agency"


@dataclass(frozen=True)
class SignerRef:
    """Who signs: an officer (subject id + agency) or an agency (its code).

    ``name`` is what the certificate shows (the officer's full name or the
    agency's name); the development PKI issues it, production PKCS#12 files
    carry their own.
    """

    kind: SignerKind
    subject: str
    agency_code: str
    name: str = ""

    @classmethod
    def officer(cls, subject: str, agency_code: str, name: str = "") -> SignerRef:
        return cls(SignerKind.PERSON, subject, agency_code, name)

    @classmethod
    def agency(cls, agency_code: str, name: str = "") -> SignerRef:
        return cls(SignerKind.AGENCY, agency_code, agency_code, name)

    def label(self, language: str = "vi") -> str:
        if self.kind is SignerKind.AGENCY:
            word = "agency" if language.startswith("en") else "cơ quan"
        else:
            word = "officer" if language.startswith("en") else "cán bộ"
        return f"{word} {self.subject}"


class Indication(enum.StrEnum):
    """ETSI EN 319 102-1 main indication."""

    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(enum.StrEnum):
    """ETSI EN 319 102-1 sub-indications we report, plus ``DOCUMENT_MODIFIED``.

    ``DOCUMENT_MODIFIED`` is ours: the signed bytes are intact but the file
    was changed after signing in a way a later signature does not explain
    (ETSI leaves this to the PDF layer).
    """

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    DOCUMENT_MODIFIED = "DOCUMENT_MODIFIED"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    TRY_LATER = "TRY_LATER"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    TIMESTAMP_FAILURE = "TIMESTAMP_FAILURE"
    OTHER = "OTHER"


class SignatureLevel(enum.StrEnum):
    """PAdES baseline level reached: B-B (signature only), B-T (+ timestamp)."""

    B_B = "B-B"
    B_T = "B-T"


@dataclass(frozen=True)
class SignatureReport:
    """The outcome of validating one signature of a PDF."""

    field_name: str
    indication: Indication
    sub_indication: SubIndication | None
    signer: str
    """The signer certificate's subject common name."""
    signer_subject: str
    """The full subject distinguished name (RFC 4514)."""
    certificate_sha256: str
    """SHA-256 fingerprint of the signer certificate, lowercase hex."""
    issuer: str
    signing_time: datetime | None
    """The timestamp token's time on B-T, else the time the signer claims."""
    level: SignatureLevel
    covers_whole_file: bool
    """True when nothing was added after this signature (the last one)."""

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED

    def as_record(self) -> dict[str, Any]:
        """The report as JSON-able values, for an event or an API response."""
        return {
            "fieldName": self.field_name,
            "indication": self.indication.value,
            "subIndication": None
            if self.sub_indication is None
            else self.sub_indication.value,
            "signer": self.signer,
            "signerSubject": self.signer_subject,
            "certificateSha256": self.certificate_sha256,
            "issuer": self.issuer,
            "signingTime": None
            if self.signing_time is None
            else self.signing_time.isoformat(),
            "level": self.level.value,
            "coversWholeFile": self.covers_whole_file,
        }


@dataclass(frozen=True)
class DocumentValidation:
    """Every signature of one PDF, in signing order, and the overall verdict."""

    signatures: tuple[SignatureReport, ...]
    validated_at: datetime

    @property
    def indication(self) -> Indication:
        """TOTAL_PASSED only if there is a signature and every one passed;
        any TOTAL_FAILED makes it TOTAL_FAILED; otherwise INDETERMINATE."""
        if not self.signatures:
            return Indication.INDETERMINATE
        found = {report.indication for report in self.signatures}
        if Indication.TOTAL_FAILED in found:
            return Indication.TOTAL_FAILED
        if Indication.INDETERMINATE in found:
            return Indication.INDETERMINATE
        return Indication.TOTAL_PASSED

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED


class Signatures(Protocol):
    """Sign PDFs and validate their signatures (blocking; call from a thread)."""

    def sign(self, pdf: bytes, signer: SignerRef, *, reason: str = "") -> bytes:
        """``pdf`` with one more PAdES signature by ``signer``."""
        ...

    def sign_result(
        self, pdf: bytes, person: SignerRef, agency: SignerRef, *, reason: str = ""
    ) -> bytes:
        """``pdf`` signed by the competent person, then sealed by the agency."""
        ...

    def validate(self, pdf: bytes) -> DocumentValidation:
        """Every signature of ``pdf`` against the trust roots."""
        ...
