"""The cross-province inbox's row (``inbox_tracking``): what ``/readyz`` and
``/metrics`` of any process read, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.integration.positions import ConsumerPositions, Positions, statuses
from adapters.readstore.postgres import PostgresReadStore
from adapters.readstore.sqlite import SQLiteReadStore
from projections.ports import ReadStore

_names = itertools.count()
RECORDS = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(1, 10**9)),
        st.integers(0, 10**6),
        st.sampled_from(["", "ConnectionClosedError: nats: connection closed"]),
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadStore]:
    if request.param == "sqlite":
        found: ReadStore = SQLiteReadStore(str(tmp_path / "read.db"))
    else:
        found = PostgresReadStore(request.getfixturevalue("postgres_url"))
    yield found
    found.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(records=RECORDS)
def test_backlog_is_what_is_pending_position_never_goes_back(
    store: ReadStore, records: list[tuple[int | None, int, str]]
) -> None:
    name = f"inbox{next(_names)}"
    row = ConsumerPositions(store, name)
    for position, pending, error in records:
        row.record(position, pending, error)
    found = {s.name: s for s in statuses(store, log_position=5)}[name]
    _, last_pending, last_error = records[-1]
    assert found.backlog == last_pending  # not the log's 5 minus a position
    assert found.position == max((p or 0 for p, _, _ in records), default=0)
    assert found.error == last_error
    assert found.healthy is (last_error == "")


def test_a_failure_keeps_the_last_pending_and_beside_the_log_followers(
    store: ReadStore,
) -> None:
    Positions(store, "nats").advance(7)
    row = ConsumerPositions(store, "inbox")
    row.record(42, 3)
    row.failed("NoServersError: nats: no servers available for connection")
    found = {s.name: s for s in statuses(store, log_position=10)}
    assert found["nats"].backlog == 3  # 10 - 7, from the log
    assert found["inbox"].backlog == 3  # JetStream's count, kept while away
    assert found["inbox"].position == 42
    assert found["inbox"].error.startswith("NoServersError")
    row.record(None, 0)
    again = {s.name: s for s in statuses(store, log_position=10)}["inbox"]
    assert again.error == ""
    assert again.backlog == 0
    assert again.position == 42
