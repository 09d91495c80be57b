"""What the projector reports per batch, and where a live batch reads the log."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import pytest

from adapters.readstore.postgres import PostgresReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from projections.registry import all_projections
from projections.runtime import BatchTiming, Projector, TimingsFile
from projections.timeline import TimelineProjection
from tests.factories import at, receive
from tests.projections.conftest import Backend
from tests.projections.support import populate
from tests.services import PostgresServer

STAGES = ("started", "selected", "loaded", "applied", "published", "committed")


def test_each_batch_reports_its_stages_in_order_and_its_originators(
    backend: Backend, tmp_path: Path
) -> None:
    app, store = backend.app, backend.store
    populate(app)
    projector = Projector(app, store, all_projections())
    projector.catch_up()
    timings: list[BatchTiming] = []
    projector.timed.append(timings.append)
    path = tmp_path / "timings.jsonl"
    projector.timed.append(TimingsFile(path))
    before = time.monotonic()
    first = receive(app, when=at(21))
    second = receive(app, when=at(22))
    assert projector.catch_up() >= 2
    assert projector.catch_up() == 0  # a pass that finds nothing is not reported
    after = time.monotonic()
    assert len(timings) == 1
    timing = timings[0]
    marks = [getattr(timing, stage) for stage in STAGES]
    assert before <= marks[0]
    assert marks == sorted(marks)
    assert marks[-1] <= after
    assert timing.notifications >= 2
    assert {str(first.dossier_id), str(second.dossier_id)} <= set(timing.originators)
    assert timing.woke is None  # catch_up called directly, not woken
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(written) == 1
    assert written[0]["committed"] == pytest.approx(timing.committed)
    assert set(written[0]["originators"]) == set(timing.originators)


def test_a_failing_timing_hook_does_not_stop_projecting(backend: Backend) -> None:
    app, store = backend.app, backend.store
    projector = Projector(app, store, all_projections())

    def broken(_: BatchTiming) -> None:
        raise RuntimeError("disk full")

    projector.timed.append(broken)
    populate(app)
    assert projector.catch_up() > 0
    assert projector.position() == (app.recorder.max_notification_id() or 0)


@pytest.mark.postgres
def test_the_log_is_read_in_the_batch_only_from_the_same_database(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    """Same server and database: the store names the events table; another
    database on the same server has an events table of the same name, which
    must not be read instead."""
    app = OneStop(env=persistence_env(postgres_url))
    other_url = postgres_server.create_database("other_log_database")
    other = OneStop(env=persistence_env(other_url))
    same_store = PostgresReadStore(postgres_url)
    other_store = PostgresReadStore(other_url)
    try:
        table = same_store.events_table(app.recorder)
        assert table is not None
        assert "events" in table.lower()
        assert other_store.events_table(app.recorder) is None
        assert same_store.events_table(object()) is None
        # Events only in the other database: a projector on the first sees none.
        populate(other)
        projector = Projector(app, same_store, all_projections())
        assert projector.catch_up() == 0
        populate(app)
        assert projector.catch_up() > 0
        assert projector.position() == (app.recorder.max_notification_id() or 0)
    finally:
        same_store.close()
        other_store.close()
        other.close()
        app.close()
        postgres_server.drop_database("other_log_database")


def test_followers_run_at_most_every_follow_every_seconds(backend: Backend) -> None:
    app, store = backend.app, backend.store
    projector = Projector(app, store, all_projections(), follow_every=0.5)
    runs: list[float] = []
    projector.followers.append(lambda: runs.append(time.monotonic()))
    stop = threading.Event()

    def wakeup(_: float) -> None:
        time.sleep(0.01)  # a catch-up every 10 ms: far more often than 0.5 s

    thread = threading.Thread(
        target=projector.run_forever, args=(stop, wakeup), daemon=True
    )
    thread.start()
    try:
        time.sleep(2.2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert 2 <= len(runs) <= 6
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    assert min(gaps) >= 0.45


@pytest.mark.postgres
def test_only_the_projectors_batches_commit_without_waiting_for_the_disk(
    postgres_url: str,
) -> None:
    store = PostgresReadStore(postgres_url, max_size=1)  # one connection throughout
    try:
        # The test server itself runs without synchronous commits: this session
        # asks for them, as a production server's default would.
        with store.transaction() as sql:
            sql.execute("SET synchronous_commit = on")
        with store.batch() as sql:
            in_batch = sql.query("SHOW synchronous_commit")
        with store.transaction() as sql:
            after = sql.query("SHOW synchronous_commit")  # SET LOCAL ended with it
    finally:
        store.close()
    assert in_batch == [("off",)]
    assert after == [("on",)]


def test_a_batch_applied_again_event_by_event_reports_ordered_stages(
    backend: Backend,
) -> None:
    """A row the batch collides with: the batch is rolled back and applied one
    event at a time (one dead letter); its timing covers both attempts."""
    app, store = backend.app, backend.store
    scenario = populate(app)
    projector = Projector(app, store, all_projections())
    timings: list[BatchTiming] = []
    projector.timed.append(timings.append)
    timeline = TimelineProjection().table("entries")
    with store.transaction() as sql:
        sql.execute(
            f"INSERT INTO {timeline} (dossier_id, version, event_type, at, "
            "recorded_at, actor_id, actor_role, summary_vi, summary_en) "
            "VALUES (?, 3, 'Planted', 'x', 'x', 'x', 'x', 'x', 'x')",
            (str(scenario["returned"]),),
        )
    projector.catch_up()
    assert [d for d in projector.dead_letters() if not d.parked]
    assert timings
    for timing in timings:
        marks = [getattr(timing, stage) for stage in STAGES]
        assert marks == sorted(marks)
    assert str(scenario["returned"]) in {o for t in timings for o in t.originators}
