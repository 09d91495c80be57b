"""PostgreSQL read store: a small psycopg pool; batches run in pipeline mode."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool, PoolTimeout

from projections.ports import (
    ReadStore,
    Row,
    Sql,
    StoreUnavailableError,
    chunks,
    rows_per_statement,
    split_values,
    storable,
)


@functools.cache
def _numbered_values(width: int, rows: int) -> str:
    """``($1, $2), ($3, $4)`` for ``rows`` rows of ``width`` values."""
    return ", ".join(
        "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")"
        for i in range(rows)
    )


#: Identifies a database: the server instance (its start) and the database.
_WHERE = (
    "SELECT current_database()::text AS db, pg_postmaster_start_time()::text AS up, "
    "coalesce(inet_server_port(), 0) AS port"
)

#: The advisory lock ``schema()`` takes (any constant no other code uses).
_SCHEMA_LOCK = 0x6D6F7463_75610001


def _pg(query: str) -> str:
    return query.replace("?", "%s")


class _PostgresSql(Sql):
    dialect = "postgres"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection
        self._cursor = connection.cursor()
        self._raw: psycopg.RawCursor[Any] | None = None

    def insert_rows(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        """Multi-row statements with the server's own ``$n`` placeholders: psycopg
        would otherwise re-parse every long statement's thousands of ``%s``."""
        if len(rows) < 2:
            super().insert_rows(query, rows)
            return
        if self._raw is None:
            self._raw = psycopg.RawCursor(self._connection)
        head, group, tail = split_values(query)
        width = group.count("?")
        for part in chunks(rows, rows_per_statement(rows[0])):
            values = _numbered_values(width, len(part))
            self._raw.execute(
                head + values + tail, [v for row in part for v in row], prepare=True
            )

    def execute(self, query: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_pg(query), tuple(params), prepare=True)

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(_pg(query), [tuple(r) for r in rows])

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(_pg(query), tuple(params), prepare=True)
        return [tuple(row) for row in self._cursor.fetchall()]

    def query_later(
        self, query: str, params: Sequence[Any] = ()
    ) -> Callable[[], list[Row]]:
        """In a pipeline, the first read waits for every query sent before it
        (one round trip for all), each on its own cursor."""
        cursor = self._connection.cursor()
        cursor.execute(_pg(query), tuple(params), prepare=True)
        return lambda: [tuple(row) for row in cursor.fetchall()]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._connection.transaction():
            yield


class PostgresReadStore(ReadStore):
    dialect = "postgres"

    def __init__(self, url: str, *, max_size: int = 8, wait: float = 5.0) -> None:
        self._max_size = max_size
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=True,
            timeout=wait,
            kwargs={"autocommit": False},
        )

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with self._pool.connection() as connection, connection.transaction():
            yield _PostgresSql(connection)

    @contextmanager
    def schema(self) -> Iterator[Sql]:
        # CREATE ... IF NOT EXISTS is not atomic in PostgreSQL's catalogue: two
        # processes creating one table fail one of them with a unique violation
        # on pg_type (a second API worker then failed its start-up and uvicorn
        # stopped the server). The lock holds until this transaction commits,
        # so the next one finds the tables made.
        with self.transaction() as sql:
            sql.execute("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))
            yield sql

    @contextmanager
    def batch(self) -> Iterator[Sql]:
        """A transaction whose statements are sent without waiting for each
        reply, ``BEGIN`` included: it goes out with the batch's first reads.

        Its commit does not wait for the disk (``synchronous_commit = off``):
        read models are derived from the log, and the tracking positions commit
        in the same transaction as the rows, so a crash of the server loses a
        whole batch or nothing, and the projector applies it again from the
        log. Other sessions see the commit at once; only its flush is later."""
        with (
            self._pool.connection() as connection,
            connection.pipeline(),
            connection.transaction(),
        ):
            sql = _PostgresSql(connection)
            sql.execute("SET LOCAL synchronous_commit = off")
            yield sql

    def events_table(self, recorder: object) -> str | None:
        """The recorder's events table when it is in this store's database (the
        same server instance and database, not only the same name)."""
        table = getattr(recorder, "events_table_name", None)
        datastore = getattr(recorder, "datastore", None)
        schema = getattr(datastore, "schema", None)
        if not isinstance(table, str) or not isinstance(schema, str):
            return None
        get_connection = getattr(datastore, "get_connection", None)
        if get_connection is None:
            return None
        with (
            get_connection() as connection,
            connection.cursor(row_factory=tuple_row) as cursor,
        ):
            theirs = cursor.execute(_WHERE).fetchone()
        if theirs is None or [tuple(theirs)] != self.query(_WHERE):
            return None
        with self._pool.connection() as connection:
            return sql.Identifier(schema, table).as_string(connection)

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        """One statement on its own (autocommit): its own snapshot, as inside
        a transaction, in one round trip instead of three (``BEGIN`` and
        ``COMMIT`` around it each wait for the server)."""
        if not all(storable(p) for p in params):
            return []  # as ReadStore.query: such a value matches nothing
        try:
            return self._query(query, params)
        except PoolTimeout as error:
            # No connection within the pool's wait (the server down, or every
            # connection busy): the reader is told now, not after a long wait.
            # Transactions and the projector's batches keep the pool's own
            # error, which their callers retry.
            raise StoreUnavailableError() from error

    def _query(self, query: str, params: Sequence[Any]) -> list[Row]:
        for attempt in range(self._max_size + 1):
            with self._pool.connection() as connection:
                connection.autocommit = True
                try:
                    return _PostgresSql(connection).query(query, params)
                except psycopg.OperationalError:
                    # A pooled connection the server dropped (it restarted):
                    # the pool discards it, and a lone read is safe to repeat.
                    if not connection.broken or attempt == self._max_size:
                        raise
                finally:
                    if not connection.closed:
                        connection.autocommit = False  # the pool's connections
        raise AssertionError("unreachable")  # pragma: no cover

    def is_transient(self, error: BaseException) -> bool:
        # OperationalError covers lost connections, deadlocks, serialization
        # failures and lock timeouts; InterfaceError a closed connection.
        return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)

    def close(self) -> None:
        self._pool.close()
