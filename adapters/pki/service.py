"""``Pki``: the ``application.signatures.Signatures`` port over pyhanko.

Keys come from PKCS#12 files (``<folder>/person/<unit>/<subject>.p12``,
``<folder>/agency/<code>.p12``; see ``adapters.pki.layout``): the development PKI's folder, issued on first
use, or ``MOTCUA_PKI_PKCS12_DIR`` in production. Before signing, the signer's
certificate must be within its validity period and not on a known CRL: a
signature that would not validate is refused, not produced.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from adapters.pki import pdf
from adapters.pki.devpki import DevelopmentPki
from adapters.pki.keys import KeptKeySigner, KeptKeyTimeStamper
from adapters.pki.layout import existing_identity
from adapters.pki.stamp import Stamp
from adapters.pki.tsa import DEVELOPMENT_TSA, NO_TSA
from adapters.settings import ConfigurationError, Settings
from application.signatures import (
    DocumentValidation,
    NoSigningIdentityError,
    SignerKind,
    SignerRef,
    SigningCertificateInvalidError,
)
from domain.errors import Bilingual

MAX_PEM_BYTES = 16 << 20


@dataclass
class Pki:
    """Sign and validate PDFs; see ``adapters.pki`` for how to build one."""

    identities: Path
    passphrase: bytes
    trust_roots: list[asn1_x509.Certificate]
    crl_sources: list[Path] = field(default_factory=list)
    timestamper: TimeStamper | None = None
    development: DevelopmentPki | None = None
    allow_fetching: bool = False
    _signers: dict[tuple[Path, int], KeptKeySigner] = field(
        default_factory=dict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- building --------------------------------------------------------------

    @classmethod
    def development_pki(cls, folder: Path, *, timestamps: bool = True) -> Pki:
        """The development PKI in ``folder`` (created if missing)."""
        dev = DevelopmentPki(folder)
        dev.init()
        tsa = dev.tsa()
        root = _asn1(dev.root_pem())
        timestamper = (
            KeptKeyTimeStamper(
                tsa_cert=translate_pyca_cryptography_cert_to_asn1(tsa.certificate),
                tsa_key=tsa.key,
                certs_to_embed=SimpleCertificateStore.from_certs([root]),  # type: ignore[no-untyped-call]
            )
            if timestamps
            else None
        )
        return cls(
            identities=dev.identities,
            passphrase=dev.passphrase(),
            trust_roots=[root],
            crl_sources=[dev.crl_folder],
            timestamper=timestamper,
            development=dev,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Pki:
        """The PKI the settings describe (see the ``MOTCUA_PKI_*`` rows)."""
        production = settings.value("ENV") == "production"
        tsa = settings.value("PKI_TSA")
        store = settings.value("PKI_PKCS12_DIR")
        if store is None:
            if production:
                raise ConfigurationError(
                    Bilingual(
                        "môi trường production cần MOTCUA_PKI_PKCS12_DIR "
                        "(tệp PKCS#12 của cán bộ và cơ quan)",
                        "production needs MOTCUA_PKI_PKCS12_DIR "
                        "(officers' and agencies' PKCS#12 files)",
                    )
                )
            pki = cls.development_pki(
                settings.data_dir / "pki", timestamps=tsa == DEVELOPMENT_TSA
            )
        else:
            passphrase_file = settings.value("PKI_PKCS12_PASSPHRASE_FILE")
            pki = cls(
                identities=store,
                passphrase=b""
                if passphrase_file is None
                else passphrase_file.read_bytes().strip(),
                trust_roots=[],
            )
        if tsa == DEVELOPMENT_TSA and production:
            raise ConfigurationError(
                Bilingual(
                    "MOTCUA_PKI_TSA=development không dùng được ở production",
                    "MOTCUA_PKI_TSA=development is refused in production",
                )
            )
        if tsa not in (DEVELOPMENT_TSA, NO_TSA):
            pki.timestamper = HTTPTimeStamper(tsa)
        elif tsa == NO_TSA:
            pki.timestamper = None
        roots_file = settings.value("PKI_TRUST_ROOTS")
        if roots_file is not None:
            pki.trust_roots = load_certificates(roots_file)
        if not pki.trust_roots:
            raise ConfigurationError(
                Bilingual(
                    "cần MOTCUA_PKI_TRUST_ROOTS (chứng thư gốc tin cậy, PEM)",
                    "MOTCUA_PKI_TRUST_ROOTS is needed (trusted root certificates, PEM)",
                )
            )
        crl_dir = settings.value("PKI_CRL_DIR")
        if crl_dir is not None:
            pki.crl_sources.append(crl_dir)
        pki.allow_fetching = settings.value("PKI_FETCH_REVOCATION")
        return pki

    # -- the port --------------------------------------------------------------

    def sign(self, pdf_bytes: bytes, signer: SignerRef, *, reason: str = "") -> bytes:
        simple = self._signer(signer)
        fields_before = pdf.signature_count(pdf_bytes)
        certificate = simple.signing_cert
        certified = "" if certificate is None else pdf.common_name(certificate.subject)
        return pdf.add_signature(
            pdf_bytes,
            simple,
            field_name=f"{_FIELD_WORD[signer.kind]}{fields_before + 1}",
            reason=reason,
            timestamper=self.timestamper,
            stamp=Stamp(
                signer=signer.name or certified or signer.subject,
                unit=signer.agency_name or signer.agency_code,
            ),
            index=fields_before,
        )

    def sign_result(
        self,
        pdf_bytes: bytes,
        person: SignerRef,
        agency: SignerRef,
        *,
        reason: str = "",
    ) -> bytes:
        if person.kind is not SignerKind.PERSON or agency.kind is not SignerKind.AGENCY:
            raise NoSigningIdentityError(agency)
        self._signer(agency)  # both identities usable before anything is signed
        signed = self.sign(pdf_bytes, person, reason=reason)
        return self.sign(signed, agency, reason=reason)

    def sign_data(self, data: bytes, signer: SignerRef) -> bytes:
        """A detached CMS signature (DER) of ``data`` by ``signer`` (e.g. the
        agency seal over an audit checkpoint)."""
        simple = self._signer(signer)
        info = asyncio.run(
            simple.async_sign_general_data(data, "sha256", detached=True)
        )
        der: bytes = info.dump()
        return der

    def validate(self, pdf_bytes: bytes) -> DocumentValidation:
        return pdf.validate(
            pdf_bytes,
            trust_roots=self.trust_roots,
            crls=self.crls(),
            allow_fetching=self.allow_fetching,
        )

    # -- helpers ---------------------------------------------------------------

    def root_pem(self) -> bytes:
        return b"".join(
            pem.armor("CERTIFICATE", certificate.dump())
            for certificate in self.trust_roots
        )

    def crls(self) -> list[bytes]:
        found: list[bytes] = []
        for source in self.crl_sources:
            if source.is_dir():
                for path in sorted(source.iterdir()):
                    if path.suffix in (".crl", ".pem", ".der") and path.is_file():
                        found.append(_der(path.read_bytes()))
        return found

    def certificate_of(self, signer: SignerRef) -> asn1_x509.Certificate:
        return self._signer(signer).signing_cert

    def _signer(self, signer: SignerRef) -> KeptKeySigner:
        if self.development is not None:
            path = self.development.ensure(signer)
        else:
            path = existing_identity(self.identities, signer)
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            raise NoSigningIdentityError(signer) from None
        with self._lock:
            simple = self._signers.get((path, stamp))
        if simple is None:
            try:
                simple = KeptKeySigner.from_pkcs12(path.read_bytes(), self.passphrase)
            except (OSError, ValueError):
                raise SigningCertificateInvalidError(
                    signer,
                    Bilingual("tệp PKCS#12 không đọc được", "unreadable PKCS#12"),
                ) from None
            with self._lock:
                self._signers[(path, stamp)] = simple
        self._check_usable(signer, simple.signing_cert)
        return simple

    def _check_usable(
        self, signer: SignerRef, certificate: asn1_x509.Certificate
    ) -> None:
        now = datetime.now(UTC)
        validity = certificate["tbs_certificate"]["validity"]
        if now < validity["not_before"].native:
            raise SigningCertificateInvalidError(
                signer, Bilingual("chưa đến hạn hiệu lực", "not yet valid")
            )
        if now > validity["not_after"].native:
            raise SigningCertificateInvalidError(
                signer, Bilingual("đã hết hạn", "expired")
            )
        for raw in self.crls():
            try:
                revocations = asn1_crl.CertificateList.load(raw)
                if revocations.issuer != certificate.issuer:
                    continue
                revoked = {
                    entry["user_certificate"].native
                    for entry in revocations["tbs_cert_list"]["revoked_certificates"]
                }
            except ValueError:
                continue
            if certificate.serial_number in revoked:
                raise SigningCertificateInvalidError(
                    signer, Bilingual("đã bị thu hồi", "revoked")
                )


_FIELD_WORD = {SignerKind.PERSON: "ChuKyCaNhan", SignerKind.AGENCY: "ChuKyCoQuan"}


def load_certificates(path: Path) -> list[asn1_x509.Certificate]:
    """Every certificate of a PEM bundle (or one DER certificate)."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PEM_BYTES + 1)
    except OSError as error:
        raise ConfigurationError(f"{path}: {error.strerror}") from None
    if len(data) > MAX_PEM_BYTES:
        raise ConfigurationError(f"{path}: too large")
    try:
        if pem.detect(data):
            return [
                asn1_x509.Certificate.load(der)
                for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        return [asn1_x509.Certificate.load(data)]
    except ValueError as error:
        raise ConfigurationError(f"{path}: {error}") from None


def _asn1(pem_bytes: bytes) -> asn1_x509.Certificate:
    _, _, der = pem.unarmor(pem_bytes)
    return asn1_x509.Certificate.load(der)


def _der(raw: bytes) -> bytes:
    if pem.detect(raw):
        _, _, der = pem.unarmor(raw)
        return bytes(der)
    return raw
