"""Test harness: real PostgreSQL, Redis and NATS servers, started on demand.

Session-scoped fixtures start each server the first time a test asks for it
(unit tests that use none of them start nothing). A missing server binary
makes the requesting tests fail, never skip: CI must not go green by silently
running less.

``MOTCUA_TEST_POSTGRES_URL`` (a superuser URL, e.g.
``postgresql://postgres@127.0.0.1:5432/postgres``) makes the tests use that
server instead of starting one; restart tests are then skipped.

``MOTCUA_HYPOTHESIS_PROFILE=thorough`` runs every property test with ten times
its written ``max_examples`` (at least 1,000) and no deadline: the deep run
the everyday suite trades for speed.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import hypothesis
import pytest

from adapters.settings import KNOWN
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
#: Set by ``make unit``: a test reaching for a server then fails, naming the
#: marker it lacks (``-m "not postgres"`` only deselects marked tests).
NO_SERVERS_ENV = KNOWN["TEST_NO_SERVERS"].env_name

#: Fixture name -> marker added to every test using that fixture.
_FIXTURE_MARKERS = {
    "postgres_server": "postgres",
    "postgres_url": "postgres",
    "redis_server": "redis",
    "redis_url": "redis",
    "nats_server": "nats",
}

_SERVER_MARKERS = {
    "TemporaryPostgres": "postgres",
    "TemporaryRedis": "redis",
    "TemporaryNats": "nats",
}

S = TypeVar("S", bound=TemporaryService)

HYPOTHESIS_PROFILE_ENV = KNOWN["HYPOTHESIS_PROFILE"].env_name
THOROUGH = "thorough"
#: In the thorough profile each property test runs this many times the
#: examples it asks for (tests write their everyday ``max_examples``).
THOROUGH_FACTOR = 10
THOROUGH_MIN_EXAMPLES = 1000

hypothesis.settings.register_profile(
    THOROUGH, max_examples=THOROUGH_MIN_EXAMPLES, deadline=None
)


def _harness_setting(name: str) -> Any:
    """A ``MOTCUA_TEST_*``-style harness variable, typed by its settings row."""
    variable = KNOWN[name]
    raw = os.environ.get(variable.env_name, "").strip() or variable.default or ""
    try:
        return variable.kind.parse(raw)
    except ValueError:
        raise pytest.UsageError(
            f"{variable.env_name}={raw!r}: expected {variable.kind.en}"
        ) from None


_hypothesis_profile: str = _harness_setting("HYPOTHESIS_PROFILE")
if _hypothesis_profile == THOROUGH:
    # Loaded before the test modules are imported: tests that set no
    # max_examples of their own take the profile's.
    hypothesis.settings.load_profile(THOROUGH)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "nats: needs the nats-server (JetStream) the harness starts"
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    for item in items:
        fixturenames: list[str] = getattr(item, "fixturenames", [])
        wanted = {m for f, m in _FIXTURE_MARKERS.items() if f in fixturenames}
        # Backend-parametrised fixtures (params "postgres", "postgres+redis")
        # take the server fixture through request.getfixturevalue, which the
        # fixture names above cannot show.
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            for value in callspec.params.values():
                if isinstance(value, str):
                    words = set(re.split(r"[^a-z]+", value))
                    wanted |= words & set(_SERVER_MARKERS.values())
        for marker in sorted(wanted):
            item.add_marker(marker)
    if _hypothesis_profile == THOROUGH:
        for item in items:
            _deepen(item)


def _deepen(item: pytest.Item) -> None:
    """Scale a property test's own ``max_examples`` for the thorough profile.

    ``@settings(max_examples=N)`` on a test overrides any profile, so the
    profile alone would leave every test that names its size unchanged."""
    function = getattr(item, "function", None)
    if function is None:
        return
    machine = getattr(item, "cls", None)
    if machine is not None and isinstance(
        getattr(machine, "settings", None), hypothesis.settings
    ):
        # A RuleBasedStateMachine's TestCase carries its settings.
        machine.settings = _deeper(machine.settings)
        return
    target = getattr(function, "__func__", function)
    current = getattr(target, "_hypothesis_internal_use_settings", None)
    if isinstance(current, hypothesis.settings):
        target._hypothesis_internal_use_settings = _deeper(current)


def _deeper(current: hypothesis.settings) -> hypothesis.settings:
    if getattr(current, "_motcua_deepened", False):
        return current
    deeper = hypothesis.settings(
        current,
        max_examples=max(THOROUGH_MIN_EXAMPLES, current.max_examples * THOROUGH_FACTOR),
        deadline=None,
    )
    object.__setattr__(deeper, "_motcua_deepened", True)
    return deeper


def _start(factory: Callable[[], S]) -> S:
    if _harness_setting("TEST_NO_SERVERS"):
        marker = _SERVER_MARKERS.get(factory.__name__, "a server")
        pytest.fail(
            f"{NO_SERVERS_ENV} is set but this test starts {factory.__name__}: "
            f"mark it @pytest.mark.{marker} (or take the fixture as an argument)",
            pytrace=False,
        )
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
