"""Where a signer's PKCS#12 file lives.

``<folder>/agency/<code>.p12`` for an agency's seal; for an officer
``<folder>/person/<agency code>/<id>.p12`` — the certificate names the unit the
officer signs for, and an officer moved to another unit (the 2025
reorganisation moved whole staffs) signs there with that unit's certificate —
else ``<folder>/person/<id>.p12`` (one file per officer, as production
deployments supplied them before). The same layout serves the development PKI
and production (``MOTCUA_PKI_PKCS12_DIR``). An id that could leave the folder or
that a file system may not store is refused before any path is built.
"""

from __future__ import annotations

import re
from pathlib import Path

from application.signatures import NoSigningIdentityError, SignerKind, SignerRef

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")


def identity_path(folder: Path, signer: SignerRef) -> Path:
    """The file a new identity of ``signer`` is written to."""
    _check(signer.subject, signer)
    if signer.kind is SignerKind.PERSON:
        _check(signer.agency_code, signer)
        return folder / signer.kind.value / signer.agency_code / f"{signer.subject}.p12"
    return folder / signer.kind.value / f"{signer.subject}.p12"


def existing_identity(folder: Path, signer: SignerRef) -> Path:
    """The file ``signer`` signs with: its unit's, else its unit-less one."""
    path = identity_path(folder, signer)
    if signer.kind is SignerKind.PERSON and not path.exists():
        plain = folder / signer.kind.value / f"{signer.subject}.p12"
        if plain.exists():
            return plain
    return path


def _check(identifier: str, signer: SignerRef) -> None:
    if not SAFE_ID.fullmatch(identifier) or ".." in identifier:
        raise NoSigningIdentityError(signer)
