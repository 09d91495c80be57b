"""Per-data-subject keys as files under ``<data dir>/keys/subjects/``.

A key file is named by an HMAC of the subject's identifier under a local
secret (so names do not reveal identifiers), written to a temporary file,
fsynced and hard-linked into place (the first writer wins, never
overwritten). ``destroy`` unlinks it and fsyncs the directory: from then on
the subject's personal data in every stored event reads as erased. Keys are
cached per process; ``destroy`` evicts the local cache, other processes see
it when they next miss (restart them, or shred from the process that serves).
One host: for several hosts a KMS adapter with the same two methods replaces it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import tempfile
import threading
from pathlib import Path


class FileSubjectKeys:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._secret = self._read_or_create(self.directory / "index.secret")
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def key_id(self, subject: str) -> str:
        return hmac.new(self._secret, subject.encode(), hashlib.sha256).hexdigest()[:32]

    def key_for(self, subject: str) -> tuple[str, bytes]:
        key_id = self.key_id(subject)
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None:
            return key_id, cached
        key = self._read_or_create(self.directory / f"{key_id}.key")
        with self._lock:
            self._cache[key_id] = key
        return key_id, key

    def key(self, key_id: str) -> bytes | None:
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None:
            return cached
        if not all(c in "0123456789abcdef" for c in key_id) or len(key_id) != 32:
            return None
        try:
            key = (self.directory / f"{key_id}.key").read_bytes()
        except FileNotFoundError:
            return None
        with self._lock:
            self._cache[key_id] = key
        return key

    def destroy(self, subject: str) -> bool:
        """Destroy the subject's key; ``False`` when there was none."""
        key_id = self.key_id(subject)
        with self._lock:
            self._cache.pop(key_id, None)
        path = self.directory / f"{key_id}.key"
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    @staticmethod
    def _read_or_create(path: Path) -> bytes:
        if not path.exists():
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(os.urandom(32))
                    file.flush()
                    os.fsync(file.fileno())
                with contextlib.suppress(FileExistsError):
                    os.link(temporary, path)  # the first writer wins
            finally:
                os.unlink(temporary)
        return path.read_bytes()
