"""A rate limiter that counts in the process and reconciles with Redis.

Each API worker admits calls from its own counts and sends what it admitted
to Redis in the background, one script per ``interval`` for every client it
saw (not one round trip per call); the reply is every client's count across
all workers, so the workers share one budget per client. Redis keeps the
same sliding-window log as :class:`~adapters.cache.redis_backend.RedisRateLimiter`
(same keys), so callers of either share it.

The bound: a worker admits at most :func:`unsynced_cap` calls of one client
that Redis has not counted yet; once it has, it refuses from the count Redis
returned until the oldest call leaves the window, and then asks Redis again
before admitting. So ``N`` workers admit at most ``limit + N × unsynced_cap``
calls of a client in any window (one worker: exactly ``limit``). Calls are
entered in the log when they reach Redis (at most one interval late), which
only makes them leave the window later.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from adapters.cache.ports import (
    BackendUnavailableError,
    RateDecision,
    RateLimiter,
    check_window,
)
from adapters.cache.redis_backend import RATE_LIMIT_PREFIX, unavailable

# Per client: drop what left the window, log the calls this worker admitted
# since the last sync (unique members, the server's clock), and return the
# client's count with the milliseconds until its oldest call leaves.
_SYNC = """
local window = tonumber(ARGV[1])
local prefix = ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local done = 0
  while done < n do
    local stop = math.min(n, done + 500)
    local args = {}
    for k = done + 1, stop do
      args[#args + 1] = now
      args[#args + 1] = prefix .. i .. ':' .. k
    end
    redis.call('ZADD', key, unpack(args))
    done = stop
  end
  if n > 0 then redis.call('PEXPIRE', key, window) end
  local count = redis.call('ZCARD', key)
  local wait = 0
  if count > 0 then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = tonumber(oldest[2]) + window - now
  end
  out[i] = {count, wait}
end
return out
"""

MAX_UNSYNCED = 1024


def unsynced_cap(limit: int) -> int:
    """Calls of one client a worker admits before Redis has counted them:
    5 % of the limit, at least 1, at most :data:`MAX_UNSYNCED`."""
    return max(1, min(MAX_UNSYNCED, limit // 20))


@dataclass
class _Client:
    key: str
    window_ms: int
    known: int = 0
    """The client's count in Redis at the last sync (every worker's calls)."""
    synced: bool = False
    pending: int = 0
    """Admitted here, not yet sent."""
    sending: int = 0
    """Admitted here, in the sync under way."""
    frees_at: float = 0.0
    """When (monotonic) the oldest call counted in ``known`` leaves the window."""
    refresh: bool = False

    @property
    def unsynced(self) -> int:
        return self.pending + self.sending


class SyncedRateLimiter(RateLimiter):
    """See the module docstring. Raises :class:`BackendUnavailableError` only
    for a call that had to wait for a sync that failed; a failed background
    sync is reported to ``on_failure`` (the shared Redis health), which makes
    :class:`~adapters.cache.resilient.ResilientRateLimiter` use its fallback."""

    def __init__(
        self,
        client: Redis,
        *,
        interval: float,
        prefix: str = RATE_LIMIT_PREFIX,
        max_clients: int = 100_000,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0")
        self._script = client.register_script(_SYNC)
        self._interval = interval
        self._prefix = prefix
        self._max_clients = max_clients
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._dirty: dict[str, _Client] = {}
        self._waiters: list[asyncio.Future[bool]] = []
        self._task: asyncio.Task[None] | None = None
        self._last_start = -math.inf
        self._token = uuid.uuid4().hex[:12]
        self._round = 0
        self.on_failure: Callable[[str, BaseException], None] | None = None
        self.syncs = 0
        """Round trips to Redis so far (for tests and benches)."""

    async def allow(
        self, client: str, *, limit: int, window_seconds: int
    ) -> RateDecision:
        check_window(limit, window_seconds)
        window_ms = window_seconds * 1000
        name = f"{self._prefix}{client}"
        cap = unsynced_cap(limit)
        while True:
            state = self._state(name, window_ms)
            total = state.known + state.unsynced
            if total >= limit:
                now = time.monotonic()
                if state.synced and state.unsynced == 0 and now < state.frees_at:
                    return RateDecision(
                        False, 0, max(1, math.ceil(state.frees_at - now))
                    )
                state.refresh = True  # something left the window, or not counted yet
            elif state.unsynced < cap:
                state.pending += 1
                self._mark(state)
                return RateDecision(True, limit - total - 1, 0)
            self._mark(state)
            if not await self._next_sync():
                raise BackendUnavailableError("redis rate_limit: sync failed")

    def _state(self, name: str, window_ms: int) -> _Client:
        state = self._clients.get(name)
        if state is None or state.window_ms != window_ms:
            state = self._dirty.get(name)
            if state is None or state.window_ms != window_ms:
                state = _Client(name, window_ms)
            self._clients[name] = state
            if len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)  # a dirty one is still sent
        else:
            self._clients.move_to_end(name)
        return state

    def _mark(self, state: _Client) -> None:
        self._dirty[state.key] = state
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _next_sync(self) -> asyncio.Future[bool]:
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return waiter

    async def _run(self) -> None:
        while self._dirty:
            delay = self._last_start + self._interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._last_start = time.monotonic()
            batch, self._dirty = self._dirty, {}
            waiters, self._waiters = self._waiters, []
            ok = await self._sync(list(batch.values()))
            if not ok:
                # The failure dropped what was marked meanwhile too: those
                # callers wait for no next round, so they get this answer.
                waiters, self._waiters = waiters + self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(ok)

    async def _sync(self, batch: list[_Client]) -> bool:
        sent = [(state, state.pending) for state in batch]
        for state, count in sent:
            state.sending, state.pending = count, 0
        self._round += 1
        try:
            for window_ms in {state.window_ms for state in batch}:
                group = [(s, n) for s, n in sent if s.window_ms == window_ms]
                with unavailable("rate_limit"):
                    replies = await self._script(
                        keys=[s.key for s, _ in group],
                        args=[
                            window_ms,
                            f"{self._token}:{self._round}:{window_ms}:",
                            *(n for _, n in group),
                        ],
                    )
                self.syncs += 1
                now = time.monotonic()
                for (state, _), (count, wait_ms) in zip(group, replies, strict=True):
                    state.known = int(count)
                    state.frees_at = now + int(wait_ms) / 1000
                    state.synced, state.sending, state.refresh = True, 0, False
        except Exception as error:  # no failure may strand a waiter
            # What this process counted is lost to Redis; start over once it is back.
            self._clients.clear()
            self._dirty.clear()
            if self.on_failure is not None:
                self.on_failure("rate_limit", error)
            return False
        return True
