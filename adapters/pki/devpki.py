"""The development PKI under ``<MOTCUA_DATA_DIR>/pki``.

Province root CA → one CA per agency → the agency's seal certificate and its
officers' certificates; a timestamp authority certificate under the root
(RSA, with the critical ``timeStamping`` EKU pyhanko's in-process TSA needs).
Every key is RSA 2048 (what Vietnamese signing tokens carry, and what any PAdES
validator accepts). Identities are written as PKCS#12 files in the same
layout production uses (``identities/person/<unit>/<subject>.p12``,
``identities/agency/<code>.p12``), so signing loads one kind of file in both.

Files are created under an exclusive lock (several API workers may issue at
once), written to a temporary file and renamed; private keys and the PKCS#12
passphrase are ``0600`` inside ``0700`` directories. Nothing is ever
re-issued unless asked (``issue(..., replace=True)``): ``init`` is idempotent.
"""

from __future__ import annotations

import fcntl
import functools
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from adapters.pki.layout import identity_path
from application.signatures import SignerRef

ROOT_NAME = "motcua development province root CA"
TSA_NAME = "motcua development timestamp authority"
KEY_BITS = 2048
ROOT_YEARS, CA_YEARS, TSA_YEARS, END_ENTITY_YEARS = 20, 10, 10, 2
CRL_DAYS = 30
#: Certificates name a distribution point so validators know revocation
#: information exists; the development CRLs are handed to the validator
#: directly (``.invalid`` never resolves).
CRL_BASE_URL = "http://pki.motcua.invalid/crl/"


