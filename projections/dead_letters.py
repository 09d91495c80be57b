"""Events a read model could not apply, kept aside so the log keeps flowing.

The event itself stays in the log untouched; this table only remembers which
read model skipped which position and why, until ``retry`` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from projections.ports import Sql

DEAD_LETTERS = "rm_dead_letters"
_MAX_ERROR = 2000


@dataclass(frozen=True)
class DeadLetter:
    read_model: str
    position: int
    topic: str
    originator_id: str
    error: str
    recorded_at: str
    attempts: int


def ensure_dead_letters(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {DEAD_LETTERS} ("
        "read_model TEXT NOT NULL, position BIGINT NOT NULL, topic TEXT NOT NULL, "
        "originator_id TEXT NOT NULL, error TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "attempts INTEGER NOT NULL, PRIMARY KEY (read_model, position))"
    )


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_MAX_ERROR]


def record(
    sql: Sql, read_model: str, position: int, topic: str, originator: str, error: str
) -> None:
    """Insert, or count one more failed attempt with the latest error."""
    sql.execute(
        f"INSERT INTO {DEAD_LETTERS} (read_model, position, topic, originator_id, "
        "error, recorded_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 1) "
        "ON CONFLICT (read_model, position) DO UPDATE SET error = excluded.error, "
        f"recorded_at = excluded.recorded_at, attempts = {DEAD_LETTERS}.attempts + 1",
        (read_model, position, topic, originator, error, datetime.now(UTC).isoformat()),
    )


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


def counts(sql: Sql) -> dict[str, int]:
    return {
        str(name): int(count)
        for name, count in sql.query(
            f"SELECT read_model, COUNT(*) FROM {DEAD_LETTERS} GROUP BY read_model"
        )
    }


def listed(sql: Sql, read_models: list[str] | None = None) -> list[DeadLetter]:
    query = (
        f"SELECT read_model, position, topic, originator_id, error, recorded_at, "
        f"attempts FROM {DEAD_LETTERS}"
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
            str(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), int(r[6])
        )
        for r in rows
    ]
