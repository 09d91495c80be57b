"""One writer at a time per SQLite file in this process (embedded default).

The event store (eventsourcing's SQLite recorder, with its own connection pool)
and the read store (``adapters.readstore.sqlite``) share one database file.
SQLite itself allows one writer per file, but the two sides used to queue for
it in different places: the projector held the file's write lock (``BEGIN
IMMEDIATE``) and then asked the event store's pool for a connection to read
the log, while command threads had taken every pool slot and waited for the
pool's writer, whose ``INSERT`` waited for the projector's lock — a deadlock
broken only by timeouts ("unexpected error" for concurrent commands).

Every write transaction on the file therefore takes ``writer_lock(path)``
first, *before* any pool slot or SQLite lock: waiting writers hold nothing,
and a thread that already writes can always get a read connection. SQLite's
busy timeout still covers other processes (e.g. a CLI command beside
``motcua serve``); WAL lets readers go on while one writer writes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, OperationalError
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteFactory
from eventsourcing.utils import Environment, EnvType

from adapters.append_only import sqlite_triggers

WRITER_TIMEOUT_SECONDS = 30.0
"""How long a write waits for the file's other writers in this process."""

POOL_TIMEOUT_SECONDS = 30.0
"""How long a read waits for a free connection of the event store's pool."""

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def _key(path: str) -> str | None:
    if not path or ":memory:" in path or "mode=memory" in path:
        return None
    return os.path.realpath(path)


@contextmanager
def writer_lock(path: str, timeout: float = WRITER_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the in-process write lock of the SQLite file at ``path``.

    Re-entrant, so a thread that writes may write again (e.g. a nested save).
    In-memory databases are private to a connection and need no lock.
    """
    key = _key(path)
    if key is None:
        yield
        return
    with _locks_guard:
        lock = _locks.setdefault(key, threading.RLock())
    if not lock.acquire(timeout=timeout):
        msg = f"SQLite file {path} busy: no write turn within {timeout:g} s"
        raise OperationalError(msg)
    try:
        yield
    finally:
        lock.release()


class SerializedSQLiteDatastore(SQLiteDatastore):
    """eventsourcing's SQLite datastore whose writers queue on ``writer_lock``."""

    def __init__(self, db_name: str, **kwargs: Any) -> None:
        super().__init__(db_name, **kwargs)
        self.db_name = db_name

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        if not commit:
            with super().transaction(commit=False) as cursor:
                yield cursor
            return
        with writer_lock(self.db_name), super().transaction(commit=True) as cursor:
            yield cursor


class SerializedSQLiteFactory(SQLiteFactory):
    """``PERSISTENCE_MODULE`` for the embedded default (see module docstring)."""

    def application_recorder(self) -> ApplicationRecorder:
        recorder = super().application_recorder()
        if self.env_create_table():
            # History is append-only (adapters/append_only.py).
            with self.datastore.transaction(commit=True) as cursor:
                for statement in sqlite_triggers("stored_events"):
                    cursor.execute(statement)
        return recorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        plain = self.datastore
        self.datastore = SerializedSQLiteDatastore(
            plain.pool.db_name,
            lock_timeout=plain.pool.lock_timeout,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            single_row_tracking=plain.single_row_tracking,
            originator_id_type=plain.originator_id_type,
        )
        plain.close()
