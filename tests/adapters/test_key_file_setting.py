"""``MOTCUA_JWT_PUBLIC_KEY_FILE`` holds a PEM public key (EC or RSA), checked with
the other settings: anything else is a one-line bilingual refusal (exit 2)
before a process starts, never a traceback from the app's start."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from adapters.settings import ConfigurationError, Settings
from tests.services import find_free_port

PUBLIC = serialization.PublicFormat.SubjectPublicKeyInfo
PEM = serialization.Encoding.PEM


def _public_pem(key: object) -> bytes:
    public = key.public_key()  # type: ignore[attr-defined]
    data: bytes = public.public_bytes(PEM, PUBLIC)
    return data


def _private_pem(key: object) -> bytes:
    data: bytes = key.private_bytes(  # type: ignore[attr-defined]
        PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return data


ACCEPTED: dict[str, Callable[[], bytes]] = {
    "ec-p256": lambda: _public_pem(ec.generate_private_key(ec.SECP256R1())),
    "rsa-2048": lambda: _public_pem(rsa.generate_private_key(65537, 2048)),
}
REFUSED: dict[str, Callable[[], bytes]] = {
    "passwd": lambda: Path("/etc/passwd").read_bytes(),
    "empty": lambda: b"",
    "binary": lambda: bytes(range(256)) * 4,
    "private-ec-key": lambda: _private_pem(ec.generate_private_key(ec.SECP256R1())),
    "ed25519-public": lambda: _public_pem(ed25519.Ed25519PrivateKey.generate()),
    "dsa-public": lambda: _public_pem(dsa.generate_private_key(2048)),
    "truncated-pem": lambda: _public_pem(ec.generate_private_key(ec.SECP256R1()))[:80],
    "pem-then-megabytes": lambda: (
        _public_pem(ec.generate_private_key(ec.SECP256R1())) + b"\n" * (2 << 20)
    ),
}


@pytest.mark.parametrize("kind", sorted(ACCEPTED))
def test_a_pem_public_key_is_accepted(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(ACCEPTED[kind]())
    settings = Settings.from_env({"MOTCUA_JWT_PUBLIC_KEY_FILE": str(path)})
    assert settings.value("JWT_PUBLIC_KEY_FILE") == path


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_anything_else_is_refused_when_settings_are_read(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(REFUSED[kind]())
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"MOTCUA_JWT_PUBLIC_KEY_FILE": str(path)})
    assert "MOTCUA_JWT_PUBLIC_KEY_FILE" in refused.value.message("vi")
    assert "PEM" in refused.value.message("en")


@pytest.mark.parametrize("path", ["/etc/passwd", "/etc", "/nonexistent/key.pem"])
def test_serve_refuses_it_in_one_line_before_starting(
    tmp_path: Path, path: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env |= {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_JWT_PUBLIC_KEY_FILE": path}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(find_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "MOTCUA_JWT_PUBLIC_KEY_FILE" in done.stderr
    assert "Lỗi" in done.stderr
    assert "Error" in done.stderr
    assert not (tmp_path / "motcua.db").exists()  # nothing started
