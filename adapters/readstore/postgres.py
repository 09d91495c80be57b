"""PostgreSQL read store: a small psycopg pool; batches run in pipeline mode."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from projections.ports import ReadStore, Row, Sql


def _pg(query: str) -> str:
    return query.replace("?", "%s")


class _PostgresSql(Sql):
    dialect = "postgres"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection
        self._cursor = connection.cursor()

    def execute(self, query: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_pg(query), tuple(params), prepare=True)

    def executemany(self, query: str, rows: Iterable[Sequence[Any]]) -> None:
        self._cursor.executemany(_pg(query), [tuple(r) for r in rows])

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(_pg(query), tuple(params), prepare=True)
        return [tuple(row) for row in self._cursor.fetchall()]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._connection.transaction():
            yield


class PostgresReadStore(ReadStore):
    dialect = "postgres"

    def __init__(self, url: str, *, max_size: int = 8) -> None:
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_size, open=True, kwargs={"autocommit": False}
        )

    @contextmanager
    def transaction(self) -> Iterator[Sql]:
        with self._pool.connection() as connection, connection.transaction():
            yield _PostgresSql(connection)

    @contextmanager
    def batch(self) -> Iterator[Sql]:
        """A transaction whose writes are sent without waiting for each reply."""
        with (
            self._pool.connection() as connection,
            connection.transaction(),
            connection.pipeline(),
        ):
            yield _PostgresSql(connection)

    def is_transient(self, error: BaseException) -> bool:
        # OperationalError covers lost connections, deadlocks, serialization
        # failures and lock timeouts; InterfaceError a closed connection.
        return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)

    def close(self) -> None:
        self._pool.close()
