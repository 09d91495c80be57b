"""Rows folded in memory for one batch and written back once each.

A dossier's events mostly arrive together, so updating its rows per event would
send one statement per event; folding them in memory sends one upsert per row
per batch. Rows are loaded for every originator of the batch before applying.
One row per dossier with its lifecycle: ``projections.dossier_rows``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from projections.ports import Sql, chunks, insert_rows

Row = dict[str, Any]


class GroupFold:
    """Several rows per originator (a dossier's steps, fees…), folded in memory
    for one batch: loaded for the batch's originators before it, changed in
    place by the handlers, and written back once (an upsert per changed row)."""

    def __init__(
        self, table: str, group: str, key: tuple[str, ...], columns: tuple[str, ...]
    ) -> None:
        self.table = table
        self.group = group
        self.key = key
        self.columns = columns
        self._groups: dict[str, dict[tuple[Any, ...], Row]] = {}
        self._dirty: dict[tuple[Any, ...], Row] = {}

    def begin(self, sql: Sql, groups: Collection[str]) -> None:
        self.load(sql, groups)()

    def load(self, sql: Sql, groups: Collection[str]) -> Callable[[], None]:
        """Send the reads of ``begin``; calling the result finishes it."""
        self._groups = {g: {} for g in groups}
        self._dirty.clear()
        names = ", ".join(self.columns)
        reads = [
            sql.query_later(
                f"SELECT {names} FROM {self.table} WHERE {self.group} IN "
                f"({', '.join('?' for _ in part)})",
                part,
            )
            for part in chunks(sorted(groups), 500)
        ]

        def finish() -> None:
            for read in reads:
                for values in read():
                    row = dict(zip(self.columns, values, strict=True))
                    self._groups[row[self.group]][self._key(row)] = row

        return finish

    def _key(self, row: Row) -> tuple[Any, ...]:
        return tuple(row[c] for c in self.key)

    def rows(self, group: str) -> list[Row]:
        """The group's rows (mutable: call ``changed`` after changing one)."""
        return list(self._groups.setdefault(group, {}).values())

    def put(self, row: Row) -> None:
        key = self._key(row)
        self._groups.setdefault(row[self.group], {})[key] = row
        self._dirty[key] = row

    def changed(self, row: Row) -> None:
        self._dirty[self._key(row)] = row

    def flush(self, sql: Sql) -> None:
        if self._dirty:
            names = ", ".join(self.columns)
            marks = ", ".join("?" for _ in self.columns)
            updates = ", ".join(
                f"{c} = excluded.{c}" for c in self.columns if c not in self.key
            )
            insert_rows(
                sql,
                f"INSERT INTO {self.table} ({names}) VALUES ({marks}) "
                f"ON CONFLICT ({', '.join(self.key)}) DO UPDATE SET {updates}",
                [
                    tuple(self._dirty[k][c] for c in self.columns)
                    for k in sorted(self._dirty)
                ],
            )
        self._dirty.clear()
        self._groups.clear()
