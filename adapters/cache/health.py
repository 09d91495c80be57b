"""Up/down state of the Redis behind the resilient wrappers, for ``/readyz``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from adapters.cache.metrics import CacheMetrics
from adapters.cache.ports import BackendUnavailableError

DEFAULT_RECHECK_SECONDS = 5.0


class BackendHealth:
    """Shared by the wrappers of one Redis: a failure anywhere degrades all of
    them; while degraded, Redis is probed at most every ``recheck_seconds``
    (by the first call after that delay), not on every call."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        *,
        metrics: CacheMetrics | None = None,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
    ) -> None:
        self._probe = probe
        self._metrics = metrics
        self.recheck_seconds = recheck_seconds
        self.degraded = False
        self.last_error: str | None = None
        self.degraded_since: float | None = None
        self._next_probe = 0.0
        if metrics is not None:
            metrics.redis_up.set(1)

    def failed(self, operation: str, error: BaseException) -> None:
        """Record a failed Redis call and (re)start the probe delay."""
        if self._metrics is not None:
            self._metrics.errors.labels(operation=operation).inc()
            self._metrics.redis_up.set(0)
        self.last_error = str(error) or type(error).__name__
        if not self.degraded:
            self.degraded = True
            self.degraded_since = time.time()
        self._next_probe = time.monotonic() + self.recheck_seconds

    async def available(self) -> bool:
        """True when Redis may be used now (it is up, or a due probe succeeded)."""
        if not self.degraded:
            return True
        now = time.monotonic()
        if now < self._next_probe:
            return False
        # Claimed before awaiting, so concurrent callers don't all probe.
        self._next_probe = now + self.recheck_seconds
        return await self._run_probe()

    async def check(self) -> bool:
        """Probe now if up (readiness checks), or when due if degraded."""
        if self.degraded:
            return await self.available()
        return await self._run_probe()

    async def _run_probe(self) -> bool:
        try:
            await self._probe()
        except BackendUnavailableError as error:
            self.failed("probe", error)
            return False
        self.degraded = False
        self.degraded_since = None
        if self._metrics is not None:
            self._metrics.redis_up.set(1)
        return True

    def snapshot(self) -> dict[str, object]:
        return {
            "degraded": self.degraded,
            "last_error": self.last_error,
            "degraded_since": self.degraded_since,
            "recheck_seconds": self.recheck_seconds,
        }


class Degradable:
    """Mixin exposing the shared health of a resilient wrapper."""

    _health: BackendHealth

    @property
    def health(self) -> BackendHealth:
        return self._health

    @property
    def degraded(self) -> bool:
        return self._health.degraded

    @property
    def last_error(self) -> str | None:
        return self._health.last_error
