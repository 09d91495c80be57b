"""``motcua projector`` with its read models in several processes, served on
real PostgreSQL and Redis (``MOTCUA_PROJECTOR_PROCESSES``):

* after any generated history, every read model equals a fresh rebuild by
  one process (nothing lost, nothing applied twice, whatever the batches);
* ``kill -9`` of one child in the middle of its catch-up: the supervisor
  starts it again, the other groups go on, and the read models still equal a
  fresh rebuild;
* SIGTERM to the projector stops every child cleanly (exit code 0);
* the lookup after every group has passed a change shows it: the public
  lookup's group commits the change and its NOTIFY together, and an API
  worker's barrier comes back after every NOTIFY committed before it.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.demo.seeding import seed_province
from adapters.demo.simulation import Simulation
from adapters.settings import Settings
from api.wiring import build_application, build_read_store
from application.onestop import OneStop
from projections.ports import ReadStore
from projections.rebuild import checksum
from projections.registry import READ_MODELS, all_projections
from projections.runtime import TRACKING, Projector, ensure_tracking
from tests.integration.test_live_topology import (
    STATUS,
    data,
    projected,
    received,
    request_supplement,
)
from tests.served import Served, seeded_settings, served

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

VN = timezone(timedelta(hours=7))
FRESH = "__fresh"
PROCESSES = 3


class Log:
    """The application, read store and an observer of every read model."""

    def __init__(self, settings: Settings) -> None:
        self.app: OneStop = build_application(settings)
        self.store: ReadStore = build_read_store(settings)
        self.observer = Projector(self.app, self.store, all_projections())

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def caught_up(self, timeout: float = 120.0) -> None:
        assert self.observer.wait(self.head(), timeout=timeout), "not projected"

    def simulate(self, seed: int, dossiers: int, start: date) -> None:
        Simulation(
            self.app, seed=seed, start=start, end=start + timedelta(days=40)
        ).run(dossiers, lambda _: None)

    def differences(self) -> list[str]:
        """Read models that differ from a fresh rebuild of the whole log by one
        process (in this process, batches of 1,000)."""
        fresh = all_projections(FRESH)
        with self.store.transaction() as sql:
            ensure_tracking(sql)
            for projection in fresh:
                projection.drop(sql)
                sql.execute(
                    f"DELETE FROM {TRACKING} WHERE name = ?",
                    (projection.tracking_name,),
                )
        Projector(self.app, self.store, fresh).catch_up()
        return [
            name
            for name, model in READ_MODELS.items()
            if checksum(self.store, model()) != checksum(self.store, model(FRESH))
        ]

    def close(self) -> None:
        self.store.close()
        self.app.close()


def _children(m: Served) -> dict[int, tuple[int, list[str]]]:
    """group → (pid, read models) of the newest child of each group, from the
    projector's log."""
    found: dict[int, tuple[int, list[str]]] = {}
    log = m.settings.data_dir / "projector.log"
    for line in log.read_text(errors="replace").splitlines():
        if "projector_group_started" in line and line.startswith("{"):
            entry = json.loads(line)
            found[int(entry["group"])] = (int(entry["pid"]), entry["read_models"])
    return found


def _running(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _until(probe: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.02)


def _start(settings: Settings) -> Iterator[Served]:
    with served(settings, projector=True) as m:
        _until(lambda: len(_children(m)) == PROCESSES, "every group started")
        yield m


def _settings(tmp_path: Path, postgres_url: str, redis_url: str) -> Settings:
    return seeded_settings(
        tmp_path / "d",
        database_url=postgres_url,
        redis_url=redis_url,
        options={
            "PROJECTOR_PROCESSES": str(PROCESSES),
            "PROJECTOR_BATCH_SIZE": "7",
            "LOOKUP_RATE_LIMIT": "100000",
        },
    )


@pytest.fixture
def grouped(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Served]:
    """The test catalogue (desk and specialist tokens of tests.api)."""
    yield from _start(_settings(tmp_path, postgres_url, redis_url))


@pytest.fixture
def province(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Served]:
    """A demo province, for simulated histories."""
    settings = _settings(tmp_path, postgres_url, redis_url)
    log = Log(settings)
    try:
        seed_province(
            log.app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
        )
    finally:
        log.close()
    yield from _start(settings)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**16),
    dossiers=st.integers(1, 12),
    month=st.integers(2, 10),
)
def test_groups_equal_a_fresh_single_process_rebuild(
    province: Served, seed: int, dossiers: int, month: int
) -> None:
    """Each example adds to the same log while the groups follow it."""
    log = Log(province.settings)
    try:
        log.simulate(seed, dossiers, date(2026, month, 1))
        log.caught_up()
        assert log.differences() == []
    finally:
        log.close()
    groups = _children(province)
    assert sorted(n for _, names in groups.values() for n in names) == sorted(
        READ_MODELS
    )
    assert all(_running(pid) for pid, _ in groups.values())


