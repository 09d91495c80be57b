"""Group commit on real PostgreSQL: concurrent commands share transactions, and
every acknowledged command is recorded exactly once, whatever happens."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
import pytest

from adapters.postgres_recorder import GroupCommitRecorder
from adapters.settings import persistence_env
from application.errors import VersionConflictError
from application.onestop import OneStop
from domain.dossier_events import ComponentDigitized
from tests.factories import desk, document, receive, seed_catalogue, trace
from tests.scans import store

pytestmark = pytest.mark.postgres

WRITERS = 8


@pytest.fixture
def app(postgres_url: str) -> Iterator[OneStop]:
    application = OneStop(env=persistence_env(postgres_url))
    seed_catalogue(application)
    try:
        yield application
    finally:
        application.close()


def recorder_of(app: OneStop) -> GroupCommitRecorder:
    recorder = app.recorder
    assert isinstance(recorder, GroupCommitRecorder)
    return recorder


def digitize(app: OneStop, dossier_id: UUID) -> UUID:
    """One command; returns its correlation id once it is acknowledged."""
    t = trace(desk())
    app.digitize_component(
        dossier_id, trace=t, component_code="TP1", document=document(app=app)
    )
    return t.correlation_id


def stored_correlations(app: OneStop, dossier_id: UUID) -> Counter[UUID]:
    return Counter(
        e.trace.correlation_id
        for e in app.events.get(dossier_id)
        if isinstance(e, ComponentDigitized)
    )


def test_concurrent_commands_on_different_dossiers_share_transactions(
    app: OneStop,
) -> None:
    recorder = recorder_of(app)
    receptions = list(
        ThreadPoolExecutor(WRITERS).map(lambda _: receive(app), range(40))
    )
    numbers = sorted(int(r.code[-4:]) for r in receptions)
    assert numbers == list(range(1, 41)), "codes are gap-free and unique"
    groups_before = recorder.groups

    def commands(dossier_id: UUID) -> list[UUID]:
        return [digitize(app, dossier_id) for _ in range(5)]

    with ThreadPoolExecutor(WRITERS) as pool:
        acknowledged = dict(
            zip(
                (r.dossier_id for r in receptions),
                pool.map(commands, (r.dossier_id for r in receptions)),
                strict=True,
            )
        )
    for dossier_id, ids in acknowledged.items():
        stored = stored_correlations(app, dossier_id)
        assert stored == Counter(ids), "each acknowledged command exactly once"
        assert app.get_dossier(dossier_id).version == 1 + len(ids)
    assert recorder.groups > groups_before, "concurrent saves shared transactions"


def test_concurrent_commands_on_one_dossier_each_get_their_own_outcome(
    app: OneStop,
) -> None:
    dossier_id = receive(app).dossier_id
    start = threading.Barrier(WRITERS)

    def attempt(_: int) -> UUID | None:
        start.wait(timeout=30)
        try:
            return digitize(app, dossier_id)
        except VersionConflictError:
            return None

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(attempt, range(WRITERS * 4)))
    acknowledged = [o for o in outcomes if o is not None]
    assert acknowledged, "at least the first writer of each round succeeds"
    assert stored_correlations(app, dossier_id) == Counter(acknowledged)
    assert app.get_dossier(dossier_id).version == 1 + len(acknowledged)


def test_a_conflict_in_a_group_does_not_lose_the_others(
    app: OneStop, postgres_url: str
) -> None:
    """Hold the table lock so saves queue up, one pair on the same dossier."""
    recorder = recorder_of(app)
    dossiers = [receive(app).dossier_id for _ in range(6)]
    leaders = [receive(app).dossier_id for _ in range(recorder.in_flight - 1)]
    contested = dossiers[0]
    stale = app.get_dossier(contested)  # a second state of the same version
    blocker = psycopg.connect(postgres_url)
    blocker.execute(f"LOCK TABLE {app.name.lower()}_events IN EXCLUSIVE MODE")
    results: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> threading.Thread:
        def target() -> None:
            try:
                results[name] = call()
            except Exception as error:
                results[name] = error

        thread = threading.Thread(target=target)
        thread.start()
        return thread

    def save_stale() -> Any:
        stale.digitize_component(
            trace=trace(desk()),
            calendar=app.working_calendar("H34"),
            component_code="TP2",
            document=document("stale", app),
            file=store(app.files, "stale"),
        )
        return app.save(stale)

    # Fill every group slot with a save held at the lock, so the next saves
    # queue up behind them.
    threads = [run("leader", lambda: digitize(app, dossiers[5]))]
    threads += [
        run(f"leader{i}", partial(digitize, app, d)) for i, d in enumerate(leaders)
    ]
    deadline = time.monotonic() + 10
    while not recorder._leading and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder._leading, "every group slot is held at the lock"
    threads += [run(f"d{i}", partial(digitize, app, dossiers[i])) for i in range(5)]
    while len(recorder._waiting) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    threads.append(run("stale", save_stale))  # after d0: arrives last
    while len(recorder._waiting) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(recorder._waiting) == 6, "the saves queued behind the locked leader"
    fallbacks = recorder.fallbacks
    blocker.commit()  # the leaders go; the six queued saves form one group
    for thread in threads:
        thread.join(timeout=30)
    blocker.close()

    assert recorder.fallbacks == fallbacks + 1, "the group hit the conflict"
    # The command on the contested dossier arrived first: it stands; the
    # stale save of the same version is refused on its own.
    assert isinstance(results["stale"], Exception), results["stale"]
    for i in range(5):
        assert isinstance(results[f"d{i}"], UUID), results[f"d{i}"]
        assert stored_correlations(app, dossiers[i]) == Counter([results[f"d{i}"]])
    assert stored_correlations(app, dossiers[5]) == Counter([results["leader"]])
    for i, dossier_id in enumerate(leaders):
        assert stored_correlations(app, dossier_id) == Counter([results[f"leader{i}"]])
    assert app.get_dossier(contested).version == 2


def test_killed_connections_lose_no_acknowledged_command(
    app: OneStop, postgres_url: str
) -> None:
    dossiers = [receive(app).dossier_id for _ in range(WRITERS)]
    stop = threading.Event()
    killed = 0

    def kill_connections() -> None:
        nonlocal killed
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            while not stop.is_set():
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                ).fetchall()
                killed += sum(1 for (done,) in rows if done)
                time.sleep(0.03)

    def writer(dossier_id: UUID) -> tuple[list[UUID], int]:
        acknowledged, failed = [], 0
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                acknowledged.append(digitize(app, dossier_id))
            except Exception:
                failed += 1  # not acknowledged: may or may not be recorded
        return acknowledged, failed

    killer = threading.Thread(target=kill_connections)
    killer.start()
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            outcomes = dict(zip(dossiers, pool.map(writer, dossiers), strict=True))
    finally:
        stop.set()
        killer.join(timeout=30)
    assert killed > 0, "connections were killed while writing"
    assert sum(len(ids) for ids, _ in outcomes.values()) > 0
    for dossier_id, (acknowledged, _failed) in outcomes.items():
        stored = stored_correlations(app, dossier_id)
        assert all(n == 1 for n in stored.values()), "no command applied twice"
        assert all(stored[c] == 1 for c in acknowledged), "acknowledged ⇒ stored"
        assert app.get_dossier(dossier_id).version == 1 + sum(stored.values())
