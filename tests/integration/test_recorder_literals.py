"""The PostgreSQL recorder writes rows as SQL literals it builds itself: every
state and topic must come back exactly as given, whatever bytes or characters
they hold and however the server reads string literals. Concurrent saves are
grouped with only the callers concerned woken: each gets its own outcome."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from adapters.postgres_recorder import GroupCommitRecorder, SingleRoundTripRecorder
from adapters.settings import persistence_env
from application.onestop import OneStop

pytestmark = pytest.mark.postgres

#: Text PostgreSQL can store (no NUL) and UTF-8 can encode (no lone surrogates).
TOPICS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
    min_size=1,
    max_size=80,
) | st.sampled_from(["a'b", "a\\'b", "\\x00", "E'\\\\x'", "'; DROP TABLE x; --"])
STATES = st.binary(max_size=600) | st.sampled_from([b"", b"'", b"\\", b"\x00" * 40])


@pytest.fixture(params=["on", "off"], ids=["conforming", "not-conforming"])
def app(request: pytest.FixtureRequest, postgres_url: str) -> Iterator[OneStop]:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = {}").format(
                sql.Identifier(name), sql.SQL(request.param)
            )
        )
    application = OneStop(env=persistence_env(postgres_url))
    try:
        with application.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
            shown = conn.execute("SHOW standard_conforming_strings").fetchone()
        assert shown is not None
        assert next(iter(shown.values())) == request.param
        yield application
    finally:
        application.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(st.tuples(TOPICS, STATES), min_size=1, max_size=5),
    as_text=st.booleans(),
)
def test_states_and_topics_come_back_exactly(
    app: OneStop, rows: list[tuple[str, bytes]], as_text: bool
) -> None:
    recorder = app.recorder
    assert isinstance(recorder, SingleRoundTripRecorder)
    originator = uuid.uuid4()
    written = [
        StoredEvent(
            originator_id=str(originator) if as_text else originator,
            originator_version=version,
            topic=topic,
            state=state,
        )
        for version, (topic, state) in enumerate(rows, start=1)
    ]
    ids = recorder.insert_events(written)
    assert ids is not None
    assert len(ids) == len(rows)
    read = recorder.select_events(originator)
    assert [(e.originator_version, e.topic, e.state) for e in read] == [
        (e.originator_version, e.topic, e.state) for e in written
    ]
    assert all(e.originator_id == originator for e in read)


def test_an_id_that_is_not_a_uuid_is_refused_and_nothing_is_written(
    app: OneStop,
) -> None:
    recorder = app.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    before = recorder.max_notification_id()
    bad = StoredEvent(
        originator_id="1'::uuid, 1, 't', ''::bytea); DROP TABLE motcua_events; --",
        originator_version=1,
        topic="t",
        state=b"{}",
    )
    with pytest.raises(ValueError, match="UUID"):
        recorder.insert_events([bad])
    assert recorder.max_notification_id() == before


@pytest.mark.parametrize("writers", [3, 32])
def test_many_concurrent_saves_each_get_their_own_outcome(
    postgres_url: str, writers: int
) -> None:
    """Callers are woken one by one (their group's end, or their turn to lead):
    none is lost, none waits forever, a stale save fails alone."""
    application = OneStop(env=persistence_env(postgres_url))
    recorder = application.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    taken = uuid.uuid4()
    recorder.insert_events([StoredEvent(taken, 1, "t", b"{}")])

    def save(index: int) -> tuple[int, list[int] | str]:
        if index % 7 == 3:  # stale: version 1 of ``taken`` exists
            events = [StoredEvent(taken, 1, "t", b"{}")]
        else:
            events = [
                StoredEvent(uuid.uuid4(), v, "t", b"%d" % index)
                for v in range(1, 1 + index % 3 + 1)
            ]
        try:
            return index, list(recorder.insert_events(events) or [])
        except IntegrityError:
            return index, "conflict"

    try:
        with ThreadPoolExecutor(writers) as pool:
            outcomes = dict(
                future.result(timeout=120)
                for future in [pool.submit(save, i) for i in range(400)]
            )
        conflicts = {i for i, o in outcomes.items() if o == "conflict"}
        assert conflicts == {i for i in range(400) if i % 7 == 3}
        ids = [n for o in outcomes.values() if o != "conflict" for n in o]
        assert len(ids) == len(set(ids))
        assert all(len(o) == i % 3 + 1 for i, o in outcomes.items() if o != "conflict")
        assert recorder.max_notification_id() == max(ids)
    finally:
        application.close()