def test_a_child_killed_mid_batch_is_restarted_and_loses_nothing(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    settings = seeded_settings(
        tmp_path / "d",
        database_url=postgres_url,
        redis_url=redis_url,
        options={"PROJECTOR_PROCESSES": str(PROCESSES), "PROJECTOR_BATCH_SIZE": "5"},
    )
    log = Log(settings)
    try:
        seed_province(
            log.app, at=datetime(2026, 1, 2, 8, tzinfo=VN), years=range(2026, 2027)
        )
        seeded = log.head()
        with served(settings, projector=True) as m:
            _until(lambda: len(_children(m)) == PROCESSES, "every group started")
            # The public lookup's group: the heaviest, with the most to redo.
            group = next(
                g for g, (_, names) in _children(m).items() if "public_status" in names
            )
            victim, names = _children(m)[group]
            tracked = [READ_MODELS[n]() for n in names]
            watcher = Projector(log.app, log.store, tracked)
            # The dossiers are written while the groups follow the log, so the
            # kill lands while there is still more to project: a log written
            # beforehand was projected whole before the groups could be found.
            writing = threading.Thread(
                target=log.simulate, args=(4, 60, date(2026, 6, 1)), daemon=True
            )
            writing.start()
            _until(lambda: watcher.position() > seeded + 50, "the group under way")
            os.kill(victim, signal.SIGKILL)
            killed_at = watcher.position()
            assert writing.is_alive(), "the kill must land while events are written"
            writing.join(timeout=300)
            assert not writing.is_alive()
            head = log.head()
            assert seeded < killed_at < head
            _until(lambda: _children(m)[group][0] != victim, "the group started again")
            successor = _children(m)[group][0]
            others = [pid for g, (pid, _) in _children(m).items() if g != group]
            log.caught_up()
            assert _running(successor)
            assert all(_running(pid) for pid in others)  # never restarted
            output = (m.settings.data_dir / "projector.log").read_text()
            assert "projector_group_exited" in output
            assert log.differences() == []
    finally:
        log.close()


def test_sigterm_stops_every_child_cleanly(grouped: Served) -> None:
    children = [pid for pid, _ in _children(grouped).values()]
    (supervisor,) = grouped.others
    assert supervisor.popen is not None
    assert all(_running(pid) for pid in children)
    os.kill(supervisor.popen.pid, signal.SIGTERM)  # the parent only
    assert supervisor.popen.wait(30) == 0
    _until(lambda: not any(_running(pid) for pid in children), "children stopped")
    output = (grouped.settings.data_dir / "projector.log").read_text()
    assert "projector_group_exited" not in output
    assert "projector_group_killed" not in output


def test_a_lookup_after_every_group_passed_a_change_shows_it(
    grouped: Served,
) -> None:
    """The API worker's own lookup cache (on by default) answers from memory;
    the change reaches it by the public lookup group's NOTIFY, committed with
    the change, and the worker's barrier comes back after it."""
    bound = grouped.settings.value("LOOKUP_LOCAL_CACHE_MS") / 1000
    for _ in range(3):
        code = received(grouped)
        for _ in range(3):  # cached now
            shown = data(grouped.graphql(STATUS, {"code": code}))["dossierStatus"]
            assert shown["completion"] == "RECEIVED"
        projected(grouped, request_supplement(grouped, code))
        time.sleep(bound)
        shown = data(grouped.graphql(STATUS, {"code": code}))["dossierStatus"]
        assert shown["completion"] == "WAITING_FOR_APPLICANT"
