"""PostgreSQL event recorder that writes a ``save()`` in one round trip.

eventsourcing 9.5.6's ``PostgresApplicationRecorder`` sends, in pipeline
mode, ``BEGIN; SET LOCAL lock_timeout; LOCK TABLE ... IN EXCLUSIVE MODE;
NOTIFY; INSERT ... RETURNING notification_id``, waits for the results, then
sends ``COMMIT`` and waits again: two round trips, and the table lock is held
while the client processes the first reply. Measured on a 2-core box, a
one-event ``save()`` took ~0.8 ms against ~0.25 ms for a plain INSERT+COMMIT.

This recorder sends the *same statements in the same order* as one
simple-protocol query (parameters bound client-side by psycopg):

    BEGIN; SET LOCAL lock_timeout = '<n>s'; LOCK TABLE <events> IN EXCLUSIVE
    MODE; NOTIFY <channel>; INSERT ... VALUES (...), ... RETURNING
    notification_id; COMMIT

so the transaction, the table lock (commit order = notification-id order),
the NOTIFY and the primary-key check on ``(originator_id,
originator_version)`` are unchanged; only the waits between statements go.
A duplicate version still raises ``IntegrityError`` (the rest of the query is
skipped by the server and the aborted transaction is rolled back here).

Selected by ``adapters.settings.persistence_env`` for PostgreSQL unless
``MOTCUA_POSTGRES_SINGLE_ROUND_TRIP=n``.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import Counter, deque
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import generators
from psycopg.errors import error_from_result
from psycopg.pq import Escaping, ExecStatus, TransactionStatus
from psycopg.sql import SQL, Composable, Identifier

from adapters.append_only import LOCK_FUNCTION
from adapters.code_numbers import PostgresCodeNumbers


class SingleRoundTripRecorder(PostgresApplicationRecorder):
    """``PostgresApplicationRecorder`` whose inserts take one round trip."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._insert_head = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) VALUES "
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        self._head = self._compose_head()
        self._head_bytes: bytes | None = None
        self._literals = _Literals()

    #: Commit without waiting for the WAL flush; ``_after_commit`` then
    #: confirms durability outside the table lock (``GroupCommitRecorder``).
    asynchronous_commit = False
    _after_commit = b""

    def _compose_head(self) -> Composable:
        statements: list[Composable] = [SQL("BEGIN")]
        if self.asynchronous_commit:
            statements.append(SQL("SET LOCAL synchronous_commit = off"))
        for statement in self.lock_table_statements:  # SET LOCAL lock_timeout; LOCK
            assert isinstance(statement, Composable), statement
            statements.append(statement)
        statements.append(SQL("NOTIFY {0}").format(Identifier(self.channel_name)))
        statements.append(self._insert_head)
        return SQL("; ").join(statements)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None  # nothing to write: no transaction at all
        if self._library_path(kwargs):
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        return self._insert_in_one_query(stored_events)

    def confirm_durable(self) -> None:
        """Return once every commit that answered before this call is on disk.

        Readers that act outside PostgreSQL (a message published to NATS, a
        peer province) call it between reading events and acting on them: under
        group commit a row can be read a moment before its WAL flush, and a
        server crash in that moment would take back a row the world was told
        of. A no-op when every commit waits for its flush.
        """
        if not self.asynchronous_commit:
            return
        with self.datastore.get_connection() as conn:
            conn.execute(_DURABLE)
            conn.commit()

    @functools.cached_property
    def code_numbers(self) -> PostgresCodeNumbers:
        """Daily dossier-code numbers shared by every process on this database
        (``application.codes.CodeAllocator`` asks for them)."""
        return PostgresCodeNumbers(self.datastore)

    def create_table(self) -> None:
        """Tables an administrator set up for this role (append-only grants,
        adapters/append_only.py) are not this role's to create or alter."""
        table = f"{self.datastore.schema}.{self.events_table_name}"
        with self.datastore.get_connection() as conn:
            row = conn.execute(
                "SELECT pg_get_userbyid(relowner) = current_user AS own FROM pg_class "
                "WHERE oid = to_regclass(%s)",
                (table,),
            ).fetchone()
            conn.commit()
        if row is not None and not row["own"]:
            return
        super().create_table()

    def _choose_lock(self, conn: psycopg.Connection[Any]) -> None:
        """A role with only SELECT and INSERT on the events table (append-only
        set-up, adapters/append_only.py) may not LOCK it EXCLUSIVE itself: it
        takes the same lock through the set-up's SECURITY DEFINER function."""
        table = f"{self.datastore.schema}.{self.events_table_name}"
        row = conn.execute(
            "SELECT has_table_privilege(%s, 'UPDATE, DELETE, TRUNCATE') AS may, "
            "to_regprocedure(%s) IS NOT NULL AS via",
            (table, f"{self.datastore.schema}.{LOCK_FUNCTION}()"),
        ).fetchone()
        conn.commit()
        if row is None or row["may"] or not row["via"]:
            return
        self.lock_table_statements = [
            self.lock_table_statements[0],  # SET LOCAL lock_timeout
            SQL("SELECT {0}.{1}()").format(
                Identifier(self.datastore.schema), Identifier(LOCK_FUNCTION)
            ),
        ]
        self._head = self._compose_head()

    def _library_path(self, kwargs: dict[str, Any]) -> bool:
        return self.datastore.enable_db_functions or any(
            value is not None for value in kwargs.values()
        )

    def _insert_in_one_query(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """One transaction, one query: lock, notify, insert, commit.

        Everything but the server's work happens before the query is sent, so
        the table lock is held for the insert alone: the rows are written as
        literals here (no client-side binding through a cursor, which adapted
        each parameter in Python at ~5 µs per row).
        """
        if self._head_bytes is None:
            with self.datastore.get_connection() as conn:  # opens the pool too
                self._choose_lock(conn)
                self._head_bytes = self._head.as_bytes(conn)
        # Straight from the pool: the datastore's two context managers (and
        # their commit-on-exit of a transaction the query already ended) cost
        # more than the pool itself; errors are translated as they do.
        pool = self.datastore.pool
        try:
            conn = pool.getconn()
            try:
                rows = self._literals.rows(conn, stored_events)
                query = b"".join(
                    (
                        self._head_bytes,
                        rows,
                        b" RETURNING notification_id; COMMIT",
                        self._after_commit,
                    )
                )
                notification_ids = _run(conn, query)
            finally:
                pool.putconn(conn)  # rolls back and replaces it if left unusable
        except psycopg.Error as error:
            raise _persistence_error(error) from error
        if len(notification_ids) != len(stored_events):
            msg = (
                f"Couldn't get all notification IDs (got {len(notification_ids)}, "
                f"expected {len(stored_events)})"
            )
            raise ProgrammingError(msg)
        return notification_ids


class _Literals:
    """SQL literals of stored events' columns.

    A UUID's and an integer's text cannot hold a quote (an id that is not a
    UUID is refused here, as the uuid column would refuse it); a topic is
    escaped by libpq for the connection (``PQescapeLiteral``), once per topic
    and encoding; the state is written in bytea's hex form inside an escape
    string (``E'\\\\x…'``), read the same whatever
    ``standard_conforming_strings`` says.
    """

    def __init__(self) -> None:
        self._topics: dict[tuple[str, str], bytes] = {}

    def rows(
        self, conn: psycopg.Connection[Any], events: Sequence[StoredEvent]
    ) -> bytes:
        topics, encoding = self._topics, conn.info.encoding
        parts: list[bytes] = []
        for event in events:
            topic = topics.get((encoding, event.topic))
            if topic is None:
                topic = Escaping(conn.pgconn).escape_literal(
                    event.topic.encode(encoding)
                )
                if len(topics) < 10_000:  # class topics: a few hundred at most
                    topics[encoding, event.topic] = topic
            originator_id = event.originator_id
            if type(originator_id) is not UUID:
                originator_id = UUID(str(originator_id))
            parts.append(
                b"('%s'::uuid, %d, %s, E'\\\\x%s'::bytea)"
                % (
                    str(originator_id).encode(),
                    int(event.originator_version),
                    topic,
                    event.state.hex().encode(),
                )
            )
        return b", ".join(parts)


def _persistence_error(error: psycopg.Error) -> PersistenceError:
    """The library's exception for a psycopg one (as its datastore translates)."""
    for raised, kind in _TRANSLATED:
        if isinstance(error, raised):
            return kind(str(error))
    return PersistenceError(str(error))


_TRANSLATED: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
    (psycopg.DataError, DataError),
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.InternalError, InternalError),
    (psycopg.ProgrammingError, ProgrammingError),
    (psycopg.NotSupportedError, NotSupportedError),
    (psycopg.DatabaseError, DatabaseError),
)


