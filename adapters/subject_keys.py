"""Per-data-subject keys as files under ``<data dir>/keys/subjects/``.

A key file is named by an HMAC of the subject's identifier under a local
secret (so names do not reveal identifiers), written to a temporary file,
fsynced and hard-linked into place (the first writer wins, never
overwritten). ``destroy`` unlinks it and fsyncs the directory: from then on
the subject's personal data in every stored event reads as erased.

Keys are cached per process, so ``destroy`` then appends the key's id to a
journal (``destroyed``, fsynced): every process using the directory looks at
the journal's size at most every ``SHRED_NOTICE_SECONDS`` when it next asks
for a key (or for ``shreds()``), drops the destroyed keys from its cache and
counts the shred, so caches of opened values (ciphers, saved aggregates) can
be dropped too. Until then a process may still open — or seal new values
under — a destroyed key; values sealed in that window read as erased like
the rest of the subject's data. One host: for several hosts a KMS adapter
with the same methods replaces it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import tempfile
import threading
import time
from pathlib import Path

SHRED_NOTICE_SECONDS = 0.5
"""How stale a process's view of destroyed keys may be (one ``stat`` of the
journal per period while keys are being asked for)."""

JOURNAL = "destroyed"


class FileSubjectKeys:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._secret = self._read_or_create(self.directory / "index.secret")
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._journal = self.directory / JOURNAL
        self._journal_read = self._journal_size()  # shreds before us: nothing cached
        self._noticed_at = time.monotonic()
        self._shreds = 0

    def shreds(self) -> int:
        """How many shreds this process has noticed: when it changes, whatever
        was opened with a key before may be a destroyed subject's."""
        self._notice_shreds()
        return self._shreds

    def key_id(self, subject: str) -> str:
        return hmac.new(self._secret, subject.encode(), hashlib.sha256).hexdigest()[:32]

    def key_for(self, subject: str) -> tuple[str, bytes]:
        self._notice_shreds()
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
        self._notice_shreds()
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
        self._fsync_directory()
        # After the unlink: a process that drops its copy on reading this
        # can no longer read the key back from disk.
        fd = os.open(self._journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{key_id}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self._fsync_directory()
        self._noticed_at = float("-inf")  # this process: at its next ask
        return True

    def _notice_shreds(self) -> None:
        now = time.monotonic()
        if now - self._noticed_at < SHRED_NOTICE_SECONDS:
            return
        self._noticed_at = now
        size = self._journal_size()
        if size <= self._journal_read:
            return
        with self._lock:
            start = self._journal_read
            if size <= start:
                return
            with self._journal.open("rb") as journal:
                journal.seek(start)
                added = journal.read(size - start)
            whole = added[: added.rfind(b"\n") + 1]  # a line being written: later
            for line in whole.split():
                self._cache.pop(line.decode("ascii", "replace"), None)
                self._shreds += 1
            self._journal_read = start + len(whole)

    def _journal_size(self) -> int:
        try:
            return os.stat(self._journal).st_size
        except FileNotFoundError:
            return 0

    def _fsync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

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
