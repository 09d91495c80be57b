"""The local development signing key (EC P-256) and its key id."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.settings import ConfigurationError

DEV_KEY_FILE = Path("keys") / "dev-signing-key.pem"


def dev_key_path(data_dir: Path) -> Path:
    return data_dir / DEV_KEY_FILE


def load_or_create_signing_key(
    data_dir: Path,
) -> tuple[ec.EllipticCurvePrivateKey, str]:
    """The key under ``<data_dir>/keys/`` and its ``kid``; created on first use.

    A new key is written to a private temporary file and then hard-linked into
    place, which fails if another process got there first: the first key
    written wins and is never overwritten (``os.replace`` would let a late
    racer replace a key whose tokens were already handed out).
    """
    path = dev_key_path(data_dir)
    if not path.exists():
        _create(path)
    key = _load(path)
    return key, key_id(key.public_key())


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    jwk = _public_jwk(public_key)
    canonical = json.dumps(
        {name: jwk[name] for name in ("crv", "kty", "x", "y")},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64(hashlib.sha256(canonical.encode()).digest())


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dev-key-")  # 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first; use theirs
        except OSError:  # no hard links on this file system
            if not path.exists():
                os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _load(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(f"{path}: {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise ConfigurationError(f"{path}: not an EC P-256 private key")
    return key


def _public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise ConfigurationError("not an EC P-256 key")
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64(numbers.x.to_bytes(32, "big")),
        "y": _b64(numbers.y.to_bytes(32, "big")),
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