#: A transactional WAL record: its commit waits for the WAL flush, and WAL is
#: flushed in order, so every commit that answered before it is then durable.
#: Any role may call it (default EXECUTE for PUBLIC). A transaction that only
#: takes an xid (``txid_current()``) writes no WAL and is not flushed.
_DURABLE = b"SELECT pg_logical_emit_message(true, 'motcua.durable', '')"


def _run(conn: psycopg.Connection[Any], query: bytes) -> list[int]:
    """Send ``query`` and read the notification ids from its results.

    Straight on libpq's connection (psycopg's own generators, as its cursors
    use them): a cursor builds a row maker and column descriptions for each
    of the query's eight results, which cost more CPU than the rest of the
    write together (~110 vs ~45 µs per save, measured).
    """
    conn.pgconn.send_query(query)
    results = conn.wait(generators.execute(conn.pgconn))
    notification_ids: list[int] = []
    for result in results:
        if result.status == ExecStatus.FATAL_ERROR:
            # The server skipped the rest, COMMIT included.
            if conn.pgconn.transaction_status != TransactionStatus.IDLE:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
            raise error_from_result(result, encoding=conn.info.encoding)
        if (
            result.status == ExecStatus.TUPLES_OK
            and result.nfields
            and result.fname(0) == b"notification_id"
        ):
            notification_ids = [
                int(result.get_value(row, 0) or b"") for row in range(result.ntuples)
            ]
    return notification_ids


