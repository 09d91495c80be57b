"""The agency key that signs log checkpoints (Ed25519, under MOTCUA_DATA_DIR).

A small port (``projections.seal.CheckpointSigner``): the PKI of the
digitization work (pyhanko, agency certificates) can replace this file key
without touching the sealer or the verifier, which only need a public key.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from asn1crypto import cms
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from pyhanko.sign.timestamps import TimeStamper

from projections.seal import Checkpoint

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
    """Checks checkpoint signatures with a public key only (offline)."""

    def __init__(self, public_pem: bytes) -> None:
        key = serialization.load_pem_public_key(public_pem)
        if not isinstance(key, ed25519.Ed25519PublicKey):
            msg = "not an Ed25519 public key"
            raise ValueError(msg)
        self._key = key
        self.key_id = public_key_id(key)

    def __call__(self, checkpoint: Checkpoint) -> bool:
        if checkpoint.algorithm != ALGORITHM or checkpoint.key_id != self.key_id:
            return False
        if checkpoint.timestamp_token is not None and not timestamp_matches(
            bytes.fromhex(checkpoint.timestamp_token), checkpoint.message()
        ):
            return False
        try:
            self._key.verify(bytes.fromhex(checkpoint.signature), checkpoint.message())
        except (InvalidSignature, ValueError):
            return False
        return True


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
