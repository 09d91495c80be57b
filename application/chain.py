"""Per-stream hash chain, written with each event (tamper evidence).

Design (least invasive, old events stay readable): the chain lives in the
stored ``state`` bytes as a 68-byte prefix ::

    MAGIC (4) | prev (32) | own (32) | payload

``payload`` is exactly what the mapper made of the event before (JSON,
possibly compressed or encrypted), ``prev`` is ``own`` of the same
aggregate's previous event (32 zero bytes for version 1) and ``own`` is
``event_hash(prev, originator_id, version, topic, payload)``. No column,
table or event class changes: the mapper drops the prefix before decoding,
so every reader that decodes through ``app.mapper`` (repository, projector,
CLI) is unchanged, and events stored before the chain (plain JSON, first
byte ``{``) are read as before. ``MAGIC`` starts with a NUL byte, which
neither JSON nor zlib output starts with.

No extra read on the write path: the event store remembers, per aggregate,
the version and ``own`` hash of the last event it read or wrote
(``ChainHeads``), the same way the application keeps the aggregate itself;
snapshots carry the link of the event they were taken at. Only an aggregate
this process has not read since (evicted from the bounded map) costs one
read of its last stored event.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    EventStore,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
)

MAGIC = b"\x00mc1"
HASH_BYTES = 32
PREFIX_BYTES = len(MAGIC) + 2 * HASH_BYTES
GENESIS = bytes(HASH_BYTES)
_DOMAIN = b"motcua.event.v1\x00"


def event_hash(
    prev: bytes, originator_id: object, version: int, topic: str, payload: bytes
) -> bytes:
    """The hash that links an event to its stream: covers the previous link,
    the event's identity and its stored payload (ciphertext when encrypted)."""
    digest = hashlib.sha256(_DOMAIN)
    digest.update(prev)
    digest.update(str(originator_id).encode())
    digest.update(b"\x00")
    digest.update(int(version).to_bytes(8, "big", signed=True))
    digest.update(topic.encode())
    digest.update(b"\x00")
    digest.update(payload)
    return digest.digest()


@dataclass(frozen=True)
class Envelope:
    """A stored state split into its chain fields (``None`` for old events)."""

    prev: bytes | None
    own: bytes | None
    payload: bytes

    @property
    def chained(self) -> bool:
        return self.own is not None


def open_state(state: bytes) -> Envelope:
    if state[:4] == MAGIC and len(state) >= PREFIX_BYTES:
        return Envelope(state[4:36], state[36:68], state[PREFIX_BYTES:])
    return Envelope(None, None, state)


def seal_state(prev: bytes, own: bytes, payload: bytes) -> bytes:
    return b"".join((MAGIC, prev, own, payload))


def link_of(stored: StoredEvent, prev: bytes | None) -> bytes | None:
    """The link of a stored event: its own hash if chained, else computed from
    ``prev`` (old, unchained events), ``None`` when ``prev`` is unknown."""
    envelope = open_state(stored.state)
    if envelope.own is not None:
        return envelope.own
    if prev is None:
        return None
    return event_hash(
        prev,
        stored.originator_id,
        stored.originator_version,
        stored.topic,
        envelope.payload,
    )


class ChainMapper(Mapper[UUID]):
    """The library's mapper, reading both chained and old stored states."""

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        state = stored_event.state
        if state[:4] == MAGIC:
            stored_event = StoredEvent(
                originator_id=stored_event.originator_id,
                originator_version=stored_event.originator_version,
                topic=stored_event.topic,
                state=state[PREFIX_BYTES:],
            )
        return super().to_domain_event(stored_event)


class ChainHeads:
    """Per aggregate: version and link of the last event this process saw."""

    def __init__(self, maxsize: int = 100_000) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, originator_id: object, version: int) -> bytes | None:
        if version == 0:
            return GENESIS
        with self._lock:
            found = self._items.get(str(originator_id))
        if found is not None and found[0] == version:
            return found[1]
        return None

    def put(self, originator_id: object, version: int, link: bytes) -> None:
        key = str(originator_id)
        with self._lock:
            current = self._items.get(key)
            if current is None or current[0] <= version:
                self._items[key] = (version, link)
                self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


