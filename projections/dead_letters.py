"""Events a read model could not apply, kept aside so the log keeps flowing.

The event itself stays in the log untouched; this table only remembers which
read model skipped which position and why, until ``retry`` applies it.

A read model applies one originator's events in log order or not at all: once
an event of originator O fails for read model R, every later event of O for R
is *parked* behind it (``blocked_by`` = the failing position) instead of being
applied on top of a state that skipped one. Other originators and read models
flow on. ``retry`` applies each originator's letters in log order and stops at
the first that still fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from projections.ports import Sql, chunks

DEAD_LETTERS = "rm_dead_letters"
_MAX_ERROR = 2000

Blocked = dict[tuple[str, str], int]
"""(read model, originator id) → the position of its first failing event."""


@dataclass(frozen=True)
class DeadLetter:
    read_model: str
    position: int
    topic: str
    originator_id: str
    error: str
    recorded_at: str
    attempts: int
    blocked_by: int | None = None
    """None: this event failed. Else: parked behind that failing position."""

    @property
    def parked(self) -> bool:
        return self.blocked_by is not None


@dataclass(frozen=True)
class Counts:
    failing: int = 0
    parked: int = 0


def ensure_dead_letters(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {DEAD_LETTERS} ("
        "read_model TEXT NOT NULL, position BIGINT NOT NULL, topic TEXT NOT NULL, "
        "originator_id TEXT NOT NULL, error TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, blocked_by BIGINT, "
        "PRIMARY KEY (read_model, position))"
    )
    # Tables created before events were parked lack the column.
    if sql.dialect == "postgres":
        sql.execute(
            f"ALTER TABLE {DEAD_LETTERS} ADD COLUMN IF NOT EXISTS blocked_by BIGINT"
        )
    elif "blocked_by" not in {
        str(row[1]) for row in sql.query(f"PRAGMA table_info({DEAD_LETTERS})")
    }:
        sql.execute(f"ALTER TABLE {DEAD_LETTERS} ADD COLUMN blocked_by BIGINT")
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS ix_dead_letters_originator "
        f"ON {DEAD_LETTERS} (read_model, originator_id)"
    )


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_MAX_ERROR]


def parked_reason(blocked_by: int) -> str:
    return f"parked behind position {blocked_by} (same originator, not applied yet)"


def record(
    sql: Sql,
    read_model: str,
    position: int,
    topic: str,
    originator: str,
    error: str,
    blocked_by: int | None = None,
) -> None:
    """Insert, or count one more failed attempt with the latest error."""
    sql.execute(
        f"INSERT INTO {DEAD_LETTERS} (read_model, position, topic, originator_id, "
        "error, recorded_at, attempts, blocked_by) VALUES (?, ?, ?, ?, ?, ?, 1, ?) "
        "ON CONFLICT (read_model, position) DO UPDATE SET error = excluded.error, "
        "recorded_at = excluded.recorded_at, blocked_by = excluded.blocked_by, "
        f"attempts = {DEAD_LETTERS}.attempts + 1",
        (
            read_model,
            position,
            topic,
            originator,
            error,
            datetime.now(UTC).isoformat(),
            blocked_by,
        ),
    )


def repark(sql: Sql, read_model: str, position: int, blocked_by: int) -> None:
    """A parked event now waits behind another failing position (after a retry)."""
    sql.execute(
        f"UPDATE {DEAD_LETTERS} SET blocked_by = ?, error = ? "
        "WHERE read_model = ? AND position = ?",
        (blocked_by, parked_reason(blocked_by), read_model, position),
    )


def blocked(sql: Sql, read_models: list[str], originators: Collection[str]) -> Blocked:
    """The (read model, originator) pairs of ``originators`` that have letters,
    with the position of their first failing event."""
    return blocked_later(sql, read_models, originators)()


def blocked_later(
    sql: Sql, read_models: list[str], originators: Collection[str]
) -> Callable[[], Blocked]:
    """``blocked`` with its queries sent now and read when called."""
    if not read_models or not originators:
        return lambda: {}
    if sql.dialect == "postgres":
        # Arrays: one statement text for every batch, prepared once, instead of
        # a new text (and plan) per count of originators.
        reads = [
            sql.query_later(
                f"SELECT read_model, originator_id, MIN(position) FROM {DEAD_LETTERS} "
                "WHERE read_model = ANY(?) AND originator_id = ANY(?) "
                "GROUP BY read_model, originator_id",
                (list(read_models), list(originators)),
            )
        ]
        return functools.partial(_found, reads)
    models = ", ".join("?" for _ in read_models)
    reads = [
        sql.query_later(
            f"SELECT read_model, originator_id, MIN(position) FROM {DEAD_LETTERS} "
            f"WHERE read_model IN ({models}) AND originator_id IN "
            f"({', '.join('?' for _ in part)}) GROUP BY read_model, originator_id",
            [*read_models, *part],
        )
        for part in chunks(sorted(originators), 500)
    ]

    return functools.partial(_found, reads)


def _found(reads: list[Callable[[], list[tuple[Any, ...]]]]) -> Blocked:
    found: Blocked = {}
    for rows in reads:
        for read_model, originator, first in rows():
            found[(str(read_model), str(originator))] = int(first)
    return found


def clear(sql: Sql, read_model: str, position: int | None = None) -> None:
    if position is None:
        sql.execute(f"DELETE FROM {DEAD_LETTERS} WHERE read_model = ?", (read_model,))
    else:
        sql.execute(
            f"DELETE FROM {DEAD_LETTERS} WHERE read_model = ? AND position = ?",
            (read_model, position),
        )


def move(sql: Sql, source: str, target: str) -> None:
    """A rebuilt copy's dead letters replace the live copy's at the swap."""
    clear(sql, target)
    sql.execute(
        f"UPDATE {DEAD_LETTERS} SET read_model = ? WHERE read_model = ?",
        (target, source),
    )


def counts(sql: Sql) -> dict[str, Counts]:
    found: dict[str, list[int]] = {}
    for name, parked, count in sql.query(
        f"SELECT read_model, blocked_by IS NOT NULL, COUNT(*) FROM {DEAD_LETTERS} "
        "GROUP BY read_model, blocked_by IS NOT NULL"
    ):
        found.setdefault(str(name), [0, 0])[int(bool(parked))] = int(count)
    return {name: Counts(failing, parked) for name, (failing, parked) in found.items()}


def listed(sql: Sql, read_models: list[str] | None = None) -> list[DeadLetter]:
    query = (
        f"SELECT read_model, position, topic, originator_id, error, recorded_at, "
        f"attempts, blocked_by FROM {DEAD_LETTERS}"
    )
    params: list[str] = []
    if read_models is not None and not read_models:
        return []
    if read_models is not None:
        query += f" WHERE read_model IN ({', '.join('?' for _ in read_models)})"
        params = list(read_models)
    rows = sql.query(query + " ORDER BY position, read_model", params)
    return [
        DeadLetter(
            str(r[0]),
            int(r[1]),
            str(r[2]),
            str(r[3]),
            str(r[4]),
            str(r[5]),
            int(r[6]),
            None if r[7] is None else int(r[7]),
        )
        for r in rows
    ]