@dataclass(frozen=True)
class Issued:
    """A certificate the development PKI issued, with its key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


class DevelopmentPki:
    """Create and read the development PKI in ``folder`` (``<data>/pki``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # -- paths -----------------------------------------------------------------

    @property
    def root_path(self) -> Path:
        return self.folder / "root.pem"

    @property
    def tsa_path(self) -> Path:
        return self.folder / "tsa.pem"

    @property
    def private(self) -> Path:
        return self.folder / "private"

    @property
    def identities(self) -> Path:
        return self.folder / "identities"

    @property
    def crl_folder(self) -> Path:
        return self.folder / "crl"

    @property
    def passphrase_path(self) -> Path:
        return self.private / "pkcs12-passphrase"

    def ca_path(self, agency_code: str) -> Path:
        return self.folder / "ca" / f"{agency_code}.pem"

    def crl_path(self, agency_code: str) -> Path:
        return self.crl_folder / f"{agency_code}.crl"

    @property
    def initialised(self) -> bool:
        return self.root_path.is_file() and self.tsa_path.is_file()

    # -- creating --------------------------------------------------------------

    def init(self, agencies: tuple[tuple[str, str], ...] = ()) -> None:
        """Root, TSA, passphrase, and a CA + seal for each ``(code, name)``."""
        with self._locked():
            self._root()
            self._tsa()
            self._passphrase()
            for code, name in agencies:
                self._agency_ca(code, name)
                if not identity_path(self.identities, SignerRef.agency(code)).exists():
                    self._issue(SignerRef.agency(code, name))

    def ensure(self, signer: SignerRef) -> Path:
        """The PKCS#12 file of ``signer``, issued on first use."""
        path = identity_path(self.identities, signer)
        if path.exists():
            return path
        with self._locked():
            self._root()
            self._tsa()
            self._passphrase()
            if not path.exists():
                self._issue(signer)
        return path

    def issue(
        self,
        signer: SignerRef,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        replace: bool = False,
    ) -> Issued:
        """Issue a certificate for ``signer`` (``replace`` overwrites one)."""
        path = identity_path(self.identities, signer)
        with self._locked():
            self._root()
            self._tsa()
            self._passphrase()
            if path.exists() and not replace:
                return self._load_identity(path)
            return self._issue(signer, not_before=not_before, not_after=not_after)

    def revoke(self, signer: SignerRef) -> x509.Certificate:
        """Put the current certificate of ``signer`` on its agency CA's CRL."""
        with self._locked():
            path = identity_path(self.identities, signer)
            issued = self._load_identity(path)
            revoked = self._revoked_serials(signer.agency_code)
            revoked.add(issued.certificate.serial_number)
            self._write_crl(signer.agency_code, revoked)
            return issued.certificate

    # -- reading ---------------------------------------------------------------

    def root_pem(self) -> bytes:
        return self.root_path.read_bytes()

    def tsa(self) -> Issued:
        return Issued(
            x509.load_pem_x509_certificate(self.tsa_path.read_bytes()),
            _load_key(self.private / "tsa.key"),
        )

    def passphrase(self) -> bytes:
        return self.passphrase_path.read_bytes().strip()

    def crls(self) -> list[bytes]:
        if not self.crl_folder.is_dir():
            return []
        return [path.read_bytes() for path in sorted(self.crl_folder.glob("*.crl"))]

    # -- internals -------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with (self.folder / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _root(self) -> Issued:
        key_path = self.private / "root.key"
        if self.root_path.exists():
            return Issued(
                x509.load_pem_x509_certificate(self.root_path.read_bytes()),
                _load_key(key_path),
            )
        key = _new_key()
        name = _name(ROOT_NAME, organisation="motcua (development)")
        certificate = _build(
            name, key, name, key, years=ROOT_YEARS, ca=True, path_length=1
        )
        _write_private(key_path, _key_pem(key))
        _write_public(self.root_path, _cert_pem(certificate))
        return Issued(certificate, key)

    def _tsa(self) -> None:
        if self.tsa_path.exists():
            return
        root = self._root()
        key = _new_key()
        certificate = _build(
            _name(TSA_NAME, organisation="motcua (development)"),
            key,
            root.certificate.subject,
            root.key,
            years=TSA_YEARS,
            eku=ExtendedKeyUsageOID.TIME_STAMPING,
        )
        _write_private(self.private / "tsa.key", _key_pem(key))
        _write_public(self.tsa_path, _cert_pem(certificate))

    def _passphrase(self) -> None:
        if not self.passphrase_path.exists():
            _write_private(
                self.passphrase_path, secrets.token_urlsafe(24).encode() + b"\n"
            )

    def _agency_ca(self, code: str, name: str = "") -> Issued:
        path = self.ca_path(code)
        key_path = self.private / "ca" / f"{code}.key"
        if path.exists():
            return Issued(
                x509.load_pem_x509_certificate(path.read_bytes()), _load_key(key_path)
            )
        root = self._root()
        key = _new_key()
        certificate = _build(
            _name(f"CA {name or code}", organisation=name or code, uid=code),
            key,
            root.certificate.subject,
            root.key,
            years=CA_YEARS,
            ca=True,
            path_length=0,
            crl_url=CRL_BASE_URL + "root.crl",
        )
        _write_private(key_path, _key_pem(key))
        _write_public(path, _cert_pem(certificate))
        issued = Issued(certificate, key)
        self._write_crl(code, set(), issued)
        return issued

    def _issue(
        self,
        signer: SignerRef,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> Issued:
        ca = self._agency_ca(signer.agency_code, signer.agency_name)
        key = _new_key()
        organisation = ca.certificate.subject.get_attributes_for_oid(
            NameOID.ORGANIZATION_NAME
        )[0].value
        certificate = _build(
            _name(
                signer.name or signer.subject,
                organisation=str(organisation),
                uid=signer.subject,
            ),
            key,
            ca.certificate.subject,
            ca.key,
            years=END_ENTITY_YEARS,
            not_before=not_before,
            not_after=not_after,
            crl_url=CRL_BASE_URL + f"{signer.agency_code}.crl",
        )
        root = self._root()
        data = pkcs12.serialize_key_and_certificates(
            name=signer.subject.encode(),
            key=key,
            cert=certificate,
            cas=[ca.certificate, root.certificate],
            encryption_algorithm=serialization.BestAvailableEncryption(
                self.passphrase()
            ),
        )
        _write_private(identity_path(self.identities, signer), data)
        return Issued(certificate, key)

    def _load_identity(self, path: Path) -> Issued:
        key, certificate, _ = pkcs12.load_key_and_certificates(
            path.read_bytes(), self.passphrase()
        )
        if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
            raise ValueError(f"{path}: not an RSA identity")
        return Issued(certificate, key)

    def _revoked_serials(self, code: str) -> set[int]:
        path = self.crl_path(code)
        if not path.exists():
            return set()
        crl = x509.load_der_x509_crl(path.read_bytes())
        return {entry.serial_number for entry in crl}

    def _write_crl(
        self, code: str, serials: set[int], ca: Issued | None = None
    ) -> None:
        ca = ca or self._agency_ca(code)
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca.certificate.subject)
            .last_update(now - timedelta(minutes=5))
            .next_update(now + timedelta(days=CRL_DAYS))
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                critical=False,
            )
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        )
        for serial in sorted(serials):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - timedelta(seconds=1))
                .build()
            )
        crl = builder.sign(ca.key, hashes.SHA256())
        _write_public(self.crl_path(code), crl.public_bytes(serialization.Encoding.DER))


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _name(common: str, *, organisation: str, uid: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
        x509.NameAttribute(NameOID.COMMON_NAME, common[:64]),
    ]
    if uid is not None:
        attributes.append(x509.NameAttribute(NameOID.USER_ID, uid[:64]))
    return x509.Name(attributes)


def _build(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    years: int,
    ca: bool = False,
    path_length: int | None = None,
    eku: x509.ObjectIdentifier | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    crl_url: str | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    start = not_before or now - timedelta(minutes=5)
    end = not_after or now + timedelta(days=365 * years)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not ca and eku is None,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    if crl_url is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    """The key in ``path``, parsed once per process while the file stays the
    same (loading checks the RSA key, ~30 ms; issuing one identity loads the
    root's and the agency CA's keys, the root's twice)."""
    found = path.stat()
    return _parsed_key(path, (found.st_ino, found.st_mtime_ns, found.st_size))


@functools.lru_cache(maxsize=256)
def _parsed_key(path: Path, _version: tuple[int, int, int]) -> rsa.RSAPrivateKey:
    """``_version``: a file replaced (written anew and renamed) is read again."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA private key")
    return key


def _write_private(path: Path, data: bytes) -> None:
    _write(path, data, mode=0o600)


def _write_public(path: Path, data: bytes) -> None:
    _write(path, data, mode=0o644)


def _private_folder(folder: Path) -> None:
    if not folder.is_dir():
        _private_folder(folder.parent)
        folder.mkdir(mode=0o700, exist_ok=True)


def _write(path: Path, data: bytes, *, mode: int) -> None:
    _private_folder(path.parent)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-")  # 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
