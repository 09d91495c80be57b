"""The keys behind log checkpoints, and their offline verification.

- The agency's Ed25519 key (``keys/audit-signing-key.pem`` under
  MOTCUA_DATA_DIR) signs every checkpoint: small, fast, verifiable with a
  public key alone.
- When a PKI is configured, the agency's *seal certificate* (the same PKCS#12
  identity that seals results) also signs it, as a detached CMS signature:
  that signature chains to the province root, so a verifier holding only the
  root certificate can check who vouched for the log.
- When a timestamp authority is configured, an RFC 3161 token stamps it; the
  verifier checks the token's imprint *and* its own signature and, given the
  roots, that the TSA certificate chains to one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.generic_cms import (
    async_validate_detached_cms,
    validate_tst_signed_data,
)
from pyhanko_certvalidator import ValidationContext

from adapters.pki.pdf import KEY_USAGE
from application.signatures import SignerRef
from projections.seal import Checkpoint

if TYPE_CHECKING:
    from adapters.pki.service import Pki

AUDIT_KEY_FILE = Path("keys") / "audit-signing-key.pem"
ALGORITHM = "Ed25519"


def audit_key_path(data_dir: Path) -> Path:
    return data_dir / AUDIT_KEY_FILE


def public_key_id(public: ed25519.Ed25519PublicKey) -> str:
    raw = public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:32]


class FileCheckpointSigner:
    """Signs with the Ed25519 key in ``<data_dir>/keys/audit-signing-key.pem``
    (created on first use, never overwritten)."""

    algorithm = ALGORITHM

    def __init__(self, data_dir: Path) -> None:
        path = audit_key_path(data_dir)
        if not path.exists():
            _create(path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            msg = f"{path} is not an Ed25519 private key"
            raise ValueError(msg)
        self._key = key
        self.key_id = public_key_id(key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def public_pem(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class CheckpointVerifier:
    """Checks checkpoint signatures offline: the Ed25519 signature with the
    public key; the timestamp token's imprint and signature; with trust
    ``roots`` (asn1crypto certificates) also that the seal's CMS signature and
    the TSA certificate chain to one of them."""

    def __init__(
        self, public_pem: bytes, roots: list[asn1_x509.Certificate] | None = None
    ) -> None:
        key = serialization.load_pem_public_key(public_pem)
        if not isinstance(key, ed25519.Ed25519PublicKey):
            msg = "not an Ed25519 public key"
            raise ValueError(msg)
        self._key = key
        self.key_id = public_key_id(key)
        self.roots = roots

    def __call__(self, checkpoint: Checkpoint) -> bool:
        return self.problem(checkpoint) is None

    def problem(self, checkpoint: Checkpoint) -> str | None:
        """What does not verify, or None."""
        if checkpoint.algorithm != ALGORITHM or checkpoint.key_id != self.key_id:
            return f"not signed by key {self.key_id}"
        message = checkpoint.message()
        try:
            self._key.verify(bytes.fromhex(checkpoint.signature), message)
        except (InvalidSignature, ValueError):
            return f"its signature does not verify with key {self.key_id}"
        if checkpoint.timestamp_token is not None:
            token = bytes.fromhex(checkpoint.timestamp_token)
            if not timestamp_matches(token, message):
                return "its timestamp token stamps another message"
            if not timestamp_signature_valid(token, message, self.roots):
                return "its timestamp token's signature does not verify" + (
                    " with the trust roots" if self.roots is not None else ""
                )
        if (
            checkpoint.seal_cms is not None
            and self.roots is not None
            and not seal_signature_valid(
                bytes.fromhex(checkpoint.seal_cms), message, self.roots
            )
        ):
            return "the agency seal's signature does not verify with the roots"
        return None


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        # Another process may have created it first: the first key wins.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


class RfcTimestamper:
    """RFC 3161 time-stamp tokens for checkpoints from a pyhanko ``TimeStamper``
    (an HTTP TSA, or the development PKI's in-process one)."""

    def __init__(self, timestamper: TimeStamper) -> None:
        self._timestamper = timestamper

    def timestamp(self, message: bytes) -> bytes:
        digest = hashlib.sha256(message).digest()
        token = asyncio.run(self._timestamper.async_timestamp(digest, "sha256"))
        der: bytes = token.dump()
        return der


class PkiCheckpointSeal:
    """The agency seal certificate of the PKI signs checkpoints (CMS)."""

    def __init__(self, pki: Callable[[], Pki], agency_code: str) -> None:
        self._pki = pki
        self.agency = SignerRef.agency(agency_code)

    def sign(self, message: bytes) -> bytes:
        return self._pki().sign_data(message, self.agency)


class LazyTimeStamper:
    """The PKI's timestamper, built on first use (the development PKI issues
    its keys the first time: the sealer should not wait for it at start)."""

    def __init__(self, timestamper: Callable[[], TimeStamper | None]) -> None:
        self._timestamper = timestamper

    def timestamp(self, message: bytes) -> bytes:
        found = self._timestamper()
        if found is None:
            msg = "no timestamp authority"
            raise RuntimeError(msg)
        return RfcTimestamper(found).timestamp(message)


def _context(roots: list[asn1_x509.Certificate] | None) -> ValidationContext:
    return ValidationContext(trust_roots=roots or [], allow_fetching=False)


def _trusted(status: dict[str, Any] | Any) -> bool:
    get = status.get if isinstance(status, dict) else lambda n: getattr(status, n)
    return get("trust_problem_indic") is None and get("validation_path") is not None


def seal_signature_valid(
    cms_der: bytes, message: bytes, roots: list[asn1_x509.Certificate]
) -> bool:
    """A detached CMS signature over ``message`` by a certificate that chains
    to ``roots`` and may sign documents."""
    try:
        info = cms.ContentInfo.load(cms_der)
        status = asyncio.run(
            async_validate_detached_cms(
                message,
                info["content"],
                signer_validation_context=_context(roots),
                key_usage_settings=KEY_USAGE,
            )
        )
    except Exception:  # a malformed token is a failed check, whatever raised
        return False
    return bool(status.intact and status.valid and _trusted(status))


def timestamp_signature_valid(
    token_der: bytes, message: bytes, roots: list[asn1_x509.Certificate] | None
) -> bool:
    """The token's signature over its TSTInfo holds and its imprint is the
    message's; with ``roots``, the TSA's certificate chains to one of them."""
    try:
        info = cms.ContentInfo.load(token_der)
        status = asyncio.run(
            validate_tst_signed_data(
                info["content"],
                _context(roots),
                lambda algorithm: hashlib.new(algorithm, message).digest(),
            )
        )
    except Exception:  # a malformed token is a failed check, whatever raised
        return False
    if not (status["intact"] and status["valid"]):
        return False
    return roots is None or _trusted(status)


def timestamp_matches(token_der: bytes, message: bytes) -> bool:
    """Whether an RFC 3161 token stamps exactly ``message`` (SHA-256 imprint)."""
    try:
        info = cms.ContentInfo.load(token_der)
        tst = info["content"]["encap_content_info"]["content"].parsed
        imprint = tst["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return bool(algorithm == "sha256" and hashed == hashlib.sha256(message).digest())
