"""The log seal: a running hash over every stored row, in position order.

The write path only chains each event to its own stream (application/chain.py);
the sealer follows the whole log like a projector, after the fact, so writers
never queue for a global hash. For each notification it stores one
``audit_seal`` row::

    row_hash  = SHA-256("motcua.row.v1" | position | originator | version
                        | topic | stored state)
    running   = SHA-256(previous running | row_hash)

and every so often a signed *checkpoint* (position, running hash, time) in
``audit_checkpoints``. A checkpoint's signature vouches for every seal row up
to it: an edited seal table no longer reproduces the signed running hash.
Both tables are append-only like the event table (triggers; on PostgreSQL
also grants, see adapters/audit_store.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from projections.ports import ReadStore, Sql

SEAL = "audit_seal"
CHECKPOINTS = "audit_checkpoints"
_ROW_DOMAIN = b"motcua.row.v1\x00"
_LOCK_KEY = 0x6D6F74637561  # "motcua": one sealer at a time on PostgreSQL
ZERO = "0" * 64


def row_hash(
    position: int, originator_id: object, version: int, topic: str, state: bytes
) -> bytes:
    digest = hashlib.sha256(_ROW_DOMAIN)
    digest.update(int(position).to_bytes(8, "big", signed=True))
    digest.update(str(originator_id).encode())
    digest.update(b"\x00")
    digest.update(int(version).to_bytes(8, "big", signed=True))
    digest.update(topic.encode())
    digest.update(b"\x00")
    digest.update(bytes(state))
    return digest.digest()


def notification_hash(n: Notification) -> bytes:
    return row_hash(n.id, n.originator_id, n.originator_version, n.topic, n.state)


def running_hash(previous: bytes, row: bytes) -> bytes:
    return hashlib.sha256(previous + row).digest()


class CheckpointSigner(Protocol):
    """The agency key that signs checkpoints (a PKI signer can replace it)."""

    key_id: str
    algorithm: str

    def sign(self, message: bytes) -> bytes: ...


class CheckpointTimestamper(Protocol):
    """An RFC 3161 time-stamping authority (optional)."""

    def timestamp(self, message: bytes) -> bytes: ...


@dataclass(frozen=True)
class Checkpoint:
    position: int
    running_hash: str
    sealed_at: str
    key_id: str
    algorithm: str
    signature: str
    """Hex of the signature over ``message()``."""
    timestamp_token: str | None = None

    def message(self) -> bytes:
        return checkpoint_message(self.position, self.running_hash, self.sealed_at)

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "runningHash": self.running_hash,
            "sealedAt": self.sealed_at,
            "keyId": self.key_id,
            "algorithm": self.algorithm,
            "signature": self.signature,
            "timestampToken": self.timestamp_token,
        }


def checkpoint_message(position: int, running: str, sealed_at: str) -> bytes:
    """The exact bytes a checkpoint signature covers (canonical JSON)."""
    body = {"position": position, "runningHash": running, "sealedAt": sealed_at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sqlite_append_only(table: str) -> list[str]:
    """SQLite triggers that refuse UPDATE and DELETE on ``table``."""
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{verb.lower()} "
        f"BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ]


def exists(sql: Sql, relation: str) -> bool:
    """Whether a table or index exists (PostgreSQL: DDL on tables an
    administrator owns is refused even with IF NOT EXISTS, so it is skipped)."""
    if sql.dialect != "postgres":
        return False
    return bool(sql.query("SELECT to_regclass(?) IS NOT NULL", (relation,))[0][0])


def ensure_seal_tables(sql: Sql) -> None:
    if exists(sql, f"ix_{SEAL}_stream"):
        return
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {SEAL} (position BIGINT PRIMARY KEY, "
        "originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, "
        "row_hash TEXT NOT NULL, running_hash TEXT NOT NULL)"
    )
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (position BIGINT PRIMARY KEY, "
        "running_hash TEXT NOT NULL, sealed_at TEXT NOT NULL, key_id TEXT NOT NULL, "
        "algorithm TEXT NOT NULL, signature TEXT NOT NULL, timestamp_token TEXT)"
    )
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS ix_{SEAL}_stream "
        f"ON {SEAL} (originator_id, originator_version)"
    )
    if sql.dialect == "sqlite":  # PostgreSQL: grants (adapters/append_only.py)
        for table in (SEAL, CHECKPOINTS):
            for statement in sqlite_append_only(table):
                sql.execute(statement)


def seal_head(sql: Sql) -> tuple[int, str]:
    rows = sql.query(
        f"SELECT position, running_hash FROM {SEAL} ORDER BY position DESC LIMIT 1"
    )
    return (int(rows[0][0]), str(rows[0][1])) if rows else (0, ZERO)


def checkpoints(sql: Sql) -> list[Checkpoint]:
    rows = sql.query(
        f"SELECT position, running_hash, sealed_at, key_id, algorithm, signature, "
        f"timestamp_token FROM {CHECKPOINTS} ORDER BY position"
    )
    return [
        Checkpoint(
            int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), r[6]
        )
        for r in rows
    ]


def seal_rows(
    store: ReadStore, start: int = 0, stop: int | None = None, page: int = 5000
) -> Iterator[tuple[int, str, int, str, str]]:
    """(position, originator, version, row hash, running hash) from ``start`` on."""
    position = start
    while True:
        query = (
            f"SELECT position, originator_id, originator_version, row_hash, "
            f"running_hash FROM {SEAL} WHERE position > ?"
        )
        params: list[Any] = [position]
        if stop is not None:
            query += " AND position <= ?"
            params.append(stop)
        rows = store.query(query + f" ORDER BY position LIMIT {page}", params)
        for r in rows:
            yield int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])
        if len(rows) < page:
            return
        position = int(rows[-1][0])


class Sealer:
    """Follows the log into ``audit_seal``; signs checkpoints now and then."""

    def __init__(
        self,
        app: Application[UUID],
        store: ReadStore,
        signer: CheckpointSigner | None = None,
        *,
        batch_size: int = 5000,
        checkpoint_events: int = 10_000,
        checkpoint_seconds: float = 300.0,
        timestamper: CheckpointTimestamper | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.store = store
        self.signer = signer
        self.batch_size = batch_size
        self.checkpoint_events = checkpoint_events
        self.checkpoint_seconds = checkpoint_seconds
        self.timestamper = timestamper
        self.clock = clock
        self._sealed = 0
        """The seal head as last seen (a quick no-op when the log is no longer)."""
        self._checked = float("-inf")
        with store.transaction() as sql:
            ensure_seal_tables(sql)

    def step(self) -> int:
        """Seal one batch; returns how many notifications it covered."""
        if (self.app.recorder.max_notification_id() or 0) <= self._sealed:
            return 0  # nothing new: no write transaction at all
        with self.store.transaction() as sql:
            if sql.dialect == "postgres":
                sql.execute("SELECT pg_advisory_xact_lock(?)", (_LOCK_KEY,))
            position, running_hex = seal_head(sql)
            self._sealed = position
            head = self.app.recorder.max_notification_id() or 0
            if head <= position:
                return 0
            notifications = self.app.recorder.select_notifications(
                start=position,
                limit=self.batch_size,
                stop=head,
                inclusive_of_start=False,
            )
            running = bytes.fromhex(running_hex)
            rows = []
            for n in notifications:
                row = notification_hash(n)
                running = running_hash(running, row)
                rows.append(
                    (
                        n.id,
                        str(n.originator_id),
                        n.originator_version,
                        row.hex(),
                        running.hex(),
                    )
                )
            sql.insert_rows(
                f"INSERT INTO {SEAL} (position, originator_id, originator_version, "
                "row_hash, running_hash) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            sealed = len(rows)
        self._sealed = max(self._sealed, rows[-1][0] if rows else 0)
        return sealed

    def catch_up(self) -> int:
        total = 0
        while True:
            count = self.step()
            total += count
            if not count:
                break
        now = time.monotonic()
        if total or now - self._checked >= 1.0:  # time-based checkpoints too
            self._checked = now
            if self._checkpoint_due():
                self.checkpoint()
        return total

    def _checkpoint_due(self) -> bool:
        if self.signer is None:
            return False
        with self.store.transaction() as sql:
            position, _ = seal_head(sql)
            last = sql.query(
                f"SELECT position, sealed_at FROM {CHECKPOINTS} "
                "ORDER BY position DESC LIMIT 1"
            )
        if position == 0 or (last and int(last[0][0]) >= position):
            return False
        if not last or position - int(last[0][0]) >= self.checkpoint_events:
            return True
        age = self.clock() - datetime.fromisoformat(str(last[0][1]))
        return age.total_seconds() >= self.checkpoint_seconds

    def checkpoint(self) -> Checkpoint | None:
        """Sign the current seal head (nothing when it is signed already)."""
        if self.signer is None:
            return None
        with self.store.transaction() as sql:
            if sql.dialect == "postgres":
                sql.execute("SELECT pg_advisory_xact_lock(?)", (_LOCK_KEY,))
            position, running = seal_head(sql)
            done = sql.query(
                f"SELECT 1 FROM {CHECKPOINTS} WHERE position >= ?", (position,)
            )
            if position == 0 or done:
                return None
            sealed_at = self.clock().astimezone(UTC).isoformat()
            message = checkpoint_message(position, running, sealed_at)
            token = (
                self.timestamper.timestamp(message).hex()
                if self.timestamper is not None
                else None
            )
            made = Checkpoint(
                position,
                running,
                sealed_at,
                self.signer.key_id,
                self.signer.algorithm,
                self.signer.sign(message).hex(),
                token,
            )
            sql.execute(
                f"INSERT INTO {CHECKPOINTS} (position, running_hash, sealed_at, "
                "key_id, algorithm, signature, timestamp_token) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    made.position,
                    made.running_hash,
                    made.sealed_at,
                    made.key_id,
                    made.algorithm,
                    made.signature,
                    made.timestamp_token,
                ),
            )
            return made
