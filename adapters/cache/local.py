"""Each API worker's own public-lookup cache, kept fresh by a change channel.

:class:`LocalLookupCache` holds answers in the process; whoever listens to the
projector's changes (PostgreSQL ``LISTEN``, see ``api.live.ChangeListener``)
calls :meth:`~LocalLookupCache.invalidate` for the changed keys and, after each
*barrier* — a notification the listener sends itself, delivered after every
change committed before it — :meth:`~LocalLookupCache.caught_up`. An entry is
served only while the last barrier started less than ``fresh_for`` seconds
ago: a change committed earlier than that has been applied here. While the
channel is down or slow, :meth:`~LocalLookupCache.fresh` is false and lookups
go to the shared cache (Redis) and the read model as before.

A fill carries the *ticket* taken before the read model was read; an
invalidation of its key (or a clear) after the ticket voids it, so a row read
before a commit is never kept after that commit's invalidation.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

from adapters.cache.ports import RateDecision, RateLimiter
from adapters.cache.resilient import ResilientLookupCache


class LocalLookupCache:
    """Thread-safe: filled on the event loop, invalidated from the listener."""

    def __init__(
        self,
        *,
        fresh_for: float,
        max_entries: int = 10_000,
        max_invalidations: int = 10_000,
    ) -> None:
        if fresh_for <= 0:
            raise ValueError("fresh_for must be > 0")
        self.fresh_for = fresh_for
        self._max_entries = max_entries
        self._max_invalidations = max_invalidations
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._invalidated: OrderedDict[str, int] = OrderedDict()
        self._generation = 0
        self._floor = 0
        """Fills with an older ticket are void (a clear, or a forgotten key)."""
        self._caught_up_at = -math.inf
        self._lock = threading.Lock()

    def fresh(self) -> bool:
        return time.monotonic() - self._caught_up_at <= self.fresh_for

    @property
    def caught_up_at(self) -> float:
        return self._caught_up_at

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[1] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def ticket(self) -> int:
        """Take before reading the read model; pass to :meth:`fill`."""
        return self._generation

    def fill(self, key: str, value: bytes, ttl_seconds: float, ticket: int) -> bool:
        with self._lock:
            if ticket < self._floor or self._invalidated.get(key, -1) > ticket:
                return False
            self._entries[key] = (value, time.monotonic() + ttl_seconds)
            self._entries.move_to_end(key)
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
            return True

    def invalidate(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
            for key in keys:
                self._entries.pop(key, None)
                self._invalidated[key] = generation
                self._invalidated.move_to_end(key)
            while len(self._invalidated) > self._max_invalidations:
                _, forgotten = self._invalidated.popitem(last=False)
                self._floor = max(self._floor, forgotten)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._floor = self._generation
            self._entries.clear()
            self._invalidated.clear()

    def caught_up(self, barrier_sent_at: float) -> None:
        """Every change committed before ``barrier_sent_at`` (monotonic) is applied."""
        self._caught_up_at = max(self._caught_up_at, barrier_sent_at)

    def lost(self) -> None:
        """The channel is down: serve nothing until it is back and caught up."""
        self._caught_up_at = -math.inf
        self.clear()

    def snapshot(self) -> dict[str, object]:
        age = time.monotonic() - self._caught_up_at
        return {
            "fresh": self.fresh(),
            "entries": len(self._entries),
            "caughtUpMsAgo": None if math.isinf(age) else round(age * 1000, 1),
        }


class LocalLookupGate:
    """An anonymous lookup's admission without a round trip when it can: the
    rate limiter (in-process counts reconciled with Redis in the background, see
    :mod:`adapters.cache.synced`), then this worker's cache while it is fresh,
    else the shared cache. Same interface as
    :class:`~adapters.cache.resilient.ResilientLookupGate`."""

    def __init__(
        self,
        rate_limiter: RateLimiter,
        shared: ResilientLookupCache,
        local: LocalLookupCache | None,
    ) -> None:
        self._rate_limiter = rate_limiter
        self._shared = shared
        self.local = local

    async def admit(
        self, client: str, key: str, *, limit: int, window_seconds: int
    ) -> tuple[RateDecision, bytes | None]:
        decision = await self._rate_limiter.allow(
            client, limit=limit, window_seconds=window_seconds
        )
        if not decision.allowed:
            return decision, None
        if self.local is not None and self.local.fresh():
            return decision, self._shared.counted(self.local.get(key))
        return decision, await self._shared.get(key)

    def ticket(self) -> int | None:
        """``None`` when answers go to the shared cache (this one is not fresh)."""
        if self.local is not None and self.local.fresh():
            return self.local.ticket()
        return None

    async def fill(
        self, key: str, value: bytes, ttl_seconds: int, ticket: int | None
    ) -> None:
        if ticket is not None and self.local is not None:
            self.local.fill(key, value, ttl_seconds, ticket)
        # Also shared (a miss is rare here): it answers while this cache is not
        # fresh, e.g. while PostgreSQL is down and its channel with it.
        await self._shared.set(key, value, ttl_seconds)
