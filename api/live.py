"""Changes the projector committed, fanned out to cache and subscribers.

Two hooks on every projector (embedded thread or ``motcua projector``):

* before a batch commits, the public-status cache (Redis or in-process) is
  invalidated with tombstones (:class:`CacheInvalidator`), so a lookup after
  the commit is never stale;
* after it commits, subscribers of the changed codes are woken
  (:class:`StatusFeed`). In one process (SQLite embedded) the projector calls
  the feed directly; on PostgreSQL the batch sends the changed codes with
  ``NOTIFY`` (delivered only if the batch commits) and every API process
  ``LISTEN``s (:class:`ChangeListener`). LISTEN/NOTIFY rather than Redis
  pub/sub: it is transactional with the read models and needs no other service.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import psycopg
import structlog
from prometheus_client import CollectorRegistry
from psycopg import sql

from adapters.cache.factory import CacheBackends, build_cache_backends
from adapters.cache.local import LocalLookupCache
from adapters.cache.pages import PAGE_READ_MODELS, PageCache
from adapters.cache.ports import BackendUnavailableError
from adapters.cache.redis_backend import RedisTombstones
from adapters.cache.resilient import ResilientLookupCache
from adapters.settings import Settings
from projections import change_log
from projections.ports import ReadStore
from projections.runtime import CHANGES_CHANNEL, Projector

log = structlog.get_logger("live")
FOLLOW_SECONDS = 0.25
"""How long the embedded projector sleeps when nothing new was written here."""
T = TypeVar("T")
PUBLIC_STATUS = "public_status"


def status_key(code: str) -> str:
    return f"status:{code}"


class TooManySubscribersError(Exception):
    pass


class Watch:
    """One subscription's interest in a code; ``changed`` is set on each change."""

    def __init__(self, feed: StatusFeed, code: str) -> None:
        self.feed = feed
        self.code = code
        self.changed = asyncio.Event()
        self._open = True

    def __enter__(self) -> asyncio.Event:
        return self.changed

    def __exit__(self, *_: object) -> None:
        if self._open:
            self._open = False
            self.feed._unwatch(self)


class StatusFeed:
    """Wakes the subscriptions waiting on a dossier code; event-loop thread only."""

    def __init__(self, max_subscribers: int) -> None:
        self.max_subscribers = max_subscribers
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._count = 0
        self.on_commit: list[Callable[[], None]] = []
        """Called on the loop after every batch a projector committed."""

    @property
    def subscribers(self) -> int:
        return self._count

    def watch(self, code: str) -> Watch:
        """Registered at once (refused beyond the limit); unregistered on exit."""
        if self._count >= self.max_subscribers:
            raise TooManySubscribersError(code)
        watch = Watch(self, code)
        self._waiting.setdefault(code, set()).add(watch.changed)
        self._count += 1
        return watch

    def _unwatch(self, watch: Watch) -> None:
        self._count -= 1
        waiting = self._waiting.get(watch.code)
        if waiting is not None:
            waiting.discard(watch.changed)
            if not waiting:
                del self._waiting[watch.code]

    def publish(self, codes: set[str]) -> None:
        for code in codes:
            for changed in self._waiting.get(code, ()):
                changed.set()

    def publish_all(self, _: object = None) -> None:
        self.publish(set(self._waiting))

    def publish_from_thread(
        self, loop: asyncio.AbstractEventLoop, changes: dict[str, set[str]]
    ) -> None:
        if not loop.is_closed():
            codes = set(changes.get(PUBLIC_STATUS) or ())
            loop.call_soon_threadsafe(self._committed, codes)

    def _committed(self, codes: set[str]) -> None:
        self.publish(codes)
        for hook in self.on_commit:
            hook()


class CacheInvalidator:
    """A projector listener: tombstones the changed codes before the commit."""

    def __init__(
        self,
        cache: ResilientLookupCache,
        loop: asyncio.AbstractEventLoop,
        direct: RedisTombstones | None = None,
    ) -> None:
        self.cache = cache
        self.loop = loop
        self.direct = direct
        """Sends the tombstones from the projector's own thread while nothing
        is pending; on failure the resilient cache takes over (and keeps them)."""

    def __call__(self, changes: dict[str, set[str]]) -> None:
        codes = changes.get(PUBLIC_STATUS)
        if not codes or self.loop.is_closed():
            return
        keys = [status_key(c) for c in sorted(codes)]
        if self.direct is not None and not self.cache.pending_invalidations:
            try:
                self.direct.invalidate(keys)
                return
            except BackendUnavailableError:
                pass  # the resilient path below records them as pending
        future = asyncio.run_coroutine_threadsafe(
            self.cache.invalidate(keys), self.loop
        )
        try:
            future.result(timeout=5)
        except Exception:
            # The resilient cache keeps what it could not send and re-sends it
            # before serving again; a failure here must not stop projecting.
            log.exception("cache_refresh_failed")


