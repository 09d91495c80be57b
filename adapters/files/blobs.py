"""Content-addressed blob store under ``$MOTCUA_DATA_DIR/blobs``.

A file lives at ``blobs/ab/cd/<sha256>.pdf`` with its facts beside it
(``.json``). Both are written to a temporary name and renamed into place,
facts last, so a crash leaves either nothing or a whole file; a reader
trusts a blob only once its facts exist, and re-hashes it on every read.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson

from adapters.files.scans import Scan, ScanLimits, to_pdf
from domain import bounds
from domain.errors import InvalidValueError
from domain.files import FileIntegrityError, MediaType, StoredFile


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def ingest(
        self,
        data: bytes,
        limits: ScanLimits,
        declared: str | None = None,
        check: Callable[[bytes], object] | None = None,
    ) -> StoredFile:
        """Check, normalise to PDF and keep an upload; refusals store nothing.
        ``check`` sees the PDF before it is kept (signature validation)."""
        scan: Scan = to_pdf(data, limits, declared)
        if check is not None:
            check(scan.pdf)
        digest = hashlib.sha256(scan.pdf).hexdigest()
        facts = StoredFile(digest, len(scan.pdf), scan.pages, scan.media_type)
        return self.add(scan.pdf, facts)

    def add(self, data: bytes, facts: StoredFile) -> StoredFile:
        if hashlib.sha256(data).hexdigest() != facts.sha256:
            raise FileIntegrityError(facts.sha256)
        existing = self.facts(facts.sha256)
        if existing is not None:
            return existing
        blob, meta = self._paths(facts.sha256)
        blob.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(blob, data)
        _write_atomically(
            meta,
            orjson.dumps(
                {
                    "sha256": facts.sha256,
                    "size": facts.size,
                    "pages": facts.pages,
                    "mediaType": facts.media_type.value,
                }
            ),
        )
        return facts

    def facts(self, sha256: str) -> StoredFile | None:
        try:
            bounds.sha256(sha256, "sha256")
        except InvalidValueError:
            return None
        blob, meta = self._paths(sha256)
        try:
            raw = orjson.loads(meta.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return None
        if not blob.exists():
            return None
        return StoredFile(
            raw["sha256"], raw["size"], raw["pages"], MediaType(raw["mediaType"])
        )

    def read(self, sha256: str) -> bytes:
        blob, _ = self._paths(bounds.sha256(sha256, "sha256"))
        try:
            data = blob.read_bytes()
        except FileNotFoundError:
            raise FileIntegrityError(sha256) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise FileIntegrityError(sha256)
        return data

    def _paths(self, sha256: str) -> tuple[Path, Path]:
        folder = self.root / sha256[:2] / sha256[2:4]
        return folder / f"{sha256}.pdf", folder / f"{sha256}.json"


def _write_atomically(path: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