class _Pending:
    """One caller's events waiting for a group transaction, then its outcome."""

    __slots__ = ("done", "error", "events", "group", "ids", "wake")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.ids: list[int] | None = None
        self.error: Exception | None = None
        self.done = False
        """Settled: ``ids`` committed and durable, or ``error``."""
        self.group: list[_Pending] | None = None
        """Set when this caller is to lead the next group: its members."""
        self.wake = threading.Lock()
        """Held until this caller is settled or asked to lead (once)."""
        self.wake.acquire()

    def outcome(self) -> list[int]:
        if self.error is not None:
            raise self.error
        assert self.ids is not None
        return self.ids


class GroupCommitRecorder(SingleRoundTripRecorder):
    """Concurrent saves of this process share transactions, and the table lock
    is held while notification ids are assigned, not during the WAL flush.

    Up to ``in_flight`` group transactions of this process are written at
    once, each on its own connection. A save arriving while they are all
    under way waits; when one ends, the oldest waiting caller becomes the
    leader and writes every waiting save (up to ``max_group``) as one query
    (only that caller and the ended group's callers are woken)::

        BEGIN; SET LOCAL synchronous_commit = off; SET LOCAL lock_timeout …;
        LOCK TABLE … IN EXCLUSIVE MODE; NOTIFY …; INSERT … RETURNING …;
        COMMIT; SELECT pg_logical_emit_message(true, 'motcua.durable', '')

    A lone save is that same query: no timer, no added latency.

    The COMMIT does not wait for the WAL flush, so the EXCLUSIVE lock (which
    makes commit order = notification-id order for the readers that tail the
    log) is held for the insert only, and the next group — of this process or
    another — takes it while this one's WAL is being flushed. The statement
    after the COMMIT is its own transaction that writes a WAL record and
    commits synchronously: WAL is flushed in order, so when it answers, the
    group's commit is on disk. PostgreSQL flushes the confirmations of
    several groups and processes together (its own group commit), as it does
    for plain INSERT transactions. A caller is acknowledged only after that
    answer. Other sessions may read a group's rows before its flush, as under
    ``synchronous_commit = off``; anything they commit durably afterwards
    flushes the group first (WAL order).

    If the group's INSERT violates a primary key (one aggregate's version was
    taken: a stale command, or two commands on one dossier in the same
    group), the server rolled the whole transaction back, so nothing of it
    was applied; each save of the group is then written on its own, in
    arrival order, and each caller gets its own outcome (its ids or its
    ``IntegrityError``). Any other failure (connection lost, the reply lost…)
    is every member's failure, and each caller's retry puts it into a later
    group (an insert that had landed is then refused by its primary key, and
    the application recognises it as the caller's own).
    """

    asynchronous_commit = True
    _after_commit = b"; " + _DURABLE

    #: Saves per group transaction (bounds the query size and the lock time).
    max_group = 200
    #: Group transactions of this process under way at once.
    in_flight = 2

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._waiting: deque[_Pending] = deque()
        self._turn = threading.Lock()
        self._writing = 0
        """Group transactions under way."""
        self.groups = 0
        """Group transactions written (more than one save), for measurements."""
        self.fallbacks = 0
        """Groups that hit a version conflict and were written one by one."""
        self.group_sizes: Counter[int] = Counter()
        """Saves per transaction → transactions written (measurements)."""

    @property
    def _leading(self) -> bool:
        """Every group slot is taken (saves arriving now wait)."""
        return self._writing >= self.in_flight

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        if self._library_path(kwargs):
            ids: Sequence[int] | None = PostgresApplicationRecorder.insert_events(
                self, stored_events, **kwargs
            )
            return ids
        mine = _Pending(stored_events)
        with self._turn:
            self._waiting.append(mine)
            if not self._leading:  # a slot is free, so nobody else waits
                self._writing += 1
                mine.group = self._next_group()
        if mine.group is None:
            mine.wake.acquire()  # settled by a leader, or asked to lead
            if mine.done:
                return mine.outcome()
        group = mine.group
        assert group is not None
        assert group[0] is mine  # a free slot means nobody was waiting before
        try:
            self._write(group)
        finally:
            self._settle(group)
        return mine.outcome()

    def _next_group(self) -> list[_Pending]:
        """The waiting saves (oldest first, up to ``max_group``): one group."""
        waiting = self._waiting
        return [waiting.popleft() for _ in range(min(len(waiting), self.max_group))]

    def _settle(self, group: list[_Pending]) -> None:
        """Wake the group's callers, and hand this slot to the oldest waiting
        save (with its group) or free it. Only those callers are woken: waking
        every waiter to look cost ~10 % of a command's CPU at 8 writers."""
        with self._turn:
            for pending in group:  # interrupted: retried like a lost reply
                if pending.error is None and pending.ids is None:
                    pending.error = OperationalError("group write interrupted")
                pending.done = True
            leader = None
            if self._waiting:
                following = self._next_group()
                leader = following[0]
                leader.group = following
            else:
                self._writing -= 1
        for pending in group[1:]:
            pending.wake.release()
        if leader is not None:
            leader.wake.release()

    def _write(self, group: list[_Pending]) -> None:
        """Give every member of ``group`` its ids (durable) or its error."""
        try:
            self.group_sizes[len(group)] += 1
            if len(group) == 1:
                group[0].ids = self._insert_in_one_query(group[0].events)
                return
            events = [event for pending in group for event in pending.events]
            try:
                ids = self._insert_in_one_query(events)
            except IntegrityError:
                self.fallbacks += 1
                for pending in group:  # nothing was applied: one by one
                    try:
                        pending.ids = self._insert_in_one_query(pending.events)
                    except Exception as error:
                        pending.error = error
                return
            self.groups += 1
            # Ids come from a sequence under the table lock in VALUES order.
            ids.sort()
            start = 0
            for pending in group:
                pending.ids = ids[start : start + len(pending.events)]
                start += len(pending.events)
        except Exception as error:
            for pending in group:
                if pending.ids is None and pending.error is None:
                    pending.error = error
