"""Each API worker's own cache of whole answers to authenticated pages.

A citizen's ``myDossiers`` / ``dossier(code:)`` and an officer's ``worklist``
cost 10-25 times a bare JSON route when built per request (reads, row
building, GraphQL completion), yet they change only when the projector
commits a change to their dossiers. This cache keeps the response bytes per
(principal, language, request body) and drops them when such a change
arrives:

* a page belongs to one *audience*: ``citizen:<owner>`` (the canonical
  applicant id: the citizen read model's change keys) or ``unit:<scope>``
  (the worklist's agency scope); a change of the worklist read model names
  the units a dossier had before and after it (holder, competent, receiving,
  involved), and drops the pages of every scope whose subtree pattern — the
  same ``LIKE`` pattern the worklist query uses — matches one of them;
* a change of agency names (the ``catalogue`` read model) drops every
  citizen page (they show ``agencyName``); a read model rebuilt as a whole
  (``None`` keys) drops everything.

A fill carries the *ticket* taken before the read model was read: a change
heard after the ticket for the page's audience voids the fill, so a page read
before a commit is never kept after that commit's invalidation (as
:class:`~adapters.cache.local.LocalLookupCache`). Pages are served only while
``usable()`` says the change channel is caught up: on PostgreSQL the
listener's last barrier is younger than ``MOTCUA_LOOKUP_LOCAL_CACHE_MS``. On
SQLite (no channel, one projecting worker) the projector publishes the same
change keys through ``adapters.cache.page_changes`` and each worker applies
them before it reads or fills a page (``follow``), so a change drops the
same pages as on PostgreSQL, within no bound at all. (A page may instead
carry a ``generation`` read before the read and be served only while it is
unchanged — exact, but any batch drops every page; no longer wired.)
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from adapters.workers import Generation
from domain.dossier_values import canonical_applicant_id
from domain.errors import DomainError
from projections.worklist import subtree_pattern

CITIZEN = "citizen"
WORKLIST = "worklist"
CATALOGUE = "catalogue"
PAGE_READ_MODELS = frozenset({CITIZEN, WORKLIST, CATALOGUE})
"""The read models whose changes reach cached pages (their change keys)."""

PageKey = tuple[object, ...]


@dataclass(frozen=True)
class Page:
    body: bytes
    accessed: tuple[str, ...]
    """Dossier ids the page shows an officer: recorded again on every hit."""
    audience: str
    stamp: int
    size: int


@dataclass(frozen=True)
class Ticket:
    number: int
    stamp: int


def citizen_audience(owner: str) -> str:
    return f"{CITIZEN}:{owner}"


def unit_audience(scope: str) -> str:
    return f"{WORKLIST}:{scope}"


@lru_cache(maxsize=4096)
def _scope_matcher(scope: str) -> re.Pattern[str] | None:
    """The worklist query's ``LIKE`` pattern of ``scope`` as a regular
    expression (case-insensitive like SQLite's: dropping more is harmless)."""
    try:
        pattern = subtree_pattern(scope)
    except DomainError:
        return None
    parts = ("." if c == "_" else ".*" if c == "%" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _kind(key: PageKey) -> str:
    return str(key[0]) if key else ""


def _canonical(owner: str) -> str:
    try:
        return canonical_applicant_id(owner)
    except (DomainError, ValueError):
        return owner


class PageCache:
    """Thread-safe: filled and read on the event loop, invalidated from the
    change listener's thread (PostgreSQL) or the projector's (SQLite)."""

    def __init__(
        self,
        *,
        max_entries: int,
        max_bytes: int,
        usable: Callable[[], bool] = lambda: True,
        generation: Generation | None = None,
        max_changes: int = 10_000,
        follow: Callable[[PageCache], None] | None = None,
    ) -> None:
        if max_entries <= 0 or max_bytes <= 0:
            raise ValueError("a page cache needs room")
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._usable = usable
        self._generation = generation
        self._follow = follow
        """Applies changes published elsewhere before a page is read or filled
        (SQLite: ``adapters.cache.page_changes``)."""
        self._pages: OrderedDict[PageKey, Page] = OrderedDict()
        self._by_audience: dict[str, set[PageKey]] = {}
        self._bytes = 0
        self._number = 0
        self._changes: deque[tuple[int, str, str]] = deque()
        """(number, kind, key) of recent changes, for fills with older tickets."""
        self._max_changes = max_changes
        self._floor = 0
        """Fills with an older ticket are void (a clear, or a forgotten change)."""
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.counts: Counter[tuple[str, str]] = Counter()
        """``(outcome, page kind)`` → how many: ``hit``, ``miss`` (of which
        ``stale``: kept, but the generation moved or the channel is behind;
        ``joined``: served after waiting for another request's build),
        ``filled``, ``void`` (a fill refused: a change came after its ticket),
        ``invalidated`` (a kept page dropped by a change), ``evicted`` (by the
        bounds). The page kind is the key's first part (the root field)."""

    def __len__(self) -> int:
        return len(self._pages)

    def usable(self) -> bool:
        return self._usable()

    @property
    def size(self) -> int:
        return self._bytes

    def _stamp(self) -> int:
        return 0 if self._generation is None else self._generation.value()

    def get(self, key: PageKey, *, joined: bool = False) -> Page | None:
        """``joined``: asked again by a request that missed and waited for
        another's build (counted as ``joined`` when found, else not again)."""
        if self._follow is not None:
            self._follow(self)
        page = self._pages.get(key)
        if page is None or page.stamp != self._stamp() or not self._usable():
            if joined:
                return None
            self.misses += 1
            self.counts["miss", _kind(key)] += 1
            if page is not None:  # kept, but a change may have come since
                self.counts["stale", _kind(key)] += 1
            return None
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
        if joined:
            self.counts["joined", _kind(key)] += 1
        else:
            self.hits += 1
            self.counts["hit", _kind(key)] += 1
        return page

    def ticket(self) -> Ticket:
        """Take before reading the read models; pass to :meth:`fill`."""
        if self._follow is not None:
            self._follow(self)
        return Ticket(self._number, self._stamp())

    def fill(
        self,
        key: PageKey,
        ticket: Ticket,
        audience: str,
        body: bytes,
        accessed: tuple[str, ...] = (),
    ) -> bool:
        # The key holds the request body: counted, or large bodies would
        # hide their size in the keys.
        size = len(body) + 64 * (len(accessed) + len(key))
        size += sum(len(part) for part in key if isinstance(part, bytes | str))
        if size > self._max_bytes:
            return False
        if self._follow is not None:
            self._follow(self)
        with self._lock:
            if ticket.number < self._floor or self._changed_since(ticket, audience):
                self.counts["void", _kind(key)] += 1
                return False
            self._drop(key)
            self._pages[key] = Page(body, accessed, audience, ticket.stamp, size)
            self._by_audience.setdefault(audience, set()).add(key)
            self._bytes += size
            self.counts["filled", _kind(key)] += 1
            while len(self._pages) > self._max_entries or self._bytes > self._max_bytes:
                self._drop(next(iter(self._pages)), "evicted")
            return True

    def _changed_since(self, ticket: Ticket, audience: str) -> bool:
        kind, _, who = audience.partition(":")
        for number, changed_kind, changed in reversed(self._changes):
            if number <= ticket.number:
                break
            if changed_kind == CATALOGUE and kind == CITIZEN:
                return True
            if changed_kind != kind:
                continue
            if kind == CITIZEN and changed == who:
                return True
            if kind == WORKLIST:
                matcher = _scope_matcher(who)
                if matcher is None or matcher.fullmatch(changed):
                    return True
        return False

    def _drop(self, key: PageKey, why: str | None = None) -> None:
        page = self._pages.pop(key, None)
        if page is None:
            return
        if why is not None:
            self.counts[why, _kind(key)] += 1
        self._bytes -= page.size
        keys = self._by_audience.get(page.audience)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_audience[page.audience]

    def changed(self, changes: Mapping[str, Iterable[str] | None]) -> None:
        """Keys the projector committed (``{read model: keys}``; ``None`` keys:
        the whole read model was replaced)."""
        with self._lock:
            for read_model, keys in changes.items():
                if read_model not in PAGE_READ_MODELS:
                    continue
                if keys is None:
                    self._clear()
                    continue
                for key in keys:
                    self._number += 1
                    if read_model == CITIZEN:
                        key = _canonical(key)
                        self._drop_audience(citizen_audience(key))
                    elif read_model == CATALOGUE:
                        for audience in list(self._by_audience):
                            if audience.startswith(f"{CITIZEN}:"):
                                self._drop_audience(audience)
                    else:
                        self._drop_units(key)
                    self._changes.append((self._number, read_model, key))
            while len(self._changes) > self._max_changes:
                forgotten, _, _ = self._changes.popleft()
                self._floor = max(self._floor, forgotten)

    def _drop_audience(self, audience: str) -> None:
        for key in list(self._by_audience.get(audience, ())):
            self._drop(key, "invalidated")

    def _drop_units(self, unit: str) -> None:
        prefix = f"{WORKLIST}:"
        for audience in list(self._by_audience):
            if not audience.startswith(prefix):
                continue
            matcher = _scope_matcher(audience[len(prefix) :])
            if matcher is None or matcher.fullmatch(unit):
                self._drop_audience(audience)

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self._number += 1
        self._floor = self._number
        for key in self._pages:
            self.counts["invalidated", _kind(key)] += 1
        self._pages.clear()
        self._by_audience.clear()
        self._changes.clear()
        self._bytes = 0

    def snapshot(self) -> dict[str, object]:
        return {
            "usable": self.usable(),
            "entries": len(self._pages),
            "bytes": self._bytes,
            "hits": self.hits,
            "misses": self.misses,
        }


class PageCacheCollector(Collector):
    """The cache's counts on ``/metrics`` (read at scrape time: the request
    path only adds to a ``Counter``). Each worker answers for itself, so the
    worker's pid comes along to tell the answers apart."""

    def __init__(self, pages: PageCache) -> None:
        self._pages = pages

    def collect(self) -> Iterator[Metric]:
        counts = CounterMetricFamily(
            "motcua_page_cache",
            "Authenticated pages: hit, miss (stale: kept but outdated; joined: "
            "served by another request's build), filled, void (fill refused by "
            "a later change), invalidated, evicted.",
            labels=("outcome", "page"),
        )
        for (outcome, kind), value in sorted(self._pages.counts.copy().items()):
            counts.add_metric((outcome, kind), value)
        yield counts
        yield GaugeMetricFamily(
            "motcua_page_cache_entries", "Pages kept now.", value=len(self._pages)
        )
        yield GaugeMetricFamily(
            "motcua_page_cache_bytes", "Bytes kept now.", value=self._pages.size
        )
        yield GaugeMetricFamily(
            "motcua_worker_pid", "This API worker's process id.", value=os.getpid()
        )