class ChainedEventStore(EventStore[UUID]):
    """Writes each event with the link of its predecessor and its own hash."""

    def __init__(self, mapper: Mapper[UUID], recorder: Any, heads: ChainHeads) -> None:
        super().__init__(mapper, recorder)
        self.heads = heads

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        stored_events = self.chained(
            [self.mapper.to_stored_event(e) for e in domain_events]
        )
        notification_ids = self.recorder.insert_events(stored_events, **kwargs)
        recordings: list[Recording[UUID]] = []
        for s in stored_events:
            self.heads.put(s.originator_id, s.originator_version, s.state[36:68])
        if notification_ids:
            for d, s, n_id in zip(
                domain_events, stored_events, notification_ids, strict=True
            ):
                notification = Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=n_id,
                )
                recordings.append(Recording(d, notification))
        return recordings

    def chained(self, stored_events: list[StoredEvent]) -> list[StoredEvent]:
        links: dict[str, tuple[int, bytes]] = {}
        out: list[StoredEvent] = []
        for stored in stored_events:
            key = str(stored.originator_id)
            before = stored.originator_version - 1
            known = links.get(key)
            prev = known[1] if known and known[0] == before else None
            if prev is None:
                prev = self.heads.get(stored.originator_id, before)
            if prev is None:
                prev = self._read_link(stored.originator_id, before)
            own = event_hash(
                prev,
                stored.originator_id,
                stored.originator_version,
                stored.topic,
                stored.state,
            )
            links[key] = (stored.originator_version, own)
            out.append(
                StoredEvent(
                    originator_id=stored.originator_id,
                    originator_version=stored.originator_version,
                    topic=stored.topic,
                    state=seal_state(prev, own, stored.state),
                )
            )
        return out

    def _read_link(self, originator_id: Any, version: int) -> bytes:
        """The link of ``originator_id``'s event ``version``, from the store
        (one read of the last event; the whole stream only for old events)."""
        last = self.recorder.select_events(
            originator_id, lte=version, desc=True, limit=1
        )
        if last and last[0].originator_version == version:
            link = link_of(last[0], None)
            if link is not None:
                return link
        link = GENESIS
        for stored in self.recorder.select_events(originator_id, lte=version):
            computed = link_of(stored, link)
            assert computed is not None
            link = computed
        return link

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        stored_events = self.recorder.select_events(
            originator_id=originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )
        return self._remembering(originator_id, gt, desc, stored_events)

    def _remembering(
        self,
        originator_id: UUID,
        gt: int | None,
        desc: bool,
        stored_events: Sequence[StoredEvent],
    ) -> Iterator[DomainEventProtocol[UUID]]:
        link = None if desc else self.heads.get(originator_id, gt or 0)
        last = 0
        for stored in stored_events:
            if not desc:
                link = link_of(stored, link)
                last = stored.originator_version
            yield self.mapper.to_domain_event(stored)
        if link is not None and last:
            self.heads.put(originator_id, last, link)


class SnapshotStore(EventStore[UUID]):
    """Snapshots carry the link of the event they were taken at, so an
    aggregate loaded from a snapshot still knows its chain head."""

    def __init__(self, mapper: Mapper[UUID], recorder: Any, heads: ChainHeads) -> None:
        super().__init__(mapper, recorder)
        self.heads = heads

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        stored_events = []
        for event in domain_events:
            stored = self.mapper.to_stored_event(event)
            link = self.heads.get(stored.originator_id, stored.originator_version)
            if link is not None:
                stored = StoredEvent(
                    originator_id=stored.originator_id,
                    originator_version=stored.originator_version,
                    topic=stored.topic,
                    state=seal_state(GENESIS, link, stored.state),
                )
            stored_events.append(stored)
        self.recorder.insert_events(stored_events, **kwargs)
        return []

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        stored_events = self.recorder.select_events(
            originator_id=originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )
        for stored in stored_events:
            envelope = open_state(stored.state)
            if envelope.own is not None:
                self.heads.put(originator_id, stored.originator_version, envelope.own)
            yield self.mapper.to_domain_event(stored)
