"""How the projector's changes reach each worker's kept pages on SQLite.

PostgreSQL sends each batch's change keys by ``NOTIFY`` and the page cache
drops the pages of exactly those owners and units. SQLite has no such
channel; the workers used to stamp every page with the shared generation, so
any committed batch — whoever it concerned — dropped every page of every
worker. Here the projecting worker publishes the same keys instead:

* :class:`InProcessPageChanges` (one worker: the projector runs in the
  process that keeps the pages) hands them to the cache directly;
* :class:`SharedPageChanges` (``serve --workers N``) appends them to a ring
  in a memory-mapped file beside the projector lease, and every worker
  applies what it has not seen yet before it reads or fills a page (one
  64-bit read when nothing is new). A worker that fell more than the ring's
  size behind (or found a record overwritten while it read it) drops all its
  pages: coarse, never stale.

The projecting worker publishes before each batch commits and again after:
a worker that dies between the commit and its second publication has still
reached every worker, and a fill whose ticket came between the two (its read
may predate the commit) is voided by the second. So a change is applied by
every worker before its next page read after the commit.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

import orjson

from adapters.cache.pages import PAGE_READ_MODELS, PageCache

Changes = Mapping[str, Iterable[str] | None]

_END = struct.Struct("<Q")
_LENGTH = struct.Struct("<I")
_HEADER = 64
RING_BYTES = 1 << 20


class PageChanges(Protocol):
    def publish(self, changes: Changes) -> None:
        """The projecting worker: keys a batch changes (``None``: all of a read
        model)."""

    def catch_up(self, pages: PageCache) -> None:
        """Any worker, before reading or filling a page: apply what is new."""


def _relevant(changes: Changes) -> dict[str, list[str] | None]:
    return {
        name: None if keys is None else sorted(keys)
        for name, keys in changes.items()
        if name in PAGE_READ_MODELS
    }


class InProcessPageChanges:
    """One worker: the projector's thread drops the pages itself."""

    def __init__(self) -> None:
        self._pages: PageCache | None = None

    def attach(self, pages: PageCache) -> None:
        self._pages = pages

    def publish(self, changes: Changes) -> None:
        relevant = _relevant(changes)
        if relevant and self._pages is not None:
            self._pages.changed(relevant)

    def catch_up(self, pages: PageCache) -> None:
        """Nothing to read: ``publish`` already dropped this worker's pages."""


class SharedPageChanges:
    """A single-writer ring of change records every worker maps.

    Layout: the total bytes ever appended (64-bit, at offset 0), then the
    ring. A record is a 32-bit length and the JSON of ``{read model: keys}``.
    The writer copies a record in, then advances the total; a reader copies
    the bytes between its own position and the total, then checks that the
    writer has not lapped it meanwhile. Only the lease holder writes (one at a
    time); the 64-bit total is read and written whole, as the shared
    generation beside it (``adapters.workers.SharedGeneration``)."""

    def __init__(self, path: Path, size: int = RING_BYTES) -> None:
        if size < 1024:
            raise ValueError("a change ring needs room")
        self.size = size
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _HEADER + size:
                os.ftruncate(fd, _HEADER + size)
            self._map = mmap.mmap(fd, _HEADER + size)
        finally:
            os.close(fd)
        self._applied = self._end()
        """This worker's position: what came before it was never its business
        (its cache started empty)."""
        self._lock = threading.Lock()

    def _end(self) -> int:
        end: int = _END.unpack_from(self._map, 0)[0]
        return end

    def publish(self, changes: Changes) -> None:
        relevant = _relevant(changes)
        if not relevant:
            return
        payload = orjson.dumps(relevant)
        if _LENGTH.size + len(payload) > self.size // 2:
            # Too many keys for the ring: everything of those read models.
            payload = orjson.dumps(dict.fromkeys(relevant))
        record = _LENGTH.pack(len(payload)) + payload
        end = self._end()
        self._copy_in(end % self.size, record)
        _END.pack_into(self._map, 0, end + len(record))

    def _copy_in(self, at: int, data: bytes) -> None:
        first = min(len(data), self.size - at)
        self._map[_HEADER + at : _HEADER + at + first] = data[:first]
        if first < len(data):
            self._map[_HEADER : _HEADER + len(data) - first] = data[first:]

    def _copy_out(self, start: int, length: int) -> bytes:
        at = start % self.size
        first = min(length, self.size - at)
        data = self._map[_HEADER + at : _HEADER + at + first]
        if first < length:
            data += self._map[_HEADER : _HEADER + length - first]
        return data

    def catch_up(self, pages: PageCache) -> None:
        if self._end() == self._applied:  # the common case, without the lock
            return
        with self._lock:
            start, end = self._applied, self._end()
            if end == start:
                return
            if end - start > self.size:
                self._lapped(pages, end)
                return
            data = self._copy_out(start, end - start)
            if self._end() - start > self.size:  # overwritten while copied
                self._lapped(pages, self._end())
                return
            offset = 0
            while offset < len(data):
                (length,) = _LENGTH.unpack_from(data, offset)
                offset += _LENGTH.size
                try:
                    changes = orjson.loads(data[offset : offset + length])
                except orjson.JSONDecodeError:  # cannot happen unlapped: be safe
                    self._lapped(pages, end)
                    return
                offset += length
                pages.changed(changes)
            self._applied = end

    def _lapped(self, pages: PageCache, end: int) -> None:
        pages.clear()
        self._applied = end

    def close(self) -> None:
        with contextlib.suppress(BufferError):
            self._map.close()
