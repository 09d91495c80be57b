"""Read-model projections: pure translators from events to SQL writes.

A projection never reads the write side and never does I/O beyond the ``Sql``
it is handed, which belongs to the batch transaction that also moves its
tracking position — so a crash neither skips nor double-applies an event.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache, singledispatchmethod
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic

from projections.ports import Sql


class Projection:
    """Base class; subclasses register handlers on ``apply``."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    """Bump when tables or handlers change: the read model is then rebuilt."""
    topics: frozenset[str] = frozenset()
    """Topics of the events its handlers take (``handled_topics``), never listed by hand."""
    tables: ClassVar[dict[str, str]]
    """Logical table name → portable column definitions."""
    indexes: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(logical table, column list) pairs."""
    reads_personal_data: ClassVar[bool] = True
    """False for a read model none of whose rows depends on sealed personal data
    (citizens' ids as actors, applicants, free text): a projector whose read
    models all say so decodes those values as erased, without opening them
    (a test checks the read model is the same either way)."""
    reads_actors: ClassVar[bool] = True
    """False for a read model none of whose rows depends on who acted (an
    actor's id: a citizen's is sealed): a projector whose read models all say
    so reads those ids as erased without opening them; roles, agencies and
    departments are read as always."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.topics = handled_topics(cls)

    def __init__(self, suffix: str = "") -> None:
        # Again now that every module is imported: an event class defined after
        # this read model's class still reaches the handler of its base.
        self.topics = handled_topics(type(self))
        self.suffix = suffix
        self._handlers: dict[type, Callable[[Any, Sql], None]] = {}
        self.changed: set[str] = set()
        """Keys (for public status: dossier codes) the current batch changed."""

    @property
    def tracking_name(self) -> str:
        return self.name + self.suffix

    def table(self, logical: str) -> str:
        return f"rm_{self.name}_{logical}{self.suffix}"

    def create(self, sql: Sql) -> None:
        for logical, columns in self.tables.items():
            sql.execute(f"CREATE TABLE IF NOT EXISTS {self.table(logical)} ({columns})")
        for logical, columns in self.indexes:
            index = f"ix_{uuid.uuid4().hex[:12]}"
            sql.execute(f"CREATE INDEX {index} ON {self.table(logical)} ({columns})")

    def drop(self, sql: Sql) -> None:
        for logical in self.tables:
            sql.execute(f"DROP TABLE IF EXISTS {self.table(logical)}")

    def rows(self, sql: Sql) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table in a stable order (for checksums and tests)."""
        return {
            logical: sql.query(f"SELECT * FROM {self.table(logical)} ORDER BY 1, 2")
            for logical in self.tables
        }

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        """Before a batch: load what its events will change (see ``projections.rows``)."""

    def load_batch(self, sql: Sql, originators: set[str]) -> Callable[[], None]:
        """``begin_batch`` in two steps: send its reads, and (calling the
        result) take their rows. The runtime sends every read model's reads
        before it waits for any, so a batch's loads share one round trip."""
        return functools.partial(self.begin_batch, sql, originators)

    def end_batch(self, sql: Sql) -> None:
        """After a batch, inside its transaction: write back what was folded."""

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Events a projection does not handle leave it unchanged."""

    def handler(self, event_type: type) -> Callable[[Any, Sql], None]:
        """``apply`` for events of ``event_type``, resolved once: looking up a
        ``singledispatchmethod`` builds a new wrapper on every access."""
        found = self._handlers.get(event_type)
        if found is None:
            declared = inspect.getattr_static(type(self), "apply")
            if isinstance(declared, singledispatchmethod):
                found = functools.partial(
                    declared.dispatcher.dispatch(event_type), self
                )
            else:  # a subclass wraps apply in a plain method
                found = self.apply
            self._handlers[event_type] = found
        return found


_KEYS: dict[int, str] = {}
_KEYS_KEPT = 8192


def key_of(originator_id: uuid.UUID | str) -> str:
    """An originator id as the text read models key rows by: made once per id
    and reused (``UUID.__str__`` formats 32 hex digits each time, and every
    read model of a batch, and the runtime, asks for each event's again). The
    text depends on the id's number only; bounded, so memory stays flat."""
    if type(originator_id) is not uuid.UUID:
        return str(originator_id)
    number = originator_id.int
    found = _KEYS.get(number)
    if found is None:
        if len(_KEYS) >= _KEYS_KEPT:
            _KEYS.clear()
        found = _KEYS[number] = str(originator_id)
    return found


def utc(moment: datetime | None) -> str | None:
    """Timestamps as UTC ISO text, so that text order is time order."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # local time: the cache below keys by instant
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return _utc_text(moment)


@lru_cache(maxsize=8192)
def _utc_text(moment: datetime) -> str:
    """Equal aware datetimes are one instant, so one text. A batch writes a
    dossier's same moments in every row that shows them (due, received,
    updated…) and the next batch writes them again."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local_iso(moment: str | None) -> datetime | None:
    """Stored UTC text back to an aware datetime in Vietnam time."""
    return datetime.fromisoformat(moment).astimezone(_VIETNAM) if moment else None


def local_time(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(_VIETNAM)


def handled_topics(projection: type[Projection]) -> frozenset[str]:
    """Topics of every event class a handler of ``projection.apply`` takes: the
    registered classes and all their subclasses (a handler for a base event
    takes each new event derived from it, with nothing else to update)."""
    declared = inspect.getattr_static(projection, "apply")
    if not isinstance(declared, singledispatchmethod):  # a wrapper of its base's
        inherited: frozenset[str] = getattr(projection, "topics", frozenset())
        return inherited
    handled = [t for t in declared.dispatcher.registry if t is not object]
    topics: set[str] = set()
    while handled:
        event_class = handled.pop()
        if issubclass(event_class, CanMutateAggregate):
            topics.add(get_topic(event_class))
        handled.extend(event_class.__subclasses__())
    return frozenset(topics)
