"""Read-your-writes: a query's ``after:`` waits until the read models applied it.

Waiting never holds a worker thread: waiters sleep on the event loop and are
woken by the projector's commits (the same change notifications that drive
subscriptions), with a short re-check for batches that changed nothing
anyone listens to. The read position is read once for all waiters at a time.
A position beyond the log head is refused at once (nothing will ever reach
it by waiting), and the number of waiters is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import anyio

WAIT_SECONDS = 5.0
RECHECK_SECONDS = 0.25


class ReadWaitRefusedError(Exception):
    """Why ``after:`` was not waited for; ``code`` is the GraphQL error code."""

    def __init__(self, code: str, head: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.head = head


class ReadYourWrites:
    """The waiters of one API process; call :meth:`advanced` on the loop thread."""

    def __init__(
        self,
        read_position: Callable[[], int],
        log_head: Callable[[], int],
        max_waiters: int,
        *,
        timeout: float = WAIT_SECONDS,
        recheck: float = RECHECK_SECONDS,
    ) -> None:
        self._read_position = read_position
        self._log_head = log_head
        self.max_waiters = max_waiters
        self.timeout = timeout
        self.recheck = recheck
        self.waiting = 0
        self._advanced: asyncio.Event | None = None
        self._reading: asyncio.Future[int] | None = None

    def advanced(self) -> None:
        """A projector committed: every waiter re-reads the position."""
        if self._advanced is not None:
            self._advanced.set()
            self._advanced = None

    async def wait(self, after: int) -> None:
        """Return once every read model applied ``after``; else refuse:
        ``NOT_YET_WRITTEN`` (beyond the log head, at once),
        ``TOO_MANY_WAITING`` (the bound of waiters reached, at once),
        ``NOT_YET_PROJECTED`` (not applied within the timeout)."""
        if after <= 0 or await self._position() >= after:
            return
        head = await anyio.to_thread.run_sync(self._log_head)
        if after > head:
            raise ReadWaitRefusedError("NOT_YET_WRITTEN", head)
        if self.waiting >= self.max_waiters:
            raise ReadWaitRefusedError("TOO_MANY_WAITING")
        self.waiting += 1
        try:
            deadline = time.monotonic() + self.timeout
            while await self._position() < after:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ReadWaitRefusedError("NOT_YET_PROJECTED")
                if self._advanced is None:
                    self._advanced = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._advanced.wait(), min(remaining, self.recheck)
                    )
        finally:
            self.waiting -= 1

    async def _position(self) -> int:
        """One read of the position at a time, shared by whoever asks meanwhile."""
        if self._reading is None or self._reading.done():
            reading = asyncio.ensure_future(
                anyio.to_thread.run_sync(self._read_position)
            )
            self._reading = reading
        return await asyncio.shield(self._reading)
