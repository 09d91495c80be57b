"""The PostgreSQL recorder writes rows as SQL literals it builds itself: every
state and topic must come back exactly as given, whatever bytes or characters
they hold and however the server reads string literals."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
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
