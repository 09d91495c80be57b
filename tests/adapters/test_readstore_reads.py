"""A read-model read on PostgreSQL is one round trip (the statement alone,
autocommit), and leaves the pool's connections as it found them: writes still
run in transactions that roll back whole."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

import pytest
from psycopg import pq

from adapters.readstore.postgres import PostgresReadStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresReadStore]:
    opened = PostgresReadStore(postgres_url, max_size=1)  # one connection: traced
    try:
        with opened.transaction() as sql:
            sql.execute("CREATE TABLE IF NOT EXISTS rt (k TEXT PRIMARY KEY, v INT)")
            sql.execute("DELETE FROM rt")
            sql.execute("INSERT INTO rt VALUES ('a', 1), ('b', 2)")
        yield opened
    finally:
        opened.close()


def round_trips(store: PostgresReadStore, read: str) -> tuple[int, list[object]]:
    """Messages that wait for the server (``Sync`` of a statement, or a
    simple ``Query`` such as ``BEGIN``) sent while ``read`` runs."""
    with tempfile.TemporaryFile("w+") as trace:
        with store._pool.connection() as connection:
            connection.pgconn.trace(trace.fileno())
            connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            rows = store.query(read, ("a",))
        finally:
            with store._pool.connection() as connection:
                connection.pgconn.untrace()
        trace.seek(0)
        sent = [line.rstrip("\n").split("\t") for line in trace]
    # Lines read: direction, length, message[, its fields].
    waits = [m for m in sent if m[0] == "F" and m[2] in ("Sync", "Query")]
    return len(waits), list(rows)


def test_a_read_is_one_round_trip(store: PostgresReadStore) -> None:
    read = "SELECT v FROM rt WHERE k = ?"
    store.query(read, ("a",))  # prepared on first use

    trips, rows = round_trips(store, read)

    assert rows == [(1,)]
    assert trips == 1


def test_reads_leave_writes_transactional(store: PostgresReadStore) -> None:
    for _ in range(3):
        store.query("SELECT v FROM rt WHERE k = ?", ("a",))

    def half_done() -> None:
        with store.transaction() as sql:
            sql.execute("UPDATE rt SET v = 99 WHERE k = ?", ("a",))
            raise RuntimeError("a handler failed half-way")

    with pytest.raises(RuntimeError):
        half_done()

    assert store.query("SELECT v FROM rt ORDER BY k") == [(1,), (2,)]


def test_a_failed_read_leaves_the_store_usable(store: PostgresReadStore) -> None:
    with pytest.raises(Exception, match="no_such_table"):
        store.query("SELECT * FROM no_such_table")

    assert store.query("SELECT v FROM rt WHERE k = ?", ("b",)) == [(2,)]
    with store.transaction() as sql:
        sql.execute("UPDATE rt SET v = 3 WHERE k = ?", ("b",))
    assert store.query("SELECT v FROM rt WHERE k = ?", ("b",)) == [(3,)]


@pytest.mark.parametrize("value", ["a\x00", "\ud800"])
def test_a_value_no_row_can_hold_matches_nothing(
    store: PostgresReadStore, value: str
) -> None:
    assert store.query("SELECT v FROM rt WHERE k = ?", (value,)) == []


@pytest.mark.postgres
def test_a_read_after_the_server_restarted_is_answered() -> None:
    """Every pooled connection died with the server; a lone read is repeated
    on a new one instead of failing once per stale connection."""
    from tests.services import TemporaryPostgres

    with TemporaryPostgres() as server:
        url = server.create_database("restarted")
        store = PostgresReadStore(url, max_size=3)
        try:
            pooled = [store._pool.getconn() for _ in range(3)]
            for connection in pooled:
                store._pool.putconn(connection)
            assert store.query("SELECT 1") == [(1,)]
            server.restart(mode="immediate")
            answers = [store.query("SELECT 2") for _ in range(4)]
        finally:
            store.close()

    assert answers == [[(2,)]] * 4
