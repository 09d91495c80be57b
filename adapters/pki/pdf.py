"""pyhanko at the byte level: open a PDF safely, add one signature, validate all.

These functions know nothing about settings or where keys come from; the
``Pki`` facade (``adapters.pki.service``) feeds them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.report import AdESFailure
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from adapters.pki import stamp as stamps
from adapters.pki.stamp import Stamp
from application.signatures import (
    DocumentValidation,
    EncryptedPdfError,
    Indication,
    SignatureLevel,
    SignatureReport,
    SubIndication,
    TimestampUnavailableError,
    UnreadablePdfError,
)

#: pyhanko logs failed path building as ERROR tracebacks; a failed validation
#: is an expected outcome we report, not an error of ours.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

#: Vietnamese signing certificates carry non-repudiation, digital signature or
#: both; either is accepted for a document signature.
KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
)


def open_pdf(pdf: bytes) -> PdfFileReader:
    """A reader over ``pdf``; unreadable or encrypted input is a typed error."""
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise UnreadablePdfError("missing %PDF- header")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            reader.root  # noqa: B018 — parses the catalogue: fails early
    # A hostile file can make the parser raise nearly anything; all of it
    # means the same thing to the caller.
    except Exception as error:
        raise UnreadablePdfError(type(error).__name__) from None
    if encrypted:
        raise EncryptedPdfError()
    return reader


def add_signature(
    pdf: bytes,
    signer: signers.Signer,
    *,
    field_name: str,
    reason: str = "",
    location: str = "",
    timestamper: TimeStamper | None = None,
    stamp: Stamp | None = None,
    index: int = 0,
) -> bytes:
    """``pdf`` with one more PAdES signature (B-T when ``timestamper`` is set),
    visible as a ``stamp`` box (the ``index``-th on the page) when given."""
    open_pdf(pdf)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or None,
        location=location or None,
    )
    try:
        if stamp is None:
            out = signers.sign_pdf(
                writer, metadata, signer=signer, timestamper=timestamper
            )
        else:
            pdf_signer = signers.PdfSigner(
                metadata,
                signer=signer,
                timestamper=timestamper,
                stamp_style=stamps.style(),
                new_field_spec=stamps.field_spec(writer, field_name, index),
            )
            out = pdf_signer.sign_pdf(
                writer, appearance_text_params=stamps.params(stamp)
            )
    except OSError as error:  # the TSA's HTTP call
        raise TimestampUnavailableError(type(error).__name__) from None
    # Objects of a damaged file are parsed lazily, while signing; whatever
    # the parser raises then means the input was not a usable PDF.
    except Exception as error:
        raise UnreadablePdfError(type(error).__name__) from None
    return bytes(out.getvalue())


def signature_count(pdf: bytes) -> int:
    reader = open_pdf(pdf)
    try:
        return len(reader.embedded_signatures)
    except Exception as error:  # a damaged object met while listing fields
        raise UnreadablePdfError(type(error).__name__) from None


def validate(
    pdf: bytes,
    *,
    trust_roots: Iterable[asn1_x509.Certificate],
    other_certs: Iterable[asn1_x509.Certificate] = (),
    crls: Iterable[bytes] = (),
    allow_fetching: bool = False,
) -> DocumentValidation:
    """Every embedded signature of ``pdf`` against ``trust_roots``."""
    reader = open_pdf(pdf)
    roots, others, revocation = list(trust_roots), list(other_certs), list(crls)
    try:
        embedded_signatures = list(reader.embedded_signatures)
    except Exception as error:  # a damaged object met while listing fields
        raise UnreadablePdfError(type(error).__name__) from None
    reports = []
    for embedded in embedded_signatures:
        context = ValidationContext(
            trust_roots=roots,
            other_certs=others,
            crls=revocation,
            allow_fetching=allow_fetching,
        )
        try:
            status = validate_pdf_signature(
                embedded,
                signer_validation_context=context,
                ts_validation_context=context,
                key_usage_settings=KEY_USAGE,
            )
            reports.append(report(embedded.field_name, status))
        except Exception as error:  # a malformed signature dictionary or CMS
            reports.append(_malformed(embedded.field_name, error))
    return DocumentValidation(tuple(reports), datetime.now(UTC))


def report(field_name: str, status: PdfSignatureStatus) -> SignatureReport:
    """Our typed value for one pyhanko signature status."""
    indication, sub = _verdict(status)
    certificate = status.signing_cert
    timestamp = status.timestamp_validity
    signing_time = (
        timestamp.timestamp if timestamp is not None else status.signer_reported_dt
    )
    return SignatureReport(
        field_name=field_name,
        indication=indication,
        sub_indication=sub,
        signer=common_name(certificate.subject),
        signer_subject=certificate.subject.human_friendly,
        certificate_sha256=certificate.sha256.hex(),
        issuer=common_name(certificate.issuer),
        signing_time=signing_time,
        level=SignatureLevel.B_T if timestamp is not None else SignatureLevel.B_B,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
    )


def _verdict(status: PdfSignatureStatus) -> tuple[Indication, SubIndication | None]:
    if not status.intact:
        return Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE
    if not status.valid:
        return Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE
    if status.modification_level is not None and not status.docmdp_ok:
        return Indication.TOTAL_FAILED, SubIndication.DOCUMENT_MODIFIED
    problem = status.trust_problem_indic
    if problem is not None and _before_validity(status):
        return Indication.TOTAL_FAILED, SubIndication.NOT_YET_VALID
    if problem is not None:
        sub = SubIndication.__members__.get(
            str(getattr(problem, "name", "")), SubIndication.OTHER
        )
        if isinstance(problem, AdESFailure):
            return Indication.TOTAL_FAILED, sub
        return Indication.INDETERMINATE, sub
    if status.validation_path is None:
        return Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    timestamp = status.timestamp_validity
    if timestamp is not None and not (
        timestamp.intact and timestamp.valid and timestamp.trusted
    ):
        return Indication.INDETERMINATE, SubIndication.TIMESTAMP_FAILURE
    if not status.bottom_line:
        return Indication.INDETERMINATE, SubIndication.OTHER
    return Indication.TOTAL_PASSED, None


def _before_validity(status: PdfSignatureStatus) -> bool:
    """Signed before the certificate was valid (ETSI: TOTAL-FAILED)."""
    timestamp = status.timestamp_validity
    signed_at = (
        timestamp.timestamp if timestamp is not None else status.signer_reported_dt
    )
    if signed_at is None:
        return False
    start = status.signing_cert["tbs_certificate"]["validity"]["not_before"].native
    return bool(signed_at < start)


def _malformed(field_name: str, error: Exception) -> SignatureReport:
    return SignatureReport(
        field_name=field_name,
        indication=Indication.TOTAL_FAILED,
        sub_indication=SubIndication.FORMAT_FAILURE,
        signer="",
        signer_subject="",
        certificate_sha256="",
        issuer=type(error).__name__,
        signing_time=None,
        level=SignatureLevel.B_B,
        covers_whole_file=False,
    )


def common_name(name: asn1_x509.Name) -> str:
    value = name.native.get("common_name", "")
    return str(value[-1] if isinstance(value, list) else value)
