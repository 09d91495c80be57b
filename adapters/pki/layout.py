"""Where a signer's PKCS#12 file lives: ``<folder>/<person|agency>/<id>.p12``.

The same layout serves the development PKI and production
(``MOTCUA_PKI_PKCS12_DIR``). An id that could leave the folder or that a file
system may not store is refused before any path is built.
"""

from __future__ import annotations

import re
from pathlib import Path

from application.signatures import NoSigningIdentityError, SignerRef

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")


def identity_path(folder: Path, signer: SignerRef) -> Path:
    if not SAFE_ID.fullmatch(signer.subject) or ".." in signer.subject:
        raise NoSigningIdentityError(signer)
    return folder / signer.kind.value / f"{signer.subject}.p12"
