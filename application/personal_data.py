"""Personal data in events, encrypted per data subject (crypto-shredding).

The applicant of a dossier (identifier and name) is stored as AES-GCM
ciphertext under a key of its own data subject (``SubjectKeys``, e.g. one key
file per subject under MOTCUA_DATA_DIR). Destroying that key at the end of the
retention period makes every stored copy unreadable — events, snapshots,
backups — while the hash chain and the seal, which cover the ciphertext, still
verify. A value whose key is gone reads as ``ERASED`` (the kind stays: it is
not personal). Events stored before this, or by an application without a key
store, keep the plain form and are read as before.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Transcoding

from application.transcodings import stored_value
from domain.dossier_values import Applicant, ApplicantKind

ERASED = "[đã xoá / erased]"


class SubjectKeys(Protocol):
    def key_for(self, subject: str) -> tuple[str, bytes]:
        """The subject's key id and key, created (durably) on first use."""
        ...

    def key(self, key_id: str) -> bytes | None:
        """The key, or ``None`` once destroyed (or never known here)."""
        ...


class SealedApplicant(Transcoding):
    type = Applicant
    name = "pd:applicant"

    def __init__(self, keys: SubjectKeys | None) -> None:
        self.keys = keys

    def encode(self, obj: Applicant) -> dict[str, Any]:
        if self.keys is None:
            msg = "no subject key store: personal data cannot be written"
            raise RuntimeError(msg)
        key_id, key = self.keys.key_for(obj.id)
        nonce = os.urandom(12)
        plain = json.dumps({"id": obj.id, "name": obj.name}).encode()
        sealed = AESGCM(key).encrypt(nonce, plain, key_id.encode())
        return {
            "k": key_id,
            "kind": obj.kind.value,
            "n": base64.b64encode(nonce).decode(),
            "c": base64.b64encode(sealed).decode(),
        }

    def decode(self, data: dict[str, Any]) -> Applicant:
        kind = ApplicantKind(data["kind"])
        key = self.keys.key(data["k"]) if self.keys is not None else None
        values: dict[str, Any] = {"id": ERASED, "name": ERASED, "kind": kind}
        if key is not None:
            try:
                plain = AESGCM(key).decrypt(
                    base64.b64decode(data["n"]),
                    base64.b64decode(data["c"]),
                    str(data["k"]).encode(),
                )
            except InvalidTag:
                pass  # a key that does not open it: as good as gone
            else:
                values.update(json.loads(plain))
        applicant: Applicant = stored_value(Applicant, values)
        return applicant
