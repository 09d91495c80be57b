"""Batched projection runtime: many events per transaction, exactly once.

The library's ProjectionRunner commits once per event (~1.6k events/s); here a
batch of notifications is applied to every interested read model and all their
tracking positions move in the same transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import Application

from projections.base import Projection
from projections.ports import BufferedSql, ReadStore, Sql

TRACKING = "rm_tracking"
log = structlog.get_logger("projections")


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    log_position: int

    @property
    def lag(self) -> int:
        return max(self.log_position - self.position, 0)


def ensure_tracking(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, "
        "position BIGINT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)"
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Projector:
    """Follows one application's notification log into a set of read models."""

    def __init__(
        self,
        app: Application[UUID],
        store: ReadStore,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
    ) -> None:
        self.app = app
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self._topics = sorted(set().union(*(p.topics for p in self.projections)))
        self._by_topic: dict[str, list[Projection]] = {}
        for projection in self.projections:
            for topic in projection.topics:
                self._by_topic.setdefault(topic, []).append(projection)
        self._advanced = threading.Condition()
        self.listeners: list[Callable[[dict[str, set[str]]], None]] = []
        """Called inside each batch's transaction, just before it commits, with the
        keys each read model changed; an exception aborts the batch."""
        self.setup()

    def setup(self) -> None:
        """Create tables; retried when another process is creating them too."""
        for attempt in range(8):
            try:
                self._setup()
                return
            except Exception as error:
                racing = any(
                    h in str(error) for h in ("already exists", "concurrently")
                )
                if attempt == 7 or not racing:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _setup(self) -> None:
        """Create tables; a read model whose version changed is rebuilt from zero."""
        with self.store.transaction() as sql:
            ensure_tracking(sql)
            known: dict[str, int] = dict(
                sql.query(f"SELECT name, version FROM {TRACKING}")
            )
            for projection in self.projections:
                stored = known.get(projection.tracking_name)
                if stored is not None and stored != projection.version:
                    log.warning(
                        "read_model_outdated",
                        name=projection.name,
                        stored=stored,
                        version=projection.version,
                    )
                    projection.drop(sql)
                    sql.execute(
                        f"DELETE FROM {TRACKING} WHERE name = ?",
                        (projection.tracking_name,),
                    )
                    stored = None
                if stored is None:
                    projection.create(sql)
                    sql.execute(
                        f"INSERT INTO {TRACKING} (name, position, version, updated_at) "
                        "VALUES (?, 0, ?, ?)",
                        (projection.tracking_name, projection.version, _now()),
                    )

    def positions(self, sql: Sql, *, lock: bool = False) -> dict[str, int]:
        names = [p.tracking_name for p in self.projections]
        marks = ", ".join("?" for _ in names)
        query = f"SELECT name, position FROM {TRACKING} WHERE name IN ({marks})"
        if lock and sql.dialect == "postgres":
            query += " FOR UPDATE"
        return {name: int(position) for name, position in sql.query(query, names)}

    def step(self, limit: int | None = None) -> int:
        """Apply one batch; returns how many notifications it covered."""
        for projection in self.projections:
            projection.changed.clear()
        with self.store.batch() as sql:
            count = self._apply_batch(BufferedSql(sql), limit or self.batch_size)
            changes = {p.name: set(p.changed) for p in self.projections if p.changed}
            # Before the commit: a cache cleared (with a tombstone against
            # re-fills) before the new rows are visible is never stale after.
            if changes:
                for listener in self.listeners:
                    listener(changes)
        return count

    def _apply_batch(self, sql: BufferedSql, limit: int) -> int:
        positions = self.positions(sql, lock=True)
        start = min(positions.values())
        head = self.app.recorder.max_notification_id() or 0
        if head <= start:
            return 0
        notifications = self.app.recorder.select_notifications(
            start=start,
            limit=limit,
            stop=head,
            topics=self._topics,
            inclusive_of_start=False,
        )
        originators = {str(n.originator_id) for n in notifications}
        for projection in self.projections:
            projection.begin_batch(sql, originators)
        mapper = self.app.mapper
        for notification in notifications:
            interested = self._by_topic.get(notification.topic, ())
            wanting = [
                p for p in interested if notification.id > positions[p.tracking_name]
            ]
            if not wanting:
                continue
            event: Any = mapper.to_domain_event(notification)
            for projection in wanting:
                projection.apply(event, sql)
        for projection in self.projections:
            projection.end_batch(sql)
        sql.flush()  # the deferred appends, inside the batch's transaction
        # A batch that reached the head also passes the events no read model
        # wants (e.g. code index events), so lag can reach 0 and wait() returns.
        last = notifications[-1].id if len(notifications) == limit else head
        sql.executemany(
            f"UPDATE {TRACKING} SET position = ?, updated_at = ? WHERE name = ?",
            [(last, _now(), name) for name, pos in positions.items() if pos < last],
        )
        return len(notifications)

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        total = 0
        while True:
            count = self.step()
            if not count:
                break
            total += count
            if progress is not None:
                progress(count)
        with self._advanced:
            self._advanced.notify_all()
        return total

    def status(self) -> list[ProjectionStatus]:
        log_position = self.app.recorder.max_notification_id() or 0
        with self.store.transaction() as sql:
            rows = {
                name: (int(position), int(version))
                for name, position, version in sql.query(
                    f"SELECT name, position, version FROM {TRACKING}"
                )
            }
        return [
            ProjectionStatus(
                p.name,
                rows.get(p.tracking_name, (0, 0))[1],
                rows.get(p.tracking_name, (0, 0))[0],
                log_position,
            )
            for p in self.projections
        ]

    def position(self) -> int:
        with self.store.transaction() as sql:
            positions = self.positions(sql)
        return min(positions.values()) if positions else 0

    def wait(self, notification_id: int, timeout: float = 5.0) -> bool:
        """Block until every read model has applied ``notification_id``."""
        deadline = datetime.now(UTC).timestamp() + timeout
        while self.position() < notification_id:
            remaining = deadline - datetime.now(UTC).timestamp()
            if remaining <= 0:
                return False
            with self._advanced:
                self._advanced.wait(min(remaining, 0.05))
        return True

    def run_forever(
        self, stop: threading.Event, wakeup: Callable[[float], None] | None = None
    ) -> None:
        """Follow the log until ``stop`` is set; ``wakeup`` blocks until new events."""
        while not stop.is_set():
            try:
                self.catch_up()
            except Exception:
                log.exception("projection_batch_failed")
                stop.wait(1.0)
                continue
            if wakeup is not None:
                wakeup(1.0)
            else:
                stop.wait(0.2)


class Doorbell:
    """Wakes a follower when this process has written new events."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self, _position: int = 0) -> None:
        self._event.set()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        self._event.clear()
