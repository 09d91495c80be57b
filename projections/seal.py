"""The log seal: a running hash over every stored row, in position order.

The write path only chains each event to its own stream (application/chain.py);
the sealer follows the whole log like a projector, after the fact, so writers
never queue for a global hash. For each notification it stores one
``audit_seal`` row::

    row_hash  = SHA-256("motcua.row.v1" | position | originator | version
                        | topic | stored state)
    running   = SHA-256(previous running | row_hash)

and every so often a signed *checkpoint* (position, running hash, time, and
the Merkle tree head of the rows since the previous checkpoint, see
projections/merkle.py) in ``audit_checkpoints``. A checkpoint's signature
vouches for every seal row up to it: an edited seal table no longer
reproduces the signed running hash; one event's proof is its audit path in
its span's tree. Besides the Ed25519 key, the agency's seal certificate signs
the same message (CMS) when a PKI is configured, and an RFC 3161 authority
stamps it when one is.
Both tables are append-only like the event table (triggers; on PostgreSQL
also grants, see adapters/audit_store.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

import structlog
from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from projections.merkle import tree_root
from projections.ports import ReadStore, Sql, table_columns

_log = structlog.get_logger(__name__)

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


class CheckpointSeal(Protocol):
    """The agency's seal certificate (PKI): a detached CMS signature (DER)."""

    def sign(self, message: bytes) -> bytes: ...


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
    span_start: int | None = None
    """First log position of the span since the previous checkpoint."""
    merkle_root: str | None = None
    """Tree head of that span's row hashes; None on checkpoints made before
    spans had one (their events prove by the running hash)."""
    seal_cms: str | None = None
    """Hex of the agency seal's detached CMS signature over ``message()``."""

    def message(self) -> bytes:
        return checkpoint_message(
            self.position,
            self.running_hash,
            self.sealed_at,
            self.span_start,
            self.merkle_root,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "runningHash": self.running_hash,
            "sealedAt": self.sealed_at,
            "keyId": self.key_id,
            "algorithm": self.algorithm,
            "signature": self.signature,
            "timestampToken": self.timestamp_token,
            "spanStart": self.span_start,
            "merkleRoot": self.merkle_root,
            "sealCms": self.seal_cms,
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Checkpoint:
        def optional(name: str) -> str | None:
            value = body.get(name)
            return None if value is None else str(value)

        span = body.get("spanStart")
        return cls(
            position=int(body["position"]),
            running_hash=str(body["runningHash"]),
            sealed_at=str(body["sealedAt"]),
            key_id=str(body["keyId"]),
            algorithm=str(body["algorithm"]),
            signature=str(body["signature"]),
            timestamp_token=optional("timestampToken"),
            span_start=None if span is None else int(span),
            merkle_root=optional("merkleRoot"),
            seal_cms=optional("sealCms"),
        )


_COLUMNS = (
    "position, running_hash, sealed_at, key_id, algorithm, signature, "
    "timestamp_token, span_start, merkle_root, seal_cms"
)


def checkpoint_of(row: Sequence[Any]) -> Checkpoint:
    """A checkpoint from a row of ``SELECT {_COLUMNS}``."""
    return Checkpoint(
        int(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        str(row[5]),
        row[6],
        None if row[7] is None else int(row[7]),
        row[8],
        row[9],
    )


def checkpoint_message(
    position: int,
    running: str,
    sealed_at: str,
    span_start: int | None = None,
    merkle_root: str | None = None,
) -> bytes:
    """The exact bytes a checkpoint signature covers (canonical JSON; the
    span's tree head only on checkpoints that have one)."""
    body: dict[str, Any] = {
        "position": position,
        "runningHash": running,
        "sealedAt": sealed_at,
    }
    if merkle_root is not None:
        body.update(merkleRoot=merkle_root, spanStart=span_start)
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


_ADDED = (("span_start", "BIGINT"), ("merkle_root", "TEXT"), ("seal_cms", "TEXT"))
"""Checkpoint columns added after the table first shipped."""


def ensure_seal_tables(sql: Sql) -> None:
    if exists(sql, f"ix_{SEAL}_stream"):
        _add_columns(sql)
        return
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {SEAL} (position BIGINT PRIMARY KEY, "
        "originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, "
        "row_hash TEXT NOT NULL, running_hash TEXT NOT NULL)"
    )
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (position BIGINT PRIMARY KEY, "
        "running_hash TEXT NOT NULL, sealed_at TEXT NOT NULL, key_id TEXT NOT NULL, "
        "algorithm TEXT NOT NULL, signature TEXT NOT NULL, timestamp_token TEXT, "
        "span_start BIGINT, merkle_root TEXT, seal_cms TEXT)"
    )
    _add_columns(sql)
    sql.execute(
        f"CREATE INDEX IF NOT EXISTS ix_{SEAL}_stream "
        f"ON {SEAL} (originator_id, originator_version)"
    )
    if sql.dialect == "sqlite":  # PostgreSQL: grants (adapters/append_only.py)
        for table in (SEAL, CHECKPOINTS):
            for statement in sqlite_append_only(table):
                sql.execute(statement)


def _add_columns(sql: Sql) -> None:
    """Columns a table made by an earlier version lacks (PostgreSQL: the
    tables' owner, i.e. ``motcua audit protect``, adds them after an upgrade)."""
    have = table_columns(sql, CHECKPOINTS)
    for name, kind in _ADDED:
        if name not in have:
            sql.execute(f"ALTER TABLE {CHECKPOINTS} ADD COLUMN {name} {kind}")


def seal_head(sql: Sql) -> tuple[int, str]:
    rows = sql.query(
        f"SELECT position, running_hash FROM {SEAL} ORDER BY position DESC LIMIT 1"
    )
    return (int(rows[0][0]), str(rows[0][1])) if rows else (0, ZERO)


def checkpoints(sql: Sql) -> list[Checkpoint]:
    rows = sql.query(f"SELECT {_COLUMNS} FROM {CHECKPOINTS} ORDER BY position")
    return [checkpoint_of(r) for r in rows]


def span_rows(store: ReadStore | Sql, start: int, stop: int) -> list[tuple[int, bytes]]:
    """(position, row hash) of the seal rows from ``start`` to ``stop``."""
    rows = store.query(
        f"SELECT position, row_hash FROM {SEAL} WHERE position >= ? "
        "AND position <= ? ORDER BY position",
        (start, stop),
    )
    return [(int(p), bytes.fromhex(str(h))) for p, h in rows]


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
        seal: CheckpointSeal | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.store = store
        self.signer = signer
        self.batch_size = batch_size
        self.checkpoint_events = checkpoint_events
        self.checkpoint_seconds = checkpoint_seconds
        self.timestamper = timestamper
        self.seal = seal
        self.clock = clock
        self._sealed = 0
        """The seal head as last seen (a quick no-op when the log is no longer)."""
        self._checked = float("-inf")
        with store.schema() as sql:
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

    def _optional(
        self, what: str, make: Callable[[bytes], bytes] | None, message: bytes
    ) -> str | None:
        """A timestamp or seal that cannot be had now (TSA down, no PKI
        configured) leaves the checkpoint with its own signature rather than
        leaving the log unsigned: ``audit verify`` accepts either."""
        if make is None:
            return None
        try:
            return make(message).hex()
        except Exception as error:  # any failure of the third party
            _log.warning(f"checkpoint_{what}_unavailable", error=str(error))
            return None

    def checkpoint(self) -> Checkpoint | None:
        """Sign the current seal head (nothing when it is signed already)."""
        if self.signer is None:
            return None
        with self.store.transaction() as sql:
            if sql.dialect == "postgres":
                sql.execute("SELECT pg_advisory_xact_lock(?)", (_LOCK_KEY,))
            position, running = seal_head(sql)
            previous = sql.query(f"SELECT MAX(position) FROM {CHECKPOINTS}")[0][0]
            previous = 0 if previous is None else int(previous)
            if position == 0 or previous >= position:
                return None
            start = previous + 1
            root = tree_root([h for _, h in span_rows(sql, start, position)]).hex()
            sealed_at = self.clock().astimezone(UTC).isoformat()
            message = checkpoint_message(position, running, sealed_at, start, root)
            token = self._optional(
                "timestamp",
                self.timestamper.timestamp if self.timestamper else None,
                message,
            )
            seal_cms = self._optional(
                "seal", self.seal.sign if self.seal else None, message
            )
            made = Checkpoint(
                position,
                running,
                sealed_at,
                self.signer.key_id,
                self.signer.algorithm,
                self.signer.sign(message).hex(),
                token,
                start,
                root,
                seal_cms,
            )
            sql.execute(
                f"INSERT INTO {CHECKPOINTS} ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    made.position,
                    made.running_hash,
                    made.sealed_at,
                    made.key_id,
                    made.algorithm,
                    made.signature,
                    made.timestamp_token,
                    made.span_start,
                    made.merkle_root,
                    made.seal_cms,
                ),
            )
            return made
