"""The PKI a process builds on first use: a development PKI issues its root and
CA keys the first time (seconds), which neither ``serve`` nor a CLI command
that never signs should wait for — nor import pyhanko for (a quarter of a
second of every process start)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from adapters.settings import Settings
from application.signatures import DocumentValidation, SignerRef

if TYPE_CHECKING:
    from adapters.pki.service import Pki


class LazyPki:
    """``application.signatures.Signatures`` over ``Pki.from_settings``, built once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pki: Pki | None = None
        self._lock = threading.Lock()

    def pki(self) -> Pki:
        with self._lock:
            if self._pki is None:
                from adapters.pki.service import Pki  # pyhanko: on first use

                self._pki = Pki.from_settings(self.settings)
            return self._pki

    def sign(self, pdf: bytes, signer: SignerRef, *, reason: str = "") -> bytes:
        return self.pki().sign(pdf, signer, reason=reason)

    def sign_result(
        self, pdf: bytes, person: SignerRef, agency: SignerRef, *, reason: str = ""
    ) -> bytes:
        return self.pki().sign_result(pdf, person, agency, reason=reason)

    def validate(self, pdf: bytes) -> DocumentValidation:
        return self.pki().validate(pdf)
