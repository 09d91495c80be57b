"""The read-side storage port: SQL that runs unchanged on SQLite and PostgreSQL.

Queries use ``?`` placeholders and portable types (TEXT, BIGINT, INTEGER);
timestamps are UTC ISO-8601 text so that text order is time order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from domain.errors import LabelledError

Row = tuple[Any, ...]


class Sql(ABC):
    """One open transaction on the read store."""

    dialect: str

    @abstractmethod
    def execute(self, query: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def query_later(
        self, query: str, params: Sequence[Any] = ()
    ) -> Callable[[], list[Row]]:
        """Send a query now and read its rows when called: queries sent together
        share one round trip where the store pipelines (here: run at once)."""
        rows = self.query(query, params)
        return lambda: rows

    def append(self, query: str, params: Sequence[Any]) -> None:
        """An insert nothing in this batch reads or updates again: may be deferred."""
        self.execute(query, params)

    def insert_rows(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        """``INSERT … VALUES (?, …) [tail]`` for many rows as a few multi-row
        statements: one statement per row costs a round of parsing, binding and
        (in a pipeline) protocol messages each. Rows must not repeat a conflict
        key when the tail is ``ON CONFLICT … DO UPDATE``."""
        if len(rows) < 2:
            for row in rows:
                self.execute(query, row)
            return
        head, group, tail = split_values(query)
        for part in chunks(rows, rows_per_statement(rows[0])):
            self.execute(
                head + ", ".join([group] * len(part)) + tail,
                [value for row in part for value in row],
            )

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: an exception inside undoes only its own writes."""
        self.execute("SAVEPOINT motcua_event")
        try:
            yield
        except BaseException:
            self.execute("ROLLBACK TO SAVEPOINT motcua_event")
            self.execute("RELEASE SAVEPOINT motcua_event")
            raise
        self.execute("RELEASE SAVEPOINT motcua_event")


class BufferedSql(Sql):
    """Collects appends per statement and sends each group with one executemany."""

    def __init__(self, inner: Sql) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self._appends: dict[str, list[Sequence[Any]]] = {}

    def execute(self, query: str, params: Sequence[Any] = ()) -> None:
        self.inner.execute(query, params)

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> None:
        self.inner.executemany(query, rows)

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.inner.query(query, params)

    def query_later(
        self, query: str, params: Sequence[Any] = ()
    ) -> Callable[[], list[Row]]:
        return self.inner.query_later(query, params)

    def append(self, query: str, params: Sequence[Any]) -> None:
        self._appends.setdefault(query, []).append(params)

    def insert_rows(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        self.inner.insert_rows(query, rows)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self.inner.savepoint():
            yield

    def flush(self) -> None:
        for query, rows in self._appends.items():
            insert_rows(self.inner, query, rows)
        self._appends.clear()


_MAX_PARAMS = 30_000  # under PostgreSQL's 65,535 and SQLite's 32,766
_MAX_ROWS = 500


def split_values(query: str) -> tuple[str, str, str]:
    """``INSERT … VALUES (?, ?) tail`` → (``INSERT … VALUES ``, ``(?, ?)``, tail)."""
    start = query.index("VALUES (") + len("VALUES ")
    end = query.index(")", start) + 1
    return query[:start], query[start:end], query[end:]


def rows_per_statement(row: Sequence[Any]) -> int:
    return max(1, min(_MAX_ROWS, _MAX_PARAMS // max(len(row), 1)))


def insert_rows(sql: Sql, query: str, rows: Sequence[Sequence[Any]]) -> None:
    sql.insert_rows(query, rows)


def table_columns(sql: Sql, table: str) -> set[str]:
    """The columns ``table`` has now (a table made by an earlier version may
    lack some: upgrades add them)."""
    if sql.dialect == "postgres":
        return {
            str(row[0])
            for row in sql.query(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = current_schema()",
                (table,),
            )
        }
    return {str(row[1]) for row in sql.query(f"PRAGMA table_info({table})")}


class StoreUnavailableError(LabelledError):
    """A read found no database connection within its bound: answered at
    once rather than after the pool's long wait (every request has a bounded
    cost)."""

    code = "STORE_UNAVAILABLE"
    vi = "Cơ sở dữ liệu tạm thời không truy cập được, vui lòng thử lại sau"
    en = "The database is temporarily unreachable; please try again later"


class ReadStore(ABC):
    """Where read models live; every write happens inside ``transaction()``."""

    dialect: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Sql]: ...

    def batch(self) -> AbstractContextManager[Sql]:
        """A transaction for many writes; stores may stream them (pipelining)."""
        return self.transaction()

    def schema(self) -> AbstractContextManager[Sql]:
        """A transaction that creates tables if missing, one process at a time:
        processes starting together (API workers) would otherwise race in the
        catalogue. SQLite's write lock already serialises its transactions."""
        return self.transaction()

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        if not all(storable(p) for p in params):
            # Read models hold only valid Unicode without NUL (values are checked
            # before events exist), so a lookup by a lone surrogate or a NUL
            # matches nothing; the database drivers would refuse to send it.
            return []
        with self.transaction() as sql:
            return sql.query(query, params)

    def events_table(self, recorder: object) -> str | None:
        """The SQL name of ``recorder``'s events table when this store's own
        transactions can read it (the same database): the projector then reads
        the log in the batch's first round trip instead of on its own
        connection. None: read the log through the recorder."""
        return None

    def is_transient(self, error: BaseException) -> bool:
        """The store failed (connection, lock, deadlock), not the event being applied:
        the batch is retried later instead of dead-lettering the event."""
        return False

    @abstractmethod
    def close(self) -> None: ...


def storable(param: object) -> bool:
    """A value the database drivers can send (valid Unicode, no NUL)."""
    if not isinstance(param, str):
        return True
    try:
        param.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in param


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
