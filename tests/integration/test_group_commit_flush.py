"""Group commit takes the table lock for the insert only: on real PostgreSQL a
save is acknowledged only once its commit is flushed to disk, and readers that
tail the log by position still miss nothing while threads of several
processes write at once."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from adapters.postgres_recorder import GroupCommitRecorder
from adapters.settings import persistence_env
from application.onestop import OneStop
from tests.factories import receive, seed_catalogue
from tests.services import TemporaryPostgres

pytestmark = pytest.mark.postgres


class UnconfirmedRecorder(GroupCommitRecorder):
    """The same recorder without the confirmation after the COMMIT (control)."""

    _after_commit = b""


@pytest.fixture(scope="module")
def quiet_durable_server() -> Iterator[TemporaryPostgres]:
    """fsync and synchronous commits on; the WAL writer and autovacuum kept
    from flushing on their own, so only a commit that waits flushes WAL."""
    server = TemporaryPostgres(
        durable=True,
        settings={
            "wal_writer_delay": "10000ms",
            "wal_writer_flush_after": "1GB",
            "autovacuum": "off",
        },
    ).start()
    try:
        yield server
    finally:
        server.stop()


def wal_positions(url: str) -> tuple[int, int]:
    """(inserted, flushed) WAL positions, as bytes from the start."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_current_wal_insert_lsn() - '0/0', "
            "pg_current_wal_flush_lsn() - '0/0'"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.parametrize(
    ("recorder", "confirmed"),
    [("GroupCommitRecorder", True), ("UnconfirmedRecorder", False)],
)
def test_a_save_is_acknowledged_only_once_its_commit_is_on_disk(
    quiet_durable_server: TemporaryPostgres, recorder: str, confirmed: bool
) -> None:
    module = "adapters.postgres_recorder" if confirmed else __name__
    url = quiet_durable_server.create_database(f"flush_{recorder.lower()}")
    env = persistence_env(url) | {"APPLICATION_RECORDER_TOPIC": f"{module}:{recorder}"}
    app = OneStop(env=env)
    try:
        seed_catalogue(app)
        assert type(app.recorder).__name__ == recorder
        unflushed = []
        for _ in range(5):
            receive(app)  # acknowledged: returned
            inserted, flushed = wal_positions(url)
            unflushed.append(inserted - flushed)
    finally:
        app.close()
        quiet_durable_server.drop_database(f"flush_{recorder.lower()}")
    if confirmed:
        assert all(n <= 0 for n in unflushed), unflushed
    else:  # the control shows the check sees an unflushed commit
        assert all(n > 0 for n in unflushed), unflushed


def test_a_reader_confirms_what_it_read_is_on_disk_before_acting_outside(
    quiet_durable_server: TemporaryPostgres,
) -> None:
    """Rows saved without waiting for their flush (the control recorder
    stands for a group another process has not confirmed yet): after
    ``confirm_durable`` — what the NATS outbox calls between reading and
    publishing — every one of them is flushed."""
    name = "flush_reader"
    url = quiet_durable_server.create_database(name)
    env = persistence_env(url) | {
        "APPLICATION_RECORDER_TOPIC": f"{__name__}:UnconfirmedRecorder"
    }
    app = OneStop(env=env)
    try:
        seed_catalogue(app)
        receive(app)
        inserted, flushed = wal_positions(url)
        assert inserted > flushed, "the control left its commit unflushed"
        app.recorder.confirm_durable()  # type: ignore[attr-defined]
        _, flushed = wal_positions(url)
        assert flushed >= inserted
    finally:
        app.close()
        quiet_durable_server.drop_database(name)


def _write_from_a_process(url: str, saves: int, threads: int) -> int:
    app = OneStop(env=persistence_env(url))
    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda _: receive(app), range(saves)))
        recorder = app.recorder
        assert isinstance(recorder, GroupCommitRecorder)
        return recorder.groups
    finally:
        app.close()


def test_a_reader_tailing_by_position_misses_nothing_across_processes(
    postgres_url: str,
) -> None:
    """Three processes × 4 threads save at once while a reader follows the
    log as projections do (rows after the last position it saw). Commit
    order = notification-id order under the table lock, so the reader's
    positions never jump over a row that commits later."""
    app = OneStop(env=persistence_env(postgres_url))
    seed_catalogue(app)
    app.close()
    done = threading.Event()
    seen: list[int] = []

    def follow() -> None:
        position = 0
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            while True:
                finished = done.is_set()
                rows = conn.execute(
                    "SELECT notification_id FROM motcua_events "
                    "WHERE notification_id > %s ORDER BY notification_id",
                    (position,),
                ).fetchall()
                if rows:
                    seen.extend(r[0] for r in rows)
                    position = rows[-1][0]
                elif finished:
                    return

    reader = threading.Thread(target=follow)
    reader.start()
    context = multiprocessing.get_context("spawn")
    try:
        with context.Pool(3) as pool:
            groups = pool.starmap(_write_from_a_process, [(postgres_url, 60, 4)] * 3)
    finally:
        done.set()
        reader.join(timeout=60)
    with psycopg.connect(postgres_url) as conn:
        stored = [
            r[0]
            for r in conn.execute(
                "SELECT notification_id FROM motcua_events ORDER BY notification_id"
            ).fetchall()
        ]
        dossiers = conn.execute(
            "SELECT count(*) FROM motcua_events "
            "WHERE topic = 'domain.dossier:Dossier.ReceivedAtDesk'"
        ).fetchone()
    assert dossiers is not None
    assert dossiers[0] == 180, "every save once"
    assert seen == stored, "the reader saw every row, in order, none skipped"
    assert sum(groups) > 0, "threads of a process shared transactions"
