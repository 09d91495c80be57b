"""Ports for the public-lookup cache, the rate limiter and idempotency keys.

Backends that talk to a server raise :class:`BackendUnavailableError` when it
cannot be reached; the in-process backends never do. The wrappers in
:mod:`adapters.cache.resilient` turn those failures into a degraded service.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass


class BackendUnavailableError(Exception):
    """The cache / rate-limit / idempotency server did not answer."""


class LookupCache(ABC):
    """Bytes under string keys, with a TTL, invalidated by the projections.

    ``invalidate`` leaves a short-lived tombstone: a ``set`` of the same key
    arriving shortly after (a reader that loaded the row before the
    projection committed) is ignored, so the cache never keeps a value older
    than the last invalidation.
    """

    @abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    @abstractmethod
    async def invalidate(self, keys: Sequence[str]) -> None: ...

    @abstractmethod
    async def clear(self) -> None:
        """Drop every entry (after a read-model rebuild, or a lost invalidation)."""

    @abstractmethod
    async def ping(self) -> bool: ...


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    retry_after_seconds: int


class RateLimiter(ABC):
    """At most ``limit`` allowed calls per ``client`` in any sliding window."""

    @abstractmethod
    async def allow(
        self, client: str, *, limit: int, window_seconds: int
    ) -> RateDecision: ...


class IdempotencyStatus(enum.Enum):
    STARTED = "started"
    """The caller owns the key and must ``complete`` or ``abandon`` it."""
    IN_PROGRESS = "in_progress"
    """Another caller owns the key and has not finished (409 + Retry-After)."""
    REPLAY = "replay"
    """The mutation already ran; ``result`` holds what it returned."""
    MISMATCH = "mismatch"
    """The key was used with a different request (422)."""


@dataclass(frozen=True)
class IdempotencyState:
    status: IdempotencyStatus
    result: bytes | None = None

    @classmethod
    def replay(cls, result: bytes) -> IdempotencyState:
        return cls(IdempotencyStatus.REPLAY, result)


STARTED = IdempotencyState(IdempotencyStatus.STARTED)
IN_PROGRESS = IdempotencyState(IdempotencyStatus.IN_PROGRESS)
MISMATCH = IdempotencyState(IdempotencyStatus.MISMATCH)


class IdempotencyStore(ABC):
    """Short-lived idempotency keys: first caller wins, later callers replay.

    A fast path only: the event store's uniqueness (deterministic aggregate
    ids) remains the guard against a mutation applied twice.
    """

    @abstractmethod
    async def begin(
        self, key: str, fingerprint: str, *, lock_ttl: int
    ) -> IdempotencyState: ...

    @abstractmethod
    async def complete(
        self, key: str, fingerprint: str, result: bytes, *, ttl: int
    ) -> None: ...

    @abstractmethod
    async def abandon(self, key: str) -> None: ...


def check_window(limit: int, window_seconds: int) -> None:
    if limit < 1 or window_seconds < 1:
        raise ValueError(
            f"rate limit needs limit >= 1 and window >= 1s, "
            f"got {limit}/{window_seconds}s"
        )
