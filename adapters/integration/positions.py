"""Where each integration follower is in the event log, and how it is doing.

One row per follower (``nats``, ``dvcqg``...) in the read store. The position
moves only after everything up to it was delivered, in the same statement that
clears the error, so a crash re-delivers (deduplicated downstream) and never
skips. The row also carries the last delivery error, so ``/readyz`` and
``/metrics`` of any process (not only the integrator) can report a backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from projections.ports import ReadStore, Sql

TABLE = "integration_tracking"
INBOX_TABLE = "inbox_tracking"
"""A consumer of NATS (the cross-province inbox) has no log position: its
row keeps the stream sequence it acknowledged last and what JetStream says is
still pending for it."""


@dataclass(frozen=True)
class FollowerStatus:
    name: str
    position: int
    log_position: int
    error: str
    """The last delivery failure; empty once a batch went through after it."""
    updated_at: str
    pending: int | None = None
    """Messages waiting for a NATS consumer (``None``: a follower of the log)."""

    @property
    def backlog(self) -> int:
        if self.pending is not None:
            return self.pending
        return max(self.log_position - self.position, 0)

    @property
    def healthy(self) -> bool:
        return not self.error


def _now() -> str:
    return datetime.now(UTC).isoformat()


def ensure(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, "
        "position BIGINT NOT NULL, error TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )


class Positions:
    """The tracking row of one follower."""

    def __init__(self, store: ReadStore, name: str) -> None:
        self.store = store
        self.name = name
        with store.schema() as sql:
            ensure(sql)
            sql.execute(
                f"INSERT INTO {TABLE} (name, position, error, updated_at) "
                "VALUES (?, 0, '', ?) ON CONFLICT (name) DO NOTHING",
                (name, _now()),
            )

    def position(self) -> int:
        rows = self.store.query(
            f"SELECT position FROM {TABLE} WHERE name = ?", (self.name,)
        )
        return int(rows[0][0]) if rows else 0

    def advance(self, position: int) -> None:
        """Everything up to ``position`` was delivered (never moves backwards)."""
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET position = ?, error = '', updated_at = ? "
                "WHERE name = ? AND position <= ?",
                (position, _now(), self.name, position),
            )

    def failed(self, error: str) -> None:
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET error = ?, updated_at = ? WHERE name = ?",
                (error[:500] or "failed", _now(), self.name),
            )

    def healthy(self) -> None:
        """Deliveries go through again: clear the last error."""
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET error = '', updated_at = ? "
                "WHERE name = ? AND error <> ''",
                (_now(), self.name),
            )

    def reset(self, position: int = 0) -> None:
        """Deliver again from ``position`` (operators, with the follower stopped:
        a running one reads its position only when it (re)connects)."""
        with self.store.transaction() as sql:
            sql.execute(
                f"UPDATE {TABLE} SET position = ?, updated_at = ? WHERE name = ?",
                (position, _now(), self.name),
            )


class ConsumerPositions:
    """The row of one NATS consumer: last acknowledged sequence, pending, error."""

    def __init__(self, store: ReadStore, name: str) -> None:
        self.store = store
        self.name = name
        self._last: tuple[int, int, str] | None = None
        with store.schema() as sql:
            sql.execute(
                f"CREATE TABLE IF NOT EXISTS {INBOX_TABLE} (name TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL, pending BIGINT NOT NULL, "
                "error TEXT NOT NULL, updated_at TEXT NOT NULL)"
            )
            sql.execute(
                f"INSERT INTO {INBOX_TABLE} (name, position, pending, error, "
                "updated_at) VALUES (?, 0, 0, '', ?) ON CONFLICT (name) DO NOTHING",
                (name, _now()),
            )

    def record(self, position: int | None, pending: int, error: str = "") -> None:
        """Write only what changed (an idle consumer polls every second)."""
        with self.store.transaction() as sql:
            if position is not None:
                sql.execute(
                    f"UPDATE {INBOX_TABLE} SET position = ? WHERE name = ? "
                    "AND position < ?",
                    (position, self.name, position),
                )
            state = (position or 0, pending, error)
            if state == self._last:
                return
            sql.execute(
                f"UPDATE {INBOX_TABLE} SET pending = ?, error = ?, updated_at = ? "
                "WHERE name = ?",
                (pending, error[:500], _now(), self.name),
            )
            self._last = state

    def failed(self, error: str) -> None:
        self.record(None, self._last[1] if self._last else 0, error or "failed")


def statuses(store: ReadStore, log_position: int) -> list[FollowerStatus]:
    """Every follower that has run against this store (none: no table yet)."""
    found: list[FollowerStatus] = []
    if exists(store):
        rows = store.query(
            f"SELECT name, position, error, updated_at FROM {TABLE} ORDER BY name"
        )
        found += [
            FollowerStatus(str(n), int(p), log_position, str(e), str(u))
            for n, p, e, u in rows
        ]
    if exists(store, INBOX_TABLE):
        rows = store.query(
            f"SELECT name, position, pending, error, updated_at FROM {INBOX_TABLE} "
            "ORDER BY name"
        )
        found += [
            FollowerStatus(str(n), int(p), log_position, str(e), str(u), int(q))
            for n, p, q, e, u in rows
        ]
    return found


def exists(store: ReadStore, table: str = TABLE) -> bool:
    if store.dialect == "postgres":
        query = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
    else:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return bool(store.query(query, (table,)))
