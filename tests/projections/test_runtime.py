"""The batched projector: transactions, versions, rebuilds, concurrency, waiting."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from typing import cast
from uuid import UUID

import psycopg
import pytest
from eventsourcing.postgres import PostgresApplicationRecorder

import projections.rebuild as rebuild_module
from adapters.readstore.listen import PostgresWakeup
from application.onestop import OneStop
from projections.base import Projection
from projections.ports import ReadStore, Sql
from projections.rebuild import SHADOW, checksum, rebuild_many
from projections.registry import READ_MODELS, all_projections
from projections.runtime import TRACKING, Doorbell, Projector
from projections.timeline import TimelineProjection
from projections.worklist import WorklistProjection, WorklistView
from tests.factories import at, in_progress, receive, specialist, trace
from tests.projections.conftest import Backend
from tests.projections.support import (
    Fault,
    InjectedCrashError,
    checksums,
    crashing_projections,
    populate,
    positions,
)

LIVE = tuple(READ_MODELS)


def live_positions(store: ReadStore) -> dict[str, int]:
    return {k: v for k, v in positions(store).items() if k in LIVE}


def head(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


def fresh_checksums(app: OneStop, store: ReadStore) -> dict[str, str]:
    """Checksums of a complete projection into new tables, for comparison."""
    fresh = all_projections("_fresh")
    Projector(app, store, fresh).catch_up()
    return checksums(store, fresh)


def execute(store: ReadStore, statement: str, params: tuple[object, ...] = ()) -> None:
    with store.transaction() as sql:
        sql.execute(statement, params)


def count(store: ReadStore, table: str) -> int:
    return int(store.query(f"SELECT COUNT(*) FROM {table}")[0][0])


def write_more(app: OneStop, day: int, dossiers: int = 2) -> None:
    """New dossiers and a supplement request: events of every read model."""
    for n in range(dossiers):
        dossier_id = in_progress(app, at(day, 8 + n))
        app.request_supplement(
            dossier_id,
            trace=trace(specialist(), at(day, 15)),
            items=("TP1",),
            reason="Thiếu chữ ký",
        )


def assert_matches_the_write_side(app: OneStop, store: ReadStore) -> None:
    """No event applied twice or skipped: timeline rows and worklist versions."""
    items = WorklistView(store).recent(limit=100_000)
    expected = {
        i.dossier_id: app.get_dossier(UUID(i.dossier_id)).version for i in items
    }
    assert {i.dossier_id: i.version for i in items} == expected
    timeline = TimelineProjection().table("entries")
    assert count(store, timeline) == sum(expected.values())


class TestBatchesAreTransactional:
    def test_a_batch_killed_half_way_leaves_neither_rows_nor_positions(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        counter = Fault()
        reference = crashing_projections(counter, "_ref")
        Projector(app, store, reference).catch_up()

        killed = Projector(
            app,
            store,
            crashing_projections(Fault(at=counter.calls // 2)),
            batch_size=25,
        )
        committed = 0
        while True:
            before = live_positions(store), checksums(store)
            try:
                applied = killed.step()
            except InjectedCrashError:
                break
            assert applied, "caught up without being killed"
            committed += applied
        assert (live_positions(store), checksums(store)) == before
        assert committed > 0
        assert 0 < min(live_positions(store).values()) < head(app)

        Projector(app, store, all_projections(), batch_size=25).catch_up()
        assert set(live_positions(store).values()) == {head(app)}
        assert checksums(store) == checksums(store, reference)

    def test_a_store_error_half_way_dead_letters_only_the_event_that_caused_it(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        scenario = populate(app)
        returned = str(scenario["returned"])
        projector = Projector(app, store, all_projections())
        timeline = TimelineProjection().table("entries")
        blocker = (returned, 3, "Planted", "x", "x", "x", "x")
        execute(  # a row the batch will collide with (at its flush or commit)
            store,
            f"INSERT INTO {timeline} (dossier_id, version, event_type, at, "
            "recorded_at, actor_id, actor_role, summary_vi, summary_en) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'x', 'x')",
            blocker,
        )
        projector.catch_up()

        assert set(live_positions(store).values()) == {head(app)}
        (letter,) = [d for d in projector.dead_letters() if not d.parked]
        # The dossier's later events wait behind it in the timeline, in log order.
        parked = [d for d in projector.dead_letters() if d.parked]
        later = [
            n.id
            for n in app.recorder.select_notifications(
                start=letter.position + 1, limit=10**6
            )
            if str(n.originator_id) == returned and n.topic in TimelineProjection.topics
        ]
        assert later
        assert [d.position for d in parked] == later
        assert {(d.read_model, d.originator_id, d.blocked_by) for d in parked} == {
            ("timeline", returned, letter.position)
        }
        third = app.recorder.select_notifications(
            start=letter.position, limit=1, stop=letter.position
        )[0]
        assert (letter.read_model, letter.originator_id) == ("timeline", returned)
        assert app.mapper.to_domain_event(third).originator_version == 3
        assert "IntegrityError" in letter.error or "UniqueViolation" in letter.error
        fresh = fresh_checksums(app, store)
        others = {k: v for k, v in checksums(store).items() if k != "timeline"}
        assert others == {k: v for k, v in fresh.items() if k != "timeline"}
        rows = count(store, timeline)  # the planted row stands in for the failed one
        fresh_rows = count(store, TimelineProjection("_fresh").table("entries"))
        assert rows == fresh_rows - len(parked)
        statuses = {s.name: (s.dead_letters, s.parked) for s in projector.status()}
        assert statuses == {
            name: (1, len(parked)) if name == "timeline" else (0, 0) for name in LIVE
        }

        # The blocker is still there: nothing behind it is applied.
        assert projector.retry() == (0, 1, len(parked))
        assert projector.dead_letters()[0].attempts == 2
        assert count(store, timeline) == rows
        execute(store, f"DELETE FROM {timeline} WHERE event_type = 'Planted'")
        assert projector.retry(["timeline"]) == (1 + len(parked), 0, 0)
        assert projector.dead_letters() == []
        assert checksums(store) == fresh


class TestVersionBump:
    def test_a_read_model_whose_version_changed_is_dropped_and_rebuilt(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        Projector(app, store, all_projections()).catch_up()
        before = checksums(store)
        others = {k: v for k, v in live_positions(store).items() if k != "worklist"}

        class Worklist2(WorklistProjection):
            version = WorklistProjection.version + 1

        bumped = Projector(
            app,
            store,
            [Worklist2() if p.name == "worklist" else p for p in all_projections()],
        )
        assert count(store, Worklist2().table("dossiers")) == 0
        tracking = {
            row[0]: (row[1], row[2])
            for row in store.query(f"SELECT name, position, version FROM {TRACKING}")
        }
        assert tracking["worklist"] == (0, Worklist2.version)
        assert {k: v for k, v in live_positions(store).items() if k != "worklist"} == (
            others
        )

        bumped.catch_up()
        assert checksums(store) == before
        assert set(live_positions(store).values()) == {head(app)}

    def test_an_unchanged_version_keeps_the_read_model(self, backend: Backend) -> None:
        app, store = backend.app, backend.store
        populate(app)
        Projector(app, store, all_projections()).catch_up()
        before = live_positions(store), checksums(store)
        Projector(app, store, all_projections())
        assert (live_positions(store), checksums(store)) == before


@contextmanager
def running(target: Callable[[], object]) -> Iterator[list[BaseException]]:
    """Run ``target`` in a thread; yields the list its exception lands in."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as error:  # reported by the test
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield errors
    finally:
        thread.join(timeout=60)
        assert not thread.is_alive()


