"""SQLite read store: one connection per thread, WAL, immediate transactions.

Writes queue on the file's in-process writer lock (``adapters.sqlite_writer``),
shared with the event store in the same file; plain queries take no lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from adapters.sqlite_writer import writer_lock
from projections.ports import ReadStore, Row, Sql


class _SQLiteSql(Sql):
    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, query: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(query, tuple(params))

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> None:
        self._connection.executemany(query, [tuple(r) for r in rows])

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self._connection.execute(query, tuple(params)).fetchall())


class SQLiteReadStore(ReadStore):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        if path == ":memory:":
            self._shared = self._connect()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        if self.path != ":memory:":
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=30000")
        return connection

    def _connection(self) -> sqlite3.Connection:
        if self._shared is not None:
            return self._shared
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with (
            self._shared_lock if self._shared is not None else _nothing(),
            writer_lock(self.path),
        ):
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield _SQLiteSql(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def is_transient(self, error: BaseException) -> bool:
        # Other OperationalErrors (no such column…) come from the code applying
        # the event: those are dead-lettered and retried after a fix.
        return isinstance(error, sqlite3.OperationalError) and any(
            word in str(error) for word in ("locked", "busy", "disk", "unable to open")
        )

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        """One statement, one consistent snapshot (WAL): no write lock needed."""
        if self._shared is not None:
            with self._shared_lock:
                return list(self._shared.execute(query, tuple(params)).fetchall())
        return list(self._connection().execute(query, tuple(params)).fetchall())

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
        if self._shared is not None:
            self._shared.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield
