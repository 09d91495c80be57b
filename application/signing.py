"""Signing and validating stored files for the use cases (the ``Signatures`` port)."""

from __future__ import annotations

import hashlib

from application.files import FileStore
from application.signatures import (
    DocumentValidation,
    SignatureReport,
    Signatures,
    SignerRef,
)
from domain.files import (
    SignatureCheck,
    SignatureRefusedError,
    SigningUnavailableError,
    StoredFile,
)
from domain.values import Actor


def check_of(report: SignatureReport) -> SignatureCheck:
    return SignatureCheck(
        indication=report.indication.value,
        sub_indication=""
        if report.sub_indication is None
        else report.sub_indication.value,
        signer=report.signer,
        signing_time=report.signing_time,
        level=report.level.value,
        certificate_sha256=report.certificate_sha256,
        field_name=report.field_name,
    )


def refusal(report: SignatureReport) -> SignatureRefusedError:
    return SignatureRefusedError(
        indication=report.indication.value,
        sub="" if report.sub_indication is None else report.sub_indication.value,
        signer=report.signer,
    )


class FileSigning:
    """Signs stored files and validates the signatures they carry."""

    def __init__(self, files: FileStore, signatures: Signatures | None) -> None:
        self.files = files
        self.signatures = signatures

    def port(self) -> Signatures:
        if self.signatures is None:
            raise SigningUnavailableError()
        return self.signatures

    def check_upload(self, pdf: bytes) -> tuple[SignatureCheck, ...]:
        """Refuse an upload whose signatures do not validate (unsigned is fine);
        the validation of each signature it carries, to record."""
        if self.signatures is None:
            return ()
        reports = self.signatures.validate(pdf).signatures
        for report in reports:
            if not report.passed:
                raise refusal(report)
        return tuple(check_of(r) for r in reports)

    def validate(self, file: StoredFile) -> DocumentValidation | None:
        """The signatures ``file`` carries, validated; None if it carries none.
        ``SignatureRefusedError`` if one does not validate."""
        if self.signatures is None:
            return None
        validation = self.signatures.validate(self.files.read(file.sha256))
        if not validation.signatures:
            return None
        for report in validation.signatures:
            if not report.passed:
                raise refusal(report)
        return validation

    def sign(
        self, file: StoredFile, officer: Actor, reason: str
    ) -> tuple[StoredFile, SignatureCheck]:
        """A signed copy of ``file`` by ``officer`` (stored), and its validation."""
        port = self.port()
        assert officer.agency_code is not None  # officers belong to a unit
        signer = SignerRef.officer(officer.id, officer.agency_code)
        signed = port.sign(self.files.read(file.sha256), signer, reason=reason)
        stored, checks = self._keep(signed, file)
        return stored, checks[-1]

    def sign_result(
        self, file: StoredFile, person: Actor, reason: str
    ) -> tuple[StoredFile, tuple[SignatureCheck, ...]]:
        """The result signed by the competent person, then sealed by the agency."""
        port = self.port()
        assert person.agency_code is not None
        signed = port.sign_result(
            self.files.read(file.sha256),
            SignerRef.officer(person.id, person.agency_code),
            SignerRef.agency(person.agency_code),
            reason=reason,
        )
        return self._keep(signed, file)

    def _keep(
        self, signed: bytes, original: StoredFile
    ) -> tuple[StoredFile, tuple[SignatureCheck, ...]]:
        """Store a freshly signed copy once every signature on it validates."""
        validation = self.port().validate(signed)
        reports = validation.signatures
        for report in reports:
            if not report.passed:
                raise refusal(report)
        stored = self.files.add(
            signed,
            StoredFile(
                hashlib.sha256(signed).hexdigest(),
                len(signed),
                original.pages,
                original.media_type,
            ),
        )
        return stored, tuple(check_of(r) for r in reports)