class TestRebuild:
    def test_rebuild_gives_the_same_checksum_and_removes_the_shadow(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        Projector(app, store, all_projections()).catch_up()
        before = checksums(store)
        for name in READ_MODELS:
            assert rebuild_many(app, store, [name]) > 0
        assert checksums(store) == before
        assert set(positions(store)) == set(LIVE)
        assert set(live_positions(store).values()) == {head(app)}
        for factory in READ_MODELS.values():
            shadow = factory(SHADOW)
            for logical in shadow.tables:
                with pytest.raises((sqlite3.OperationalError, psycopg.errors.Error)):
                    count(store, shadow.table(logical))

    def test_readers_see_the_old_copy_until_the_swap_then_the_new_one(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        Projector(app, store, all_projections()).catch_up()
        table = WorklistProjection().table("dossiers")
        execute(store, f"UPDATE {table} SET applicant_name = 'bản cũ'")
        stale = checksum(store, WorklistProjection())

        reader_store = backend.new_store()
        seen: list[frozenset[str]] = []
        stop = threading.Event()

        def read() -> None:
            view = WorklistView(reader_store)
            while not stop.is_set():
                seen.append(
                    frozenset(i.applicant_name for i in view.recent(limit=1000))
                )

        during: list[str] = []

        def progress(_count: int) -> None:
            during.append(checksum(store, WorklistProjection()))
            time.sleep(0.05)

        try:
            with running(read) as errors:
                until(lambda: len(seen) >= 3 or bool(errors))
                rebuild_many(app, store, ["worklist"], progress)
                swapped = len(seen)
                until(lambda: len(seen) >= swapped + 3 or bool(errors))
                stop.set()
        finally:
            reader_store.close()
        assert errors == []
        assert during
        assert set(during) == {stale}
        old, new = frozenset({"bản cũ"}), frozenset({"Nguyễn Văn An", "Trần Thị Bình"})
        assert set(seen) <= {old, new}
        first_new = seen.index(new)
        assert all(s == new for s in seen[first_new:])
        assert seen[0] == old
        assert checksums(store)["worklist"] == fresh_checksums(app, store)["worklist"]

    @pytest.mark.parametrize("live_catches_up", [True, False])
    def test_events_written_between_catch_up_and_swap_are_not_lost(
        self, backend: Backend, monkeypatch: pytest.MonkeyPatch, live_catches_up: bool
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        live = Projector(app, store, all_projections(), batch_size=10)
        live.catch_up()

        class WritesAfterCatchUp(Projector):
            def catch_up(
                self,
                progress: Callable[[int], None] | None = None,
                stop: threading.Event | None = None,
            ) -> int:
                applied = super().catch_up(progress, stop)
                write_more(app, day=21)  # after the shadow caught up, before the swap
                if live_catches_up:
                    live.catch_up()  # the old tables take them too
                return applied

        monkeypatch.setattr(rebuild_module, "Projector", WritesAfterCatchUp)
        for name in ("worklist", "timeline", "citizen"):
            rebuild_many(app, store, [name])
        monkeypatch.undo()

        live.catch_up()
        assert set(live_positions(store).values()) == {head(app)}
        assert checksums(store) == fresh_checksums(app, store)
        assert_matches_the_write_side(app, store)

    def test_rebuilding_while_dossiers_are_written_and_followed_loses_none(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        live = Projector(app, store, all_projections(), batch_size=5)
        live.catch_up()
        stop = threading.Event()
        failures: list[BaseException] = []

        def follow() -> None:
            while not stop.is_set():
                try:
                    live.catch_up()
                except Exception as error:  # the runtime would log and retry
                    failures.append(error)
                stop.wait(0.01)

        def write() -> None:
            for day in range(21, 26):
                write_more(app, day, dossiers=1)

        with running(follow) as follower:
            with running(write) as writer:
                for name in ("worklist", "timeline", "worklist"):
                    rebuild_many(app, store, [name])
            stop.set()
        assert writer == []
        assert follower == []
        assert failures == []
        live.catch_up()
        assert checksums(store) == fresh_checksums(app, store)
        assert_matches_the_write_side(app, store)


class TestConcurrentProjectors:
    def test_two_projectors_catching_up_together_never_double_apply(
        self, backend: Backend
    ) -> None:
        app = backend.app
        populate(app)
        stores = [backend.new_store(), backend.new_store()]
        projectors = [
            Projector(app, s, all_projections(), batch_size=4) for s in stores
        ]
        done = threading.Event()
        start = threading.Barrier(3)

        def follow(projector: Projector) -> Callable[[], None]:
            def run() -> None:
                start.wait()
                while True:
                    finished = done.is_set()
                    projector.catch_up()
                    if finished:
                        return

            return run

        def write() -> None:
            start.wait()
            try:
                for day in range(21, 25):
                    write_more(app, day, dossiers=1)
            finally:
                done.set()

        try:
            with (
                running(follow(projectors[0])) as first,
                running(follow(projectors[1])) as second,
                running(write) as writer,
            ):
                pass
            assert first == second == writer == []
            assert set(live_positions(backend.store).values()) == {head(app)}
            assert_matches_the_write_side(app, backend.store)
            assert checksums(backend.store) == fresh_checksums(app, backend.store)
        finally:
            for s in stores:
                s.close()


class TestRebuildSwapAgainstABlockedBatch:
    def test_a_batch_waiting_on_the_swap_sees_the_new_position(
        self, postgres_backend: Backend
    ) -> None:
        """On PostgreSQL a batch queued behind the swap's row lock resumes on it."""
        app, store, url = (
            postgres_backend.app,
            postgres_backend.store,
            postgres_backend.url,
        )
        populate(app)
        live = Projector(app, store, all_projections())
        live.catch_up()
        write_more(app, day=21)

        with closing(psycopg.connect(url)) as holder, ExitStack() as threads:
            holder.execute(
                f"SELECT position FROM {TRACKING} WHERE name = 'worklist' FOR UPDATE"
            )
            # The swap queues on the live row first, then a live batch behind it;
            # the lock is released (callbacks run first) before the threads join.
            rebuilding = threads.enter_context(
                running(lambda: rebuild_many(app, store, ["worklist"]))
            )
            threads.callback(holder.commit)
            wait_for_lock_waiters(url, 1)
            following = threads.enter_context(running(live.catch_up))
            threads.callback(holder.commit)
            wait_for_lock_waiters(url, 2)
        assert rebuilding == []
        assert following == []
        live.catch_up()
        assert checksums(store) == fresh_checksums(app, store)
        assert_matches_the_write_side(app, store)


def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def wait_for_lock_waiters(url: str, waiters: int) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        for _ in range(500):
            row = connection.execute(
                "SELECT COUNT(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if row is not None and row[0] >= waiters:
                return
            time.sleep(0.01)
    raise AssertionError(f"fewer than {waiters} sessions waited for a lock")


class TestPostgresWakeup:
    def test_returns_promptly_when_events_are_written(
        self, postgres_backend: Backend
    ) -> None:
        app = postgres_backend.app
        populate(app)
        recorder = cast("PostgresApplicationRecorder", app.recorder)
        wakeup = PostgresWakeup(postgres_backend.url, recorder.channel_name)
        try:
            wakeup(0.01)  # connects and listens
            timer = threading.Timer(0.3, lambda: receive(app, when=at(21)))
            started = time.monotonic()
            timer.start()
            wakeup(10.0)
            elapsed = time.monotonic() - started
            timer.join()
        finally:
            wakeup.close()
        assert 0.25 <= elapsed < 3.0

    def test_notifies_queued_meanwhile_wake_it_once(
        self, postgres_backend: Backend
    ) -> None:
        """Events committed while the follower was busy wake it once: it reads
        them all in that pass, so their other notifies would only start passes
        that find nothing."""
        app = postgres_backend.app
        populate(app)
        recorder = cast("PostgresApplicationRecorder", app.recorder)
        wakeup = PostgresWakeup(postgres_backend.url, recorder.channel_name)
        try:
            wakeup(0.01)  # connects and listens
            for day in (21, 22, 23):
                receive(app, when=at(day))
            # "Meanwhile": the follower is busy long enough for every notify to
            # reach its socket (under CI load the last one was once in flight).
            time.sleep(1.0)
            started = time.monotonic()
            wakeup(10.0)
            first = time.monotonic() - started
            started = time.monotonic()
            wakeup(0.5)
            second = time.monotonic() - started
        finally:
            wakeup.close()
        assert first < 3.0
        assert second >= 0.45

    def test_returns_after_its_timeout_when_nothing_happens(
        self, postgres_backend: Backend
    ) -> None:
        recorder = cast("PostgresApplicationRecorder", postgres_backend.app.recorder)
        wakeup = PostgresWakeup(postgres_backend.url, recorder.channel_name)
        try:
            started = time.monotonic()
            wakeup(0.3)
            elapsed = time.monotonic() - started
            wakeup.close()
            wakeup(0.01)  # reconnects after close
        finally:
            wakeup.close()
        assert 0.25 <= elapsed < 2.0


class TestWait:
    def test_wait_returns_true_once_the_position_is_applied(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        projector = Projector(app, store, all_projections())
        reception = receive(app, when=at(21))

        def later() -> None:
            time.sleep(0.2)
            projector.catch_up()

        with running(later) as errors:
            assert projector.wait(reception.notification_id, timeout=10.0)
        assert errors == []
        started = time.monotonic()
        assert projector.wait(reception.notification_id, timeout=10.0)
        assert time.monotonic() - started < 1.0

    def test_wait_returns_false_on_timeout(self, backend: Backend) -> None:
        app, store = backend.app, backend.store
        populate(app)
        projector = Projector(app, store, all_projections())
        projector.catch_up()
        reception = receive(app, when=at(21))
        started = time.monotonic()
        assert not projector.wait(reception.notification_id, timeout=0.2)
        assert 0.2 <= time.monotonic() - started < 2.0


class TestStatus:
    def test_lag_is_the_log_position_minus_the_read_model_position(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        projector = Projector(app, store, all_projections())
        log = head(app)
        assert [(s.position, s.log_position, s.lag) for s in projector.status()] == [
            (0, log, log)
        ] * len(READ_MODELS)

        projector.step(10)
        for s in projector.status():
            assert 0 < s.position < log
            assert s.lag == log - s.position
            assert s.version == READ_MODELS[s.name].version

        projector.catch_up()
        assert {(s.position, s.lag) for s in projector.status()} == {(log, 0)}

        receive(app, when=at(21))  # a dossier and its code index: two events
        assert {(s.position, s.log_position, s.lag) for s in projector.status()} == {
            (log, log + 2, 2)
        }
        projector.catch_up()
        assert {s.lag for s in projector.status()} == {0}
        assert [s.name for s in projector.status()] == list(READ_MODELS)


class TestLiveBatches:
    def test_only_read_models_with_events_in_the_batch_load_rows(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        loaded: dict[str, set[str]] = {}

        def recording(factory: type[Projection]) -> Projection:
            def load_batch(
                self: Projection, sql: Sql, originators: set[str]
            ) -> Callable[[], None]:
                loaded.setdefault(self.name, set()).update(originators)
                return factory.load_batch(self, sql, originators)

            subclass = cast(
                "type[Projection]",
                type(
                    f"Recording{factory.__name__}",
                    (factory,),
                    {"load_batch": load_batch},
                ),
            )
            return subclass()

        projections = [recording(factory) for factory in READ_MODELS.values()]
        projector = Projector(app, store, projections)
        projector.catch_up()
        before = head(app)
        reception = receive(app, when=at(21))
        loaded.clear()
        projector.catch_up()
        wanting = {
            p.name
            for p in projections
            if any(
                n.topic in p.topics
                for n in app.recorder.select_notifications(start=before + 1, limit=100)
            )
        }
        assert wanting, "a reception is an event of some read model"
        assert set(loaded) == wanting
        assert set(loaded) < set(READ_MODELS)
        for originators in loaded.values():
            assert str(reception.dossier_id) in originators
        assert_matches_the_write_side(app, store)

    def test_a_slow_log_follower_does_not_hold_up_the_read_models(
        self, backend: Backend
    ) -> None:
        app, store = backend.app, backend.store
        populate(app)
        projector = Projector(app, store, all_projections())
        projector.catch_up()
        following = threading.Event()

        def slow_follower() -> None:
            following.set()
            time.sleep(8.0)

        projector.followers.append(slow_follower)
        stop = threading.Event()
        doorbell = Doorbell()
        thread = threading.Thread(
            target=projector.run_forever, args=(stop, doorbell.wait), daemon=True
        )
        thread.start()
        try:
            assert following.wait(10.0)  # the follower is now busy for 8 s
            reception = receive(app, when=at(21))
            started = time.monotonic()
            doorbell.ring()
            assert projector.wait(reception.notification_id, timeout=10.0)
            assert time.monotonic() - started < 5.0  # not after the follower
        finally:
            stop.set()
            thread.join(timeout=30)
        assert not thread.is_alive()
