"""Test harness: real PostgreSQL, Redis and NATS servers, started on demand.

Session-scoped fixtures start each server the first time a test asks for it
(unit tests that use none of them start nothing). A missing server binary
makes the requesting tests fail, never skip: CI must not go green by silently
running less.

``MOTCUA_TEST_POSTGRES_URL`` (a superuser URL, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``) makes the tests use that
server instead of starting one; restart tests are then skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from tests.services import (
    ExternalPostgres,
    PostgresServer,
    ServiceUnavailableError,
    TemporaryNats,
    TemporaryPostgres,
    TemporaryRedis,
    TemporaryService,
)

POSTGRES_URL_ENV = "MOTCUA_TEST_POSTGRES_URL"

#: Fixture name -> marker added to every test using that fixture.
_FIXTURE_MARKERS = {
    "postgres_server": "postgres",
    "postgres_url": "postgres",
    "redis_server": "redis",
    "redis_url": "redis",
    "nats_server": "nats",
}

S = TypeVar("S", bound=TemporaryService)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "nats: needs the nats-server (JetStream) the harness starts"
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    for item in items:
        fixturenames: list[str] = getattr(item, "fixturenames", [])
        for marker in sorted(
            {m for f, m in _FIXTURE_MARKERS.items() if f in fixturenames}
        ):
            item.add_marker(marker)


def _start(factory: Callable[[], S]) -> S:
    try:
        return factory().start()
    except ServiceUnavailableError as error:
        message = str(error)
    # Outside the except block, so the report shows only the message.
    pytest.fail(f"cannot start test server: {message}", pytrace=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (superuser ``postgres``)."""
    external = os.environ.get(POSTGRES_URL_ENV)
    if external:
        yield ExternalPostgres(external)
        return
    server = _start(TemporaryPostgres)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """URL of a fresh, empty database, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:20]}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[TemporaryRedis]:
    server = _start(TemporaryRedis)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: TemporaryRedis) -> str:
    """URL of the session's Redis, emptied (FLUSHALL) before the test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    try:
        client.flushall()
    finally:
        client.close()
    return redis_server.url


@pytest.fixture(scope="session")
def nats_server() -> Iterator[TemporaryNats]:
    """A JetStream-enabled NATS server; use unique stream names per test."""
    server = _start(TemporaryNats)
    try:
        yield server
    finally:
        server.stop()
