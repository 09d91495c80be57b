"""Rebuild a read model beside the live one, then swap it in atomically.

Readers keep using the old tables while the new copy catches up; the swap
moves the tracking position back to the new copy's, so events the live copy
applied meanwhile are applied again — to the new tables, exactly once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.application import Application

from projections import change_log, dead_letters
from projections.base import Projection
from projections.ports import ReadStore
from projections.registry import READ_MODELS
from projections.runtime import TRACKING, Projector, ensure_tracking

SHADOW = "__rebuild"


def rebuild_many(
    app: Application[UUID],
    store: ReadStore,
    names: Sequence[str],
    progress: Callable[[int], None] | None = None,
    *,
    batch_size: int = 1000,
) -> int:
    """Rebuild ``names`` beside their live copies in one pass over the log
    (each event decoded once for all of them), then swap each in: one
    transaction per read model, so each swap is atomic on its own."""
    shadows = [READ_MODELS[name](SHADOW) for name in names]
    with store.schema() as sql:
        ensure_tracking(sql)
        for shadow in shadows:
            shadow.drop(sql)
            sql.execute(
                f"DELETE FROM {TRACKING} WHERE name = ?", (shadow.tracking_name,)
            )
            dead_letters.clear(sql, shadow.tracking_name)
    projector = Projector(app, store, shadows, batch_size=batch_size)
    applied = projector.catch_up(progress)
    for name in names:
        _swap(store, name)
    return applied


def _swap(store: ReadStore, name: str) -> None:
    shadow = READ_MODELS[name](SHADOW)
    live = READ_MODELS[name]()
    with store.transaction() as sql:
        lock = " FOR UPDATE" if sql.dialect == "postgres" else ""
        existing = sql.query(
            f"SELECT position FROM {TRACKING} WHERE name = ?{lock}", (live.name,)
        )
        (position,) = sql.query(
            f"SELECT position FROM {TRACKING} WHERE name = ?", (shadow.tracking_name,)
        )[0]
        live.drop(sql)
        for logical in live.tables:
            sql.execute(
                f"ALTER TABLE {shadow.table(logical)} RENAME TO {live.table(logical)}"
            )
        sql.execute(f"DELETE FROM {TRACKING} WHERE name = ?", (shadow.tracking_name,))
        # What the copy could not apply replaces what the live copy could not.
        dead_letters.move(sql, shadow.tracking_name, live.tracking_name)
        # Processes caching this read model drop what they hold (change_log).
        change_log.record_everything(sql, live.name)
        # Update the live row in place rather than delete and re-insert it: a
        # batch queued on its row lock (PostgreSQL) then reads the new position
        # instead of finding the row gone (KeyError in Projector._apply_batch).
        if existing:
            sql.execute(
                f"UPDATE {TRACKING} SET position = ?, version = ?, "
                "updated_at = CURRENT_TIMESTAMP WHERE name = ?",
                (position, live.version, live.name),
            )
        else:
            sql.execute(
                f"INSERT INTO {TRACKING} (name, position, version, updated_at) "
                "VALUES (?, ?, ?, CURRENT_TIMESTAMP)",
                (live.name, position, live.version),
            )


def checksum(store: ReadStore, projection: Projection) -> str:
    """A digest of the read model's content, independent of row order and store."""
    digest = hashlib.sha256()
    with store.transaction() as sql:
        for logical in sorted(projection.tables):
            rows = sql.query(f"SELECT * FROM {projection.table(logical)}")
            encoded = sorted(
                json.dumps(list(r), default=str, ensure_ascii=False) for r in rows
            )
            digest.update(logical.encode())
            for line in encoded:
                digest.update(line.encode())
                digest.update(b"\n")
    return digest.hexdigest()