class OutsideChanges:
    """Read-model changes made by other processes (``projections retry`` and
    ``rebuild`` from the CLI), applied to this process's public-status cache and
    live subscriptions; ``poll`` runs on the embedded projector's thread after
    each pass, so a lookup after the CLI command returns is fresh within one
    pass (:data:`FOLLOW_SECONDS`), not after the cache's TTL."""

    def __init__(
        self,
        store: ReadStore,
        cache: ResilientLookupCache | None,
        feed: StatusFeed,
        loop: asyncio.AbstractEventLoop,
        pages_changed: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._cache = cache
        self._feed = feed
        self._loop = loop
        self._pages_changed = pages_changed
        """Authenticated pages cached by the workers are void (SQLite: a
        generation bump; see adapters.cache.pages)."""
        self._last = change_log.head(store)

    def poll(self) -> None:
        changes = change_log.since(self._store, self._last)
        if not changes:
            return
        self._last = changes[-1].id
        if self._pages_changed is not None and any(
            c.read_model in PAGE_READ_MODELS for c in changes
        ):
            self._pages_changed()
        shown = [c for c in changes if c.read_model == PUBLIC_STATUS]
        if not shown or self._loop.is_closed():
            return
        everything = any(c.keys is None for c in shown)
        codes = set().union(*(c.keys or () for c in shown))
        if self._cache is not None:
            cache = self._cache
            keys = [status_key(c) for c in sorted(codes)]
            refresh = cache.clear() if everything else cache.invalidate(keys)
            try:
                asyncio.run_coroutine_threadsafe(refresh, self._loop).result(timeout=5)
            except Exception:
                log.exception("cache_refresh_failed")
        if everything:
            self._loop.call_soon_threadsafe(self._feed.publish_all)
        else:
            self._loop.call_soon_threadsafe(self._feed.publish, codes)


class LoopThread:
    """An event loop of its own for a synchronous process (``motcua projector``)
    that uses the asynchronous cache clients."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="motcua-loop", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


class ChangeListener:
    """LISTENs for the projector's NOTIFY on PostgreSQL and feeds the StatusFeed.

    A thread blocked in the server's notifications (no polling); reconnects
    after a lost connection. A NOTIFY lost while reconnecting only delays an
    update: subscribers re-read the read model when they wake.

    With ``cache`` (this worker's own lookup cache) it also invalidates the
    changed codes there, and every ``cache.fresh_for / 4`` sends itself a
    *barrier* NOTIFY on a channel of its own: PostgreSQL delivers
    notifications in commit order, so when the barrier comes back every change
    committed before it was sent has been applied (``cache.caught_up``). The
    cache is cleared at each (re)connection, since what was sent meanwhile is
    lost, and is not served until the first barrier returns.
    """

    def __init__(
        self,
        url: str,
        feed: StatusFeed,
        loop: asyncio.AbstractEventLoop,
        *,
        cache: LocalLookupCache | None = None,
        pages: PageCache | None = None,
    ) -> None:
        self._url = url
        self._feed = feed
        self._loop = loop
        self._cache = cache
        self._pages = pages
        """Served only while ``cache`` is fresh (its barriers): cleared with it."""
        self._barrier_channel = f"motcua_barrier_{secrets.token_hex(8)}"
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="motcua-listen", daemon=True
        )
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.Connection.connect(self._url, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("LISTEN {}").format(sql.Identifier(CHANGES_CHANNEL))
                    )
                    if self._cache is None:
                        self.listening.set()
                        while not self._stop.is_set():
                            for notify in conn.notifies(timeout=1.0):
                                self._deliver(notify.payload)
                    else:
                        self._listen_with_barriers(conn, self._cache)
            except psycopg.Error:
                self.listening.clear()
                self._lost()
                log.warning("change_listener_reconnecting")
                self._stop.wait(1.0)
        self._lost()

    def _lost(self) -> None:
        if self._cache is not None:
            self._cache.lost()
        if self._pages is not None:
            self._pages.clear()

    def _listen_with_barriers(
        self, conn: psycopg.Connection[Any], cache: LocalLookupCache
    ) -> None:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._barrier_channel)))
        cache.clear()  # whatever changed before LISTEN was not heard
        if self._pages is not None:
            self._pages.clear()
        self.listening.set()
        every = cache.fresh_for / 4
        sent: dict[str, float] = {}
        number = 0
        while not self._stop.is_set():
            number += 1
            sent[str(number)] = time.monotonic()
            conn.execute(
                "SELECT pg_notify(%s, %s)", (self._barrier_channel, str(number))
            )
            for notify in conn.notifies(timeout=every):
                if notify.channel == self._barrier_channel:
                    at = sent.pop(notify.payload, None)
                    if at is not None:
                        cache.caught_up(at)
                else:
                    self._deliver(notify.payload)

    def _deliver(self, payload: str) -> None:
        try:
            raw = json.loads(payload)
            changes = {k: None if v is None else set(v) for k, v in raw.items()}
        except (ValueError, AttributeError, TypeError):
            log.warning("change_payload_ignored", payload=payload[:200])
            return
        if self._pages is not None:
            self._pages.changed(changes)
        if PUBLIC_STATUS in changes and changes[PUBLIC_STATUS] is None:
            # Everything (a rebuild's swap): drop it all, wake every subscriber.
            if self._cache is not None:
                self._cache.clear()
            if not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self._feed.publish_all)
            return
        known = {k: v for k, v in changes.items() if v is not None}
        codes = known.get(PUBLIC_STATUS)
        if codes and self._cache is not None:
            self._cache.invalidate(status_key(c) for c in codes)
        self._feed.publish_from_thread(self._loop, known)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def notify_everything_changed(url: str, read_model: str = PUBLIC_STATUS) -> None:
    """After a rebuild's swap of ``read_model``: every API worker drops what
    it cached from it (the public lookup: its own cache, the shared one is
    cleared by :class:`ProjectorHooks`; authenticated pages: theirs)."""
    with psycopg.Connection.connect(url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_notify(%s, %s)",
            (CHANGES_CHANNEL, json.dumps({read_model: None})),
        )


class ProjectorHooks:
    """What a projector outside the API process must do besides projecting:
    invalidate the shared (Redis) public-status cache before each commit, exactly
    as the embedded projector does. Without Redis there is no shared cache."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loop: LoopThread | None = None
        self._caches: CacheBackends | None = None
        self._drain: Future[None] | None = None
        self._tombstones: RedisTombstones | None = None

    def __enter__(self) -> ProjectorHooks:
        if self._settings.redis_url is not None:
            self._loop = LoopThread()
            self._caches = build_cache_backends(self._settings, CollectorRegistry())
            self._tombstones = RedisTombstones(self._settings.redis_url)
        return self

    def attach(self, projector: Projector) -> None:
        if self._loop is not None and self._caches is not None:
            cache = self._caches.lookup_cache
            projector.listeners.append(
                CacheInvalidator(cache, self._loop.loop, self._tombstones)
            )
            self._drain = asyncio.run_coroutine_threadsafe(
                _drain_pending(cache), self._loop.loop
            )

    def clear_lookup_cache(self) -> None:
        """After a rebuild's swap: anything cached may be older than the new copy."""
        if self._loop is not None and self._caches is not None:
            self._loop.run(self._caches.lookup_cache.clear())
        if self._settings.is_postgres:
            notify_everything_changed(self._settings.database_url)

    def rebuilt(self, read_model: str) -> None:
        """After a rebuild's swap: the API workers' caches of that read model
        (on SQLite they read the change log instead)."""
        if read_model == PUBLIC_STATUS:
            self.clear_lookup_cache()
        elif self._settings.is_postgres:
            notify_everything_changed(self._settings.database_url, read_model)

    def __exit__(self, *_: object) -> None:
        if self._drain is not None:
            self._drain.cancel()
        if self._tombstones is not None:
            self._tombstones.close()
        if self._loop is not None and self._caches is not None:
            try:
                self._loop.run(self._caches.close())
            finally:
                self._loop.close()


async def _drain_pending(cache: ResilientLookupCache, every: float = 1.0) -> None:
    """Invalidations that could not reach Redis are re-sent once it is back, even
    when no new batch comes: the API processes cannot know of them."""
    while True:
        await asyncio.sleep(every)
        if cache.pending_invalidations:
            await cache.invalidate([])  # re-sends what is pending when usable
