"""The test harness's real servers start, serve, restart and clean up."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import nats
import psycopg
import pytest
import redis

from tests.services import (
    ExternalPostgres,
    PostgresServer,
    ServiceUnavailableError,
    TemporaryNats,
    TemporaryPostgres,
    TemporaryRedis,
)


def _temporary(server: PostgresServer) -> TemporaryPostgres:
    if isinstance(server, ExternalPostgres):
        pytest.skip(
            "MOTCUA_TEST_POSTGRES_URL is set: the server is not ours to restart"
        )
    assert isinstance(server, TemporaryPostgres)
    return server


# -- PostgreSQL ---------------------------------------------------------------


def test_postgres_accepts_a_query(postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_server.url) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version_num')::int"
        ).fetchone()
    assert row is not None
    assert row[0] >= 150000


def test_postgres_creates_and_drops_databases(postgres_server: PostgresServer) -> None:
    name = f"svc_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    assert url.endswith(f"/{name}")
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
        row = conn.execute("SELECT current_database(), count(*) FROM t").fetchone()
    assert row == (name, 1)
    # An open connection must not prevent the drop.
    lingering = psycopg.connect(url)
    try:
        postgres_server.drop_database(name)
    finally:
        lingering.close()
    with psycopg.connect(postgres_server.url) as conn:
        exists = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    assert exists == (0,)


def test_postgres_rejects_unsafe_database_names(
    postgres_server: PostgresServer,
) -> None:
    with pytest.raises(ValueError, match="invalid database name"):
        postgres_server.create_database('x"; DROP DATABASE postgres; --')


def test_postgres_url_fixture_gives_a_fresh_database(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute(
            "SELECT current_database(), "
            "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')"
        ).fetchone()
    assert row is not None
    assert row[0].startswith("test_")
    assert row[1] == 0


def test_postgres_restart_keeps_data(postgres_server: PostgresServer) -> None:
    server = _temporary(postgres_server)
    url = server.create_database(f"svc_{uuid.uuid4().hex[:12]}")
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
    port = server.port

    server.restart()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (1,)
        # synchronous_commit is off on the test server: an immediate
        # (crash-like) shutdown can lose the last commits unless they are
        # made synchronous.
        conn.execute("SET synchronous_commit = on")
        conn.execute("INSERT INTO t VALUES (2)")

    server.restart(mode="immediate")
    assert server.port == port
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)


# -- Redis --------------------------------------------------------------------


def test_redis_set_get(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.set("motcua:test", "xin chào")
        assert client.get("motcua:test") == "xin chào".encode()
    finally:
        client.close()


def test_redis_restart_keeps_serving(redis_server: TemporaryRedis) -> None:
    url = redis_server.url
    client = redis.Redis.from_url(url)
    try:
        client.set("before", "1")
    finally:
        client.close()

    redis_server.restart()

    assert redis_server.url == url
    client = redis.Redis.from_url(url)
    try:
        assert client.ping()
        assert client.get("before") is None  # not persistent, by design
        client.set("after", "2")
        assert client.get("after") == b"2"
    finally:
        client.close()


# -- NATS ---------------------------------------------------------------------


async def test_nats_jetstream_publish_and_consume(nats_server: TemporaryNats) -> None:
    stream = f"S{uuid.uuid4().hex[:12]}"
    nc = await nats.connect(nats_server.url, allow_reconnect=False)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{stream}.>"])
        ack = await js.publish(f"{stream}.hello", b"payload")
        assert ack.stream == stream
        assert ack.seq == 1
        sub = await js.pull_subscribe(f"{stream}.>", durable="reader")
        messages = await sub.fetch(1, timeout=5)
        assert [m.data for m in messages] == [b"payload"]
        await messages[0].ack()
    finally:
        await nc.close()


async def test_nats_restart_keeps_streams(nats_server: TemporaryNats) -> None:
    stream = f"S{uuid.uuid4().hex[:12]}"
    url = nats_server.url
    nc = await nats.connect(url, allow_reconnect=False)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{stream}.>"])
        await js.publish(f"{stream}.kept", b"survives")
    finally:
        await nc.close()

    nats_server.restart()

    assert nats_server.url == url
    nc = await nats.connect(url, allow_reconnect=False)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        assert info.state.messages == 1
        sub = await js.pull_subscribe(f"{stream}.>", durable="after_restart")
        messages = await sub.fetch(1, timeout=5)
        assert [m.data for m in messages] == [b"survives"]
    finally:
        await nc.close()


# -- life cycle ---------------------------------------------------------------


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_stop_kills_the_process_and_deletes_the_directory() -> None:
    with TemporaryRedis() as server:
        pid = server.pid
        directory = server.directory
        assert pid is not None
        assert directory.is_dir()
    assert _gone(pid)
    assert not directory.exists()
    server.stop()  # idempotent


def test_cleanup_also_happens_on_exceptions() -> None:
    server = TemporaryNats()
    seen: list[tuple[int | None, Path]] = []

    def fail_inside() -> None:
        with server:
            seen.append((server.pid, server.directory))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    [(pid, directory)] = seen
    assert pid is not None
    assert _gone(pid)
    assert not directory.exists()


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(ServiceUnavailableError, match=r"redis-server.*not found"):
        TemporaryRedis()
