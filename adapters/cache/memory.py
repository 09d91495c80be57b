"""In-process cache, rate limiter and idempotency store (no Redis configured).

Same semantics as :mod:`adapters.cache.redis_backend`, for one process: each
structure is a bounded LRU guarded by a lock (no ``await`` inside, so it is
also atomic for coroutines).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from adapters.cache.ports import (
    IN_PROGRESS,
    MISMATCH,
    STARTED,
    IdempotencyState,
    IdempotencyStore,
    LookupCache,
    RateDecision,
    RateLimiter,
    check_window,
)

V = TypeVar("V")

DEFAULT_FILL_GUARD_SECONDS = 10


class _BoundedLRU(Generic[V]):
    """Bounded by entries and, when ``max_bytes`` is given, by the bytes the
    caller charges for each entry."""

    def __init__(self, max_entries: int, max_bytes: int | None = None) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.items: OrderedDict[str, V] = OrderedDict()
        self.sizes: dict[str, int] = {}
        self.bytes = 0
        self.lock = threading.Lock()

    def get(self, key: str) -> V | None:
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def put(self, key: str, item: V, size: int = 0) -> None:
        self.bytes += size - self.sizes.pop(key, 0)
        if size:
            self.sizes[key] = size
        self.items[key] = item
        self.items.move_to_end(key)
        while len(self.items) > self.max_entries or (
            self.max_bytes is not None and self.bytes > self.max_bytes and self.items
        ):
            evicted, _ = self.items.popitem(last=False)
            self.bytes -= self.sizes.pop(evicted, 0)

    def pop(self, key: str) -> None:
        self.items.pop(key, None)
        self.bytes -= self.sizes.pop(key, 0)


@dataclass(frozen=True)
class _Entry:
    value: bytes | None  # None: tombstone left by invalidate
    expires_at: float


class MemoryLookupCache(LookupCache):
    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        fill_guard_seconds: int = DEFAULT_FILL_GUARD_SECONDS,
    ) -> None:
        self._lru: _BoundedLRU[_Entry] = _BoundedLRU(max_entries)
        self._fill_guard_seconds = fill_guard_seconds

    def _live(self, key: str, now: float) -> _Entry | None:
        entry = self._lru.get(key)
        if entry is not None and entry.expires_at <= now:
            del self._lru.items[key]
            return None
        return entry

    async def get(self, key: str) -> bytes | None:
        with self._lru.lock:
            entry = self._live(key, time.monotonic())
            return None if entry is None else entry.value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be >= 1")
        with self._lru.lock:
            now = time.monotonic()
            entry = self._live(key, now)
            if entry is not None and entry.value is None:
                return
            self._lru.put(key, _Entry(value, now + ttl_seconds))

    async def invalidate(self, keys: Sequence[str]) -> None:
        with self._lru.lock:
            expires_at = time.monotonic() + self._fill_guard_seconds
            for key in keys:
                self._lru.put(key, _Entry(None, expires_at))

    async def clear(self) -> None:
        with self._lru.lock:
            self._lru.items.clear()

    async def ping(self) -> bool:
        return True


class MemoryRateLimiter(RateLimiter):
    """Sliding-window log per client; the least recently seen clients are
    forgotten beyond ``max_clients``."""

    def __init__(self, *, max_clients: int = 100_000) -> None:
        self._lru: _BoundedLRU[deque[float]] = _BoundedLRU(max_clients)

    async def allow(
        self, client: str, *, limit: int, window_seconds: int
    ) -> RateDecision:
        check_window(limit, window_seconds)
        with self._lru.lock:
            now = time.monotonic()
            hits = self._lru.get(client)
            if hits is None:
                hits = deque()
                self._lru.put(client, hits)
            while hits and hits[0] <= now - window_seconds:
                hits.popleft()
            if len(hits) < limit:
                hits.append(now)
                return RateDecision(True, limit - len(hits), 0)
            retry = hits[0] + window_seconds - now
            return RateDecision(False, 0, max(1, math.ceil(retry)))


@dataclass(frozen=True)
class _Record:
    fingerprint: str
    result: bytes | None  # None while in progress
    expires_at: float


_RECORD_OVERHEAD = 400
"""Bytes of a record beyond its key, fingerprint and result (objects, LRU slot)."""


class MemoryIdempotencyStore(IdempotencyStore):
    """Bounded by keys and by bytes: a flood of fresh keys evicts the oldest."""

    def __init__(
        self, *, max_entries: int = 100_000, max_bytes: int = 32 * 1024 * 1024
    ) -> None:
        self._lru: _BoundedLRU[_Record] = _BoundedLRU(max_entries, max_bytes)

    def _live(self, key: str, now: float) -> _Record | None:
        record = self._lru.get(key)
        if record is not None and record.expires_at <= now:
            self._lru.pop(key)
            return None
        return record

    def _put(self, key: str, record: _Record) -> None:
        size = len(key) + len(record.fingerprint) + len(record.result or b"")
        self._lru.put(key, record, size + _RECORD_OVERHEAD)

    async def begin(
        self, key: str, fingerprint: str, *, lock_ttl: int
    ) -> IdempotencyState:
        with self._lru.lock:
            now = time.monotonic()
            record = self._live(key, now)
            if record is None:
                self._put(key, _Record(fingerprint, None, now + lock_ttl))
                return STARTED
            if record.fingerprint != fingerprint:
                return MISMATCH
            if record.result is None:
                return IN_PROGRESS
            return IdempotencyState.replay(record.result)

    async def complete(
        self, key: str, fingerprint: str, result: bytes, *, ttl: int
    ) -> None:
        with self._lru.lock:
            now = time.monotonic()
            record = self._live(key, now)
            if record is not None and record.fingerprint != fingerprint:
                return  # our lock expired and another request took the key
            self._put(key, _Record(fingerprint, result, now + ttl))

    async def abandon(self, key: str) -> None:
        with self._lru.lock:
            self._lru.pop(key)
