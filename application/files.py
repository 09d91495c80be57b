"""The file store port: what the write side needs of stored files."""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol

from domain.files import FileIntegrityError, StoredFile


class FileStore(Protocol):
    def facts(self, sha256: str) -> StoredFile | None:
        """The stored file with this hash, or None."""

    def read(self, sha256: str) -> bytes:
        """The stored bytes, re-hashed: ``FileIntegrityError`` if they changed."""

    def add(self, data: bytes, facts: StoredFile) -> StoredFile:
        """Keep checked PDF bytes (idempotent: the hash is the address)."""


class MemoryFiles:
    """Files kept in memory (``memory://`` stores, tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, tuple[bytes, StoredFile]] = {}

    def facts(self, sha256: str) -> StoredFile | None:
        found = self._files.get(sha256)
        return found[1] if found else None

    def read(self, sha256: str) -> bytes:
        data = self._files[sha256][0]
        if hashlib.sha256(data).hexdigest() != sha256:
            raise FileIntegrityError(sha256)
        return data

    def add(self, data: bytes, facts: StoredFile) -> StoredFile:
        if hashlib.sha256(data).hexdigest() != facts.sha256:
            raise FileIntegrityError(facts.sha256)
        with self._lock:
            self._files.setdefault(facts.sha256, (data, facts))
        return facts
