"""The read-side storage port: SQL that runs unchanged on SQLite and PostgreSQL.

Queries use ``?`` placeholders and portable types (TEXT, BIGINT, INTEGER);
timestamps are UTC ISO-8601 text so that text order is time order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

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


class ReadStore(ABC):
    """Where read models live; every write happens inside ``transaction()``."""

    dialect: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Sql]: ...

    def query(self, query: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.transaction() as sql:
            return sql.query(query, params)

    @abstractmethod
    def close(self) -> None: ...


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
