"""One writer per SQLite file in a process: event store and read store queue together.

In-process counterpart of tests/integration/test_sqlite_concurrent_writes.py:
the projector thread follows the log while many threads save, the way the
embedded default runs (this used to deadlock until the pool timed out).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from eventsourcing.persistence import OperationalError

from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import Settings
from adapters.sqlite_writer import SerializedSQLiteDatastore, writer_lock
from api.wiring import build_application, build_projector, build_read_store
from application.clock import trace_for
from projections.worklist import WorklistView
from tests.factories import APPLICANT, BIRTH, citizen, document, seed_catalogue

THREADS = 24


def test_parallel_saves_beside_a_following_projector(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'motcua.db'}")
    onestop = build_application(settings)
    assert isinstance(onestop.recorder.datastore, SerializedSQLiteDatastore)  # type: ignore[attr-defined]
    store = build_read_store(settings)
    projector = build_projector(onestop, store)
    stop = threading.Event()
    follower = threading.Thread(
        target=projector.run_forever, args=(stop, lambda timeout: time.sleep(0.001))
    )
    try:
        seed_catalogue(onestop)
        follower.start()
        barrier = threading.Barrier(THREADS)
        uploads = {  # the citizen's own uploads, before the timed part
            n: {
                "TP1": document(f"{n}a", onestop, citizen()),
                "TP2": document(f"{n}b", onestop, citizen()),
            }
            for n in range(THREADS)
        }

        def submit(n: int) -> float:
            barrier.wait(timeout=30)
            started = time.monotonic()
            onestop.submit_dossier(
                trace=trace_for(citizen()),
                applicant=APPLICANT,
                procedure_code=BIRTH,
                documents=uploads[n],
            )
            return time.monotonic() - started

        with ThreadPoolExecutor(THREADS) as pool:
            waits = list(pool.map(submit, range(THREADS)))
        # ~0.1 s measured; the old deadlock ended only at the 5 s pool timeout.
        assert max(waits) < 2.0, waits
        head = onestop.recorder.max_notification_id() or 0
        assert projector.wait(head, 10.0)
        assert len(WorklistView(store).recent(limit=1000)) == THREADS
    finally:
        stop.set()
        follower.join(10)
        store.close()
        onestop.close()


def test_the_lock_is_shared_by_path_and_reentrant(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db")
    other = str(tmp_path / "." / "x.db")  # the same file, spelt differently
    entered = threading.Event()

    def wait_for_it() -> None:
        with writer_lock(other):
            entered.set()

    with writer_lock(path), writer_lock(other):  # re-entrant in one thread
        waiter = threading.Thread(target=wait_for_it, daemon=True)
        waiter.start()
        assert not entered.wait(0.2), "another thread waited for the same file"
    assert entered.wait(5)


def test_a_writer_that_waits_too_long_gets_a_clear_error(tmp_path: Path) -> None:
    path = str(tmp_path / "busy.db")
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with writer_lock(path):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(5)
        with pytest.raises(OperationalError, match="busy"), writer_lock(path, 0.1):
            pass
    finally:
        release.set()
        holder.join(10)


def test_in_memory_databases_need_no_lock() -> None:
    with writer_lock(":memory:"), writer_lock(":memory:"):
        pass
    store = SQLiteReadStore(":memory:")
    try:
        with store.transaction() as sql:
            sql.execute("CREATE TABLE t (x INTEGER)")
        assert store.query("SELECT COUNT(*) FROM t")[0][0] == 0
    finally:
        store.close()
