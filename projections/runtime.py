"""Batched projection runtime: many events per transaction, exactly once.

The library's ProjectionRunner commits once per event (~1.6k events/s); here a
batch of notifications is applied to every interested read model and all their
tracking positions move in the same transaction.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Transcoder, Transcoding

from application.personal_data import SealedActor, unopened
from application.transcodings import event_decoder
from projections import change_log, dead_letters
from projections.base import Projection, key_of
from projections.dead_letters import Blocked, Counts, DeadLetter, describe
from projections.ports import BufferedSql, ReadStore, Sql, chunks

TRACKING = "rm_tracking"
CHANGES_CHANNEL = "motcua_read_model_changes"
"""PostgreSQL NOTIFY channel: the keys each committed batch changed, as JSON."""
_PAYLOAD_KEYS = 150  # NOTIFY payloads must stay under 8000 bytes
log = structlog.get_logger("projections")


class _ListenerFailedError(Exception):
    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def change_payloads(changes: dict[str, set[str]]) -> list[str]:
    return [
        json.dumps({name: list(part)})
        for name, keys in sorted(changes.items())
        for part in chunks(sorted(keys), _PAYLOAD_KEYS)
    ]


@dataclass(frozen=True)
class BatchTiming:
    """When each stage of one batch ended (``time.monotonic()``, system-wide on
    Linux, so comparable with another process's clock): where a change's time to
    readers goes."""

    woke: float | None
    """When the wait before this catch-up ended (a NOTIFY or the wait's
    timeout); None for the later batches of a catch-up, or without a wait."""
    started: float
    selected: float
    """Position lock and the new notifications read."""
    loaded: float
    """Dead-letter check and the involved read models' rows read."""
    applied: float
    """Handlers run and the writes sent."""
    published: float
    """Listeners (cache tombstones) done, NOTIFY sent."""
    committed: float
    notifications: int
    originators: tuple[str, ...]


class TimingsFile:
    """Appends each batch's timing to a file as one JSON line, flushed at once
    (a reader follows it while the projector runs)."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8", buffering=1)

    def __call__(self, timing: BatchTiming) -> None:
        self._file.write(json.dumps(asdict(timing)) + "\n")

    def close(self) -> None:
        self._file.close()


class RetryOutcome(NamedTuple):
    cleared: int
    """Letters applied now (failed or parked before)."""
    failing: int
    """Events that failed again; each keeps its originator's later events parked."""
    parked: int


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    log_position: int
    dead_letters: int = 0
    """Events that failed (each blocks its originator in this read model)."""
    parked: int = 0
    """Later events of those originators, waiting behind them."""

    @property
    def lag(self) -> int:
        return max(self.log_position - self.position, 0)


def ensure_tracking(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {TRACKING} (name TEXT PRIMARY KEY, "
        "position BIGINT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL)"
    )
    dead_letters.ensure_dead_letters(sql)
    change_log.ensure_change_log(sql)


def _log_query(events: str | None) -> str | None:
    """Notifications after the lowest tracked position, up to the head read in
    the same statement; every row carries the head (one row of NULLs but the
    head when nothing is new). Parameters: tracking names, topics, limit."""
    if events is None:
        return None
    return (
        f"WITH head AS (SELECT max(notification_id) AS id FROM {events}), "
        f"start AS (SELECT min(position) AS id FROM {TRACKING} WHERE name = ANY(?)) "
        "SELECT head.id, e.notification_id, e.originator_id, e.originator_version, "
        "e.topic, e.state FROM head CROSS JOIN start LEFT JOIN LATERAL ("
        "SELECT notification_id, originator_id, originator_version, topic, state "
        f"FROM {events} WHERE notification_id > start.id "
        "AND notification_id <= head.id AND topic = ANY(?) "
        "ORDER BY notification_id LIMIT ?) e ON true"
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _notification(
    position: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> Notification:
    """A ``Notification`` without its frozen dataclass ``__init__`` (one
    ``object.__setattr__`` per field: 3.3 → 1.3 µs per event, for every event
    of every batch); equal to the one it would build."""
    notification: Notification = object.__new__(Notification)
    vars(notification).update(
        id=position,
        originator_id=originator_id,
        originator_version=version,
        topic=topic,
        state=state,
    )
    return notification


def _unread(
    transcoder: Transcoder, projections: Sequence[Projection]
) -> dict[str, Transcoding] | None:
    """Personal data none of ``projections`` reads, decoded as erased without
    opening it (no key lookup, no decryption): all of it, or the actors' ids."""
    if not any(p.reads_personal_data for p in projections):
        return unopened(transcoder)
    if not any(p.reads_actors for p in projections):
        return {
            name: coding
            for name, coding in unopened(transcoder).items()
            if isinstance(coding, SealedActor)
        }
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is applied: its thousands of
    short-lived event objects would trigger dozens of collections that each
    walk the young objects (~7 % of a rebuild's CPU). What a batch leaves
    behind is collected after it; a batch is bounded, and so is what waits."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Projector:
    """Follows one application's notification log into a set of read models."""

    def __init__(
        self,
        app: Application[UUID],
        store: ReadStore,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        follow_every: float = 0.25,
    ) -> None:
        self.app = app
        self.follow_every = follow_every
        """Seconds at least between two runs of the other log followers: each
        run costs transactions and CPU that the next batch would wait for."""
        self.store = store
        self.projections = list(projections)
        self.batch_size = batch_size
        self._decode = event_decoder(
            app.mapper, _unread(app.mapper.transcoder, self.projections)
        )
        self._topics = sorted(set().union(*(p.topics for p in self.projections)))
        self._by_topic: dict[str, list[Projection]] = {}
        for projection in self.projections:
            for topic in projection.topics:
                self._by_topic.setdefault(topic, []).append(projection)
        self._advanced = threading.Condition()
        self.listeners: list[Callable[[dict[str, set[str]]], None]] = []
        """Called inside each batch's transaction, just before it commits, with the
        keys each read model changed; an exception aborts the batch."""
        self.committed: list[Callable[[dict[str, set[str]]], None]] = []
        """Called after each batch committed, with the same keys (live updates)."""
        self.on_dead_letter: list[Callable[[str], None]] = []
        """Called after a commit once per event a read model dead-lettered."""
        self._dead_lettered: list[str] = []
        self.followers: list[Callable[[], object]] = []
        """Other log followers run after each catch-up (e.g. the log sealer)."""
        self.timed: list[Callable[[BatchTiming], None]] = []
        """Called after each batch that covered notifications, with its stage times."""
        self._marks: dict[str, float] = {}
        self._woke: float | None = None
        self._originators: tuple[str, ...] = ()
        self.setup()
        self._log = _log_query(store.events_table(app.recorder))
        # What exists now (modules, the application, its caches) lives as long
        # as the process: out of the collector's reach, a full collection after
        # a batch walks what batches made instead of the whole heap (three of
        # them were a third of a small group's rebuild). Unreachable objects
        # are still freed by their reference counts.
        gc.freeze()

    def setup(self) -> None:
        """Create tables (one process at a time: projector groups start
        together); a read model whose version changed is rebuilt from zero."""
        with self.store.schema() as sql:
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
                    dead_letters.clear(sql, projection.tracking_name)
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
        """Apply one batch; returns how many notifications it covered.

        The fast path applies the whole batch in one pipelined transaction. If
        anything in it fails, the batch is rolled back and applied again one
        event and read model at a time, each in a savepoint: what fails then is
        dead-lettered and everything else in the batch is kept.
        """
        limit = limit or self.batch_size
        self._clear_changes()
        self._dead_lettered.clear()
        self._marks = {"started": time.monotonic()}
        try:
            with self.store.batch() as sql, _collector_paused():
                buffered = BufferedSql(sql)
                count = self._apply_batch(buffered, limit)
                changes = self._publish(buffered)
        except _ListenerFailedError as failed:
            raise failed.cause from None
        except Exception as error:
            if self.store.is_transient(error):
                raise
            log.warning("projection_batch_isolating", error=describe(error))
            self._clear_changes()
            self._marks = {"started": self._marks["started"]}
            try:
                with self.store.transaction() as sql:
                    count = self._apply_isolated(sql, limit)
                    changes = self._publish(sql)
            except _ListenerFailedError as failed:
                raise failed.cause from None
        self._mark("committed")
        self._committed(changes)
        if count:
            self._time(count)
        return count

    def _mark(self, stage: str) -> None:
        self._marks[stage] = time.monotonic()

    def _time(self, count: int) -> None:
        if not self.timed:
            return
        marks = self._marks
        end = marks["committed"]
        selected = marks.get("selected", end)
        loaded = marks.get("loaded", selected)
        applied = marks.get("applied", loaded)
        timing = BatchTiming(
            woke=self._woke,
            started=marks["started"],
            selected=selected,
            loaded=loaded,
            applied=applied,
            published=marks.get("published", applied),
            committed=end,
            notifications=count,
            originators=self._originators,
        )
        self._woke = None
        for hook in self.timed:
            try:
                hook(timing)
            except Exception:
                log.exception("batch_timing_failed")

    def _clear_changes(self) -> None:
        for projection in self.projections:
            projection.changed.clear()

    def _publish(self, sql: Sql) -> dict[str, set[str]]:
        """Before the commit: a cache cleared (with a tombstone against re-fills)
        before the new rows are visible is never stale after. On PostgreSQL the
        changed keys also go out by NOTIFY, which is delivered only on commit."""
        changes = {p.name: set(p.changed) for p in self.projections if p.changed}
        if not changes:
            return changes
        for listener in self.listeners:
            try:
                listener(changes)
            except Exception as error:
                raise _ListenerFailedError(error) from error
        live = {p.name for p in self.projections if not p.suffix}
        if sql.dialect == "postgres" and live:
            # Only live read models: a rebuild's copy changes nothing readers see.
            shown = {name: keys for name, keys in changes.items() if name in live}
            for payload in change_payloads(shown):
                sql.execute("SELECT pg_notify(?, ?)", (CHANGES_CHANNEL, payload))
        self._mark("published")
        return changes

    def _committed(self, changes: dict[str, set[str]]) -> None:
        for read_model in self._dead_lettered:
            for hook in self.on_dead_letter:
                hook(read_model)
        self._dead_lettered.clear()
        if not changes:
            return
        for listener in self.committed:
            try:
                listener(changes)
            except Exception:
                log.exception("change_listener_failed")

    def _select(
        self, sql: Sql, limit: int
    ) -> tuple[dict[str, int], Sequence[Notification], int]:
        if self._log is not None:
            return self._select_in_store(sql, self._log, limit)
        positions = self.positions(sql, lock=True)
        start = min(positions.values())
        head = self.app.recorder.max_notification_id() or 0
        if head <= start:
            return positions, [], head
        notifications = self.app.recorder.select_notifications(
            start=start,
            limit=limit,
            stop=head,
            topics=self._topics,
            inclusive_of_start=False,
        )
        return positions, notifications, head

    def _select_in_store(
        self, sql: Sql, log_query: str, limit: int
    ) -> tuple[dict[str, int], Sequence[Notification], int]:
        """The position lock, the log's head and the notifications after the
        lowest position, sent together (with the batch's ``BEGIN``): one round
        trip where the recorder would take three on two connections. The head
        and the notifications come from one statement, so one snapshot."""
        names = [p.tracking_name for p in self.projections]
        locked = sql.query_later(
            f"SELECT name, position FROM {TRACKING} WHERE name = ANY(?) FOR UPDATE",
            (names,),
        )
        found = sql.query_later(log_query, (names, self._topics, limit))
        positions = {name: int(position) for name, position in locked()}
        rows = found()
        head = int(rows[0][0] or 0) if rows else 0
        notifications = [
            _notification(row[1], row[2], row[3], row[4], bytes(row[5]))
            for row in rows
            if row[1] is not None
        ]
        return positions, notifications, head

    def _apply_batch(self, sql: BufferedSql, limit: int) -> int:
        positions, notifications, head = self._select(sql, limit)
        self._mark("selected")
        if not notifications and head <= min(positions.values()):
            return 0
        originators = {key_of(n.originator_id) for n in notifications}
        self._originators = tuple(originators) if self.timed else ()
        names = [p.tracking_name for p in self.projections]
        # Every read is sent before any is waited for: one round trip for all.
        letters = dead_letters.blocked_later(sql, names, originators)
        involved = self._involved(notifications)
        loads = [p.load_batch(sql, keys) for p, keys in involved.items()]
        blocked = letters()
        for load in loads:
            load()
        self._mark("loaded")
        decode = self._decode
        for notification in notifications:
            wanting = self._wanting(notification, positions)
            if blocked and wanting:
                wanting = self._unblocked(sql, wanting, notification, blocked)
            if not wanting:
                continue
            event: Any = decode(notification)
            for projection in wanting:
                projection.handler(type(event))(event, sql)
        for projection in involved:
            projection.end_batch(sql)
        sql.flush()  # the deferred appends, inside the batch's transaction
        count = self._advance(sql, positions, notifications, head, limit)
        self._mark("applied")
        return count

    def _involved(
        self, notifications: Sequence[Notification]
    ) -> dict[Projection, set[str]]:
        """Each read model with events in the batch, and their originators: only
        those rows are loaded, and a read model with none costs no statement
        (a live batch of one event would otherwise load rows in all of them)."""
        involved: dict[Projection, set[str]] = {}
        for notification in notifications:
            interested = self._by_topic.get(notification.topic)
            if interested:
                origin = key_of(notification.originator_id)
                for projection in interested:
                    involved.setdefault(projection, set()).add(origin)
        return involved

    def _apply_isolated(self, sql: Sql, limit: int) -> int:
        positions, notifications, head = self._select(sql, limit)
        self._mark("selected")
        if not notifications and head <= min(positions.values()):
            return 0
        if self.timed:
            self._originators = tuple({str(n.originator_id) for n in notifications})
        blocked = self._blocked(sql, {str(n.originator_id) for n in notifications})
        decode = self._decode
        for notification in notifications:
            wanting = self._wanting(notification, positions)
            if blocked and wanting:
                wanting = self._unblocked(sql, wanting, notification, blocked)
            if not wanting:
                continue
            origin = str(notification.originator_id)
            try:
                event: Any = decode(notification)
            except Exception as error:
                for projection in wanting:
                    self._dead_letter(sql, projection, notification, error)
                    blocked[(projection.tracking_name, origin)] = notification.id
                continue
            for projection in wanting:
                failure = self._apply_one(sql, projection, notification, event)
                if failure is not None:
                    self._dead_letter(sql, projection, notification, failure)
                    blocked[(projection.tracking_name, origin)] = notification.id
        count = self._advance(sql, positions, notifications, head, limit)
        self._mark("applied")
        return count

    def _blocked(self, sql: Sql, originators: set[str]) -> Blocked:
        names = [p.tracking_name for p in self.projections]
        return dead_letters.blocked(sql, names, originators)

    def _unblocked(
        self,
        sql: Sql,
        wanting: list[Projection],
        notification: Notification,
        blocked: Blocked,
    ) -> list[Projection]:
        """The read models free to apply ``notification``; it is parked in the
        others, behind the earlier event of its originator they could not apply."""
        origin = str(notification.originator_id)
        free = []
        for projection in wanting:
            blocker = blocked.get((projection.tracking_name, origin))
            if blocker is None or blocker >= notification.id:
                free.append(projection)
                continue
            dead_letters.record(
                sql,
                projection.tracking_name,
                notification.id,
                notification.topic,
                origin,
                dead_letters.parked_reason(blocker),
                blocked_by=blocker,
            )
        return free

    def _apply_one(
        self,
        sql: Sql,
        projection: Projection,
        notification: Notification,
        event: Any,
    ) -> Exception | None:
        """One event into one read model in a savepoint; the failure, if any."""
        try:
            with sql.savepoint():
                buffered = BufferedSql(sql)
                projection.begin_batch(buffered, {str(notification.originator_id)})
                projection.apply(event, buffered)
                projection.end_batch(buffered)
                buffered.flush()
        except Exception as error:
            if self.store.is_transient(error):
                raise
            return error
        return None

    def _dead_letter(
        self,
        sql: Sql,
        projection: Projection,
        notification: Notification,
        error: BaseException,
    ) -> None:
        text = describe(error)
        log.error(
            "event_dead_lettered",
            read_model=projection.tracking_name,
            position=notification.id,
            topic=notification.topic,
            originator_id=str(notification.originator_id),
            error=text,
        )
        dead_letters.record(
            sql,
            projection.tracking_name,
            notification.id,
            notification.topic,
            str(notification.originator_id),
            text,
        )
        self._dead_lettered.append(projection.name)

    def _wanting(
        self, notification: Notification, positions: dict[str, int]
    ) -> list[Projection]:
        return [
            p
            for p in self._by_topic.get(notification.topic, ())
            if notification.id > positions[p.tracking_name]
        ]

    def _advance(
        self,
        sql: Sql,
        positions: dict[str, int],
        notifications: Sequence[Notification],
        head: int,
        limit: int,
    ) -> int:
        # A batch that reached the head also passes the events no read model
        # wants (e.g. code index events), so lag can reach 0 and wait() returns.
        last = notifications[-1].id if len(notifications) == limit else head
        sql.executemany(
            f"UPDATE {TRACKING} SET position = ?, updated_at = ? WHERE name = ?",
            [(last, _now(), name) for name, pos in positions.items() if pos < last],
        )
        return len(notifications)

    def retry(self, names: Sequence[str] | None = None) -> RetryOutcome:
        """Apply dead-lettered events again (after a fix): each originator's in log
        order, up to the first that still fails; the ones applied are cleared and
        the rest stay parked behind the one that failed."""
        chosen = {
            p.tracking_name: p
            for p in self.projections
            if names is None or p.name in names
        }
        self._clear_changes()
        self._dead_lettered.clear()
        cleared = failing = parked = 0
        with self.store.transaction() as sql:
            self.positions(sql, lock=True)  # not while a batch is being applied
            queues: dict[tuple[str, str], list[DeadLetter]] = {}
            for letter in dead_letters.listed(sql, list(chosen)):
                queues.setdefault((letter.read_model, letter.originator_id), [])
                queues[(letter.read_model, letter.originator_id)].append(letter)
            for (read_model, _), letters in queues.items():
                blocker: int | None = None
                for letter in letters:
                    if blocker is not None:
                        if letter.blocked_by != blocker:
                            dead_letters.repark(
                                sql, read_model, letter.position, blocker
                            )
                        parked += 1
                    elif self._retry_one(sql, chosen[read_model], letter):
                        cleared += 1
                    else:
                        blocker = letter.position
                        failing += 1
            changes = self._publish_retried(sql)
        self._dead_lettered.clear()  # already counted when first dead-lettered
        self._committed(changes)
        return RetryOutcome(cleared, failing, parked)

    def _retry_one(self, sql: Sql, projection: Projection, letter: DeadLetter) -> bool:
        """Apply one letter's event again; True when it is applied (or gone)."""
        found = self.app.recorder.select_notifications(
            start=letter.position, limit=1, stop=letter.position
        )
        if not found or found[0].id != letter.position:
            dead_letters.clear(sql, letter.read_model, letter.position)
            return True
        notification = found[0]
        failure: Exception | None
        try:
            event: Any = self._decode(notification)
        except Exception as error:
            failure = error
        else:
            failure = self._apply_one(sql, projection, notification, event)
        if failure is not None:
            self._dead_letter(sql, projection, notification, failure)
            return False
        dead_letters.clear(sql, letter.read_model, letter.position)
        log.info(
            "dead_letter_applied",
            read_model=letter.read_model,
            position=letter.position,
        )
        return True

    def _publish_retried(self, sql: Sql) -> dict[str, set[str]]:
        try:
            changes = self._publish(sql)
        except _ListenerFailedError as failed:
            raise failed.cause from None
        # Processes that cache read models (the API on SQLite) learn of changes
        # made outside their own projector from the change log.
        change_log.record(sql, changes)
        return changes

    def dead_letters(self, names: Sequence[str] | None = None) -> list[DeadLetter]:
        chosen = [
            p.tracking_name
            for p in self.projections
            if names is None or p.name in names
        ]
        with self.store.transaction() as sql:
            return dead_letters.listed(sql, chosen)

    def catch_up(
        self,
        progress: Callable[[int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Batches until the head; with ``stop``, also until it is set (checked
        between batches: a stopping projector does not finish a long catch-up)."""
        total = 0
        while stop is None or not stop.is_set():
            count = self.step()
            total += count
            if count and progress is not None:
                progress(count)
            # A batch short of the limit reached the head it saw: another
            # step would only find nothing (newer events ring the wakeup).
            if count < self.batch_size:
                break
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
            dead = dead_letters.counts(sql)
        return [
            ProjectionStatus(
                p.name,
                rows.get(p.tracking_name, (0, 0))[1],
                rows.get(p.tracking_name, (0, 0))[0],
                log_position,
                dead.get(p.tracking_name, Counts()).failing,
                dead.get(p.tracking_name, Counts()).parked,
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
        """Follow the log until ``stop`` is set; ``wakeup`` blocks until new events.

        The other log followers (the sealer's checkpoint signs) run on their own
        thread, so a new event waits for the read models only."""
        caught_up = threading.Event()
        finished = threading.Event()
        followers = threading.Thread(
            target=self._follow,
            args=(stop, finished, caught_up),
            name="motcua-log-followers",
            daemon=True,
        )
        followers.start()
        try:
            while not stop.is_set():
                try:
                    self.catch_up(stop=stop)
                except Exception:
                    log.exception("projection_batch_failed")
                    stop.wait(1.0)
                    continue
                caught_up.set()
                if wakeup is not None:
                    wakeup(1.0)
                    self._woke = time.monotonic()
                else:
                    stop.wait(0.2)
        finally:
            finished.set()
            caught_up.set()
            followers.join(timeout=30)

    def _follow(
        self,
        stop: threading.Event,
        finished: threading.Event,
        caught_up: threading.Event,
    ) -> None:
        """After a catch-up (and at least every second), at most every
        :attr:`follow_every` seconds: every follower."""
        while not (stop.is_set() or finished.is_set()):
            caught_up.wait(1.0)
            caught_up.clear()
            started = time.monotonic()
            for follower in self.followers:
                try:
                    follower()
                except Exception:  # never holds up the read models
                    log.exception("log_follower_failed")
            finished.wait(started + self.follow_every - time.monotonic())


class Doorbell:
    """Wakes a follower when this process has written new events."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def ring(self, _position: int = 0) -> None:
        self._event.set()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)
        self._event.clear()
