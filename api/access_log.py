"""Every read of personal data by an officer or reviewer, never lost.

``record`` appends one JSON line to this process's spool file with a single
``write`` on an ``O_APPEND`` descriptor before the response is sent: from
then on the line is in the kernel, so a crash of the API process (even
``kill -9``) cannot lose it. A background thread moves the spool into the
access log tables in batches (``fsync`` first, then one transaction per
slice; a read is one row keyed by spool file and offset, so a batch applied
twice counts once, naming the set of dossiers it showed — whose members are
written once per set: ``projections.access_log``). Each process holds an exclusive ``flock`` on its own spool;
the spool of a process that died is unlocked, and any other process drains
it and deletes it (at start and every pass). A machine crash (power loss,
kernel panic) can lose only lines written since the last pass (at most
``interval`` seconds), not yet fsynced — unless ``sync`` is on
(``MOTCUA_ACCESS_LOG_SYNC=y``): then each ``record`` is ``fdatasync``ed before
it returns, so a read whose response was sent is on disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import structlog

from projections.access_log import dossier_set, ensure_access_log, insert_reads
from projections.ports import ReadStore

log = structlog.get_logger("access_log")
SUFFIX = ".spool"
_LINES_PER_SLICE = 64
_SETS_REMEMBERED = 4096


@dataclass(frozen=True)
class Access:
    dossier_ids: tuple[str, ...]
    at: str
    actor_id: str
    role: str
    agency_code: str | None
    department: str | None
    purpose: str


class AccessJournal:
    def __init__(
        self,
        directory: Path,
        store: ReadStore,
        interval: float = 0.5,
        *,
        sync: bool = False,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.sync = sync
        self.directory = directory
        self.store = store
        self.interval = interval
        self.path = directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # ours while this process lives
        self._offset = 0
        self._drain_lock = threading.Lock()
        self._stored_sets: OrderedDict[str, None] = OrderedDict()
        """Set keys whose members are stored (a worklist page read again
        names the same set: its members are not written again)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with store.schema() as sql:
            ensure_access_log(sql)

    def record(
        self,
        *dossier_ids: str,
        actor_id: str,
        role: str,
        agency_code: str | None,
        department: str | None,
        purpose: str,
    ) -> None:
        if not dossier_ids:
            return
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        # One line per read, naming every dossier it showed (a worklist page:
        # one line, not one per row); the drain gives each its own row.
        line = orjson.dumps(
            Access(dossier_ids, at, actor_id, role, agency_code, department, purpose)
        )
        os.write(self._fd, line + b"\n")  # one append: whole or not at all
        if self.sync:
            os.fdatasync(self._fd)  # the batch of this response, on disk

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="motcua-access-log", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while True:  # a first pass at once: spools a crashed process left
            try:
                self.flush()
            except Exception:
                log.exception("access_log_flush_failed")
            if self._stop.wait(self.interval):
                return

    def flush(self) -> int:
        """Move spooled lines (ours and those of dead processes) into the table."""
        with self._drain_lock:
            moved = self._drain(self.path, self._fd, own=True)
            for path in sorted(self.directory.glob(f"*{SUFFIX}")):
                if path != self.path:
                    moved += self._drain_orphan(path)
            return moved

    def _drain_orphan(self, path: Path) -> int:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return 0
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # its process is alive and drains it itself
            moved = self._drain(path, fd, own=False)
            path.unlink(missing_ok=True)
            return moved
        finally:
            os.close(fd)

    def _drain(self, path: Path, fd: int, *, own: bool) -> int:
        start = self._offset if own else 0
        with open(path, "rb") as spool:
            spool.seek(start)
            data = spool.read()
        end = data.rfind(b"\n") + 1  # a torn last line waits (or was never whole)
        if end <= 0:
            return 0
        os.fsync(fd)
        moved = 0
        offset = start
        lines = data[:end].splitlines(keepends=True)
        # In slices, the GIL let go between them: one pass of a busy worklist
        # (tens of thousands of rows built in Python) held requests back by
        # tens of milliseconds. Each slice is its own transaction; its rows
        # are keyed by spool offset, so a slice applied twice counts once.
        for first in range(0, len(lines), _LINES_PER_SLICE):
            reads: list[tuple[object, ...]] = []
            sets: dict[str, tuple[str, ...]] = {}
            for line in lines[first : first + _LINES_PER_SLICE]:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    read, ids = _read(path.name, offset, line)
                    key = str(read[2])
                    if key not in self._stored_sets:
                        sets[key] = ids
                    reads.append(read)
                    moved += len(ids)
                offset += len(line)
            with self.store.transaction() as sql:
                insert_reads(sql, reads, sets)
            for key in sets:
                self._stored_sets[key] = None
            while len(self._stored_sets) > _SETS_REMEMBERED:
                self._stored_sets.popitem(last=False)
            if own:
                self._offset = offset
            time.sleep(0)
        return moved

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception:
            log.exception("access_log_flush_failed")
        else:
            if os.fstat(self._fd).st_size == self._offset:
                self.path.unlink(missing_ok=True)
        os.close(self._fd)


def _read(
    spool: str, offset: int, line: bytes
) -> tuple[tuple[object, ...], tuple[str, ...]]:
    """The read row of one spool line (keyed by the line's offset) and the
    dossiers it names. Lines written before one line named several dossiers
    carry ``dossier_id``."""
    item = orjson.loads(line)
    raw = item["dossier_ids"] if "dossier_ids" in item else [item["dossier_id"]]
    ids = tuple(str(d) for d in raw)
    if not ids:
        raise ValueError("a read names at least one dossier")
    row = (
        spool,
        offset,
        dossier_set(ids),
        item["at"],
        item["actor_id"],
        item["role"],
        item["agency_code"],
        item["department"],
        item["purpose"],
    )
    return row, tuple(sorted(set(ids)))
