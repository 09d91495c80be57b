"""Read-model changes made outside the projector that follows the log.

``projections retry`` and ``projections rebuild`` run as their own processes.
An API process that caches read models in memory (the embedded SQLite default)
cannot hear of their changes otherwise: they write the changed keys here (all
keys after a rebuild's swap), in the same transaction as the change, and the
API's follower reads what is new after each pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from projections.ports import ReadStore, Sql

CHANGE_LOG = "rm_change_log"
_KEEP = timedelta(days=1)


@dataclass(frozen=True)
class OutsideChange:
    id: int
    read_model: str
    keys: frozenset[str] | None
    """None: anything in the read model may have changed (a rebuild)."""


def ensure_change_log(sql: Sql) -> None:
    key = (
        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        if sql.dialect == "postgres"
        else "INTEGER PRIMARY KEY AUTOINCREMENT"
    )
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {CHANGE_LOG} (id {key}, "
        "read_model TEXT NOT NULL, keys TEXT, recorded_at TEXT NOT NULL)"
    )


def record(sql: Sql, changes: dict[str, set[str]]) -> None:
    for read_model, keys in sorted(changes.items()):
        _insert(sql, read_model, json.dumps(sorted(keys), ensure_ascii=False))


def record_everything(sql: Sql, read_model: str) -> None:
    _insert(sql, read_model, None)


def _insert(sql: Sql, read_model: str, keys: str | None) -> None:
    now = datetime.now(UTC)
    sql.execute(
        f"DELETE FROM {CHANGE_LOG} WHERE recorded_at < ?",
        ((now - _KEEP).isoformat(),),
    )
    sql.execute(
        f"INSERT INTO {CHANGE_LOG} (read_model, keys, recorded_at) VALUES (?, ?, ?)",
        (read_model, keys, now.isoformat()),
    )


def head(sql: Sql | ReadStore) -> int:
    ((last,),) = sql.query(f"SELECT COALESCE(MAX(id), 0) FROM {CHANGE_LOG}")
    return int(last)


def since(sql: Sql | ReadStore, after: int) -> list[OutsideChange]:
    return [
        OutsideChange(
            int(id_),
            str(read_model),
            None if keys is None else frozenset(json.loads(keys)),
        )
        for id_, read_model, keys in sql.query(
            f"SELECT id, read_model, keys FROM {CHANGE_LOG} WHERE id > ? ORDER BY id",
            (after,),
        )
    ]
