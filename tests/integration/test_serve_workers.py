"""``motcua serve --workers 2``: one projector among the workers, fresh lookups
and live subscriptions whichever worker a client reaches.

Embedded SQLite (a lock in the data directory elects the projecting worker;
changed codes reach the other worker by Unix datagrams) and PostgreSQL with
``MOTCUA_PROJECTOR=embedded`` (same election; changes by LISTEN/NOTIFY). No
Redis: each worker has its own in-process cache, valid for one generation of
the read models.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.wiring import build_application, build_read_store
from projections.rebuild import checksum, rebuild_many
from projections.registry import READ_MODELS
from tests.api.conftest import UNLIMITED_LOOKUPS
from tests.integration.test_live_topology import (
    TIMEOUT,
    Live,
    completion,
    eventually,
    projected,
    received,
    request_supplement,
)
from tests.served import Served, seeded_settings, served

WORKERS = 2
STARTED = "Application startup complete."


def worker_pids(m: Served) -> set[int]:
    return {
        int(pid)
        for pid in re.findall(r"Started server process \[(\d+)\]", m.server.output())
    }


def pids_of(m: Served, method: str) -> list[int]:
    """The worker of every access line of ``method`` on /graphql, in order."""
    lines = [
        json.loads(line)
        for line in m.server.output().splitlines()
        if line.startswith("{")
    ]
    return [
        line["pid"]
        for line in lines
        if line.get("event") == "request"
        and line.get("path") == "/graphql"
        and line.get("method") == method
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    options = {**UNLIMITED_LOOKUPS, "WORKERS": str(WORKERS)}
    if request.param == "postgres":
        options["PROJECTOR"] = "embedded"
        settings = seeded_settings(
            tmp_path / "d",
            database_url=request.getfixturevalue("postgres_url"),
            options=options,
        )
    else:
        settings = seeded_settings(tmp_path / "d", options=options)
    with served(settings) as m:
        deadline = time.monotonic() + 90
        while m.server.output().count(STARTED) < WORKERS:
            assert m.server.alive(), m.server.output()
            assert time.monotonic() < deadline, m.server.output()
            time.sleep(0.1)
        yield m


def test_one_projector_applies_every_change_once_whichever_worker_took_it(
    workers: Served,
) -> None:
    m = workers
    assert len(worker_pids(m)) == WORKERS
    codes = [received(m)]
    # Fresh connections land on either worker; go on until both took commands.
    while len(set(pids_of(m, "POST"))) < WORKERS:
        assert len(codes) < 60, "the kernel never gave a connection to the other worker"
        codes.append(received(m))
    for code in codes:
        position = request_supplement(m, code)
    projected(m, position)
    assert m.server.output().count("projector_elected") == 1

    # Fresh on every worker: each of them may have cached RECEIVED before.
    seen = [completion(m, code) for code in codes for _ in range(3)]
    assert set(seen) == {"WAITING_FOR_APPLICANT"}
    assert len(set(pids_of(m, "POST"))) == WORKERS

    settings = m.settings
    app, store = build_application(settings), build_read_store(settings)
    try:
        live = {name: checksum(store, model()) for name, model in READ_MODELS.items()}
        for name in READ_MODELS:
            rebuild_many(app, store, [name])
        rebuilt = {
            name: checksum(store, model()) for name, model in READ_MODELS.items()
        }
    finally:
        store.close()
        app.close()
    assert live == rebuilt


def test_subscriptions_on_either_worker_see_changes_made_through_the_other(
    workers: Served,
) -> None:
    m = workers
    code = received(m)
    # Several sockets: the kernel spreads them over both workers.
    lives = [Live(m.ws_url, "graphql-transport-ws") for _ in range(6)]
    try:
        for index, live in enumerate(lives):
            live.subscribe(str(index), code)
            kind, status = live.next(str(index))
            assert (kind, status["completion"]) == ("next", "RECEIVED")
        request_supplement(m, code)
        for index, live in enumerate(lives):
            kind, status = live.next(str(index))
            assert (kind, status["completion"]) == ("next", "WAITING_FOR_APPLICANT")
    finally:
        for live in lives:
            live.close()


def test_a_standby_worker_takes_over_when_the_projecting_worker_dies(
    workers: Served,
) -> None:
    m = workers
    lock = next(m.settings.data_dir.glob("workers/*/projector.lock"))
    leader = int(lock.read_text().strip())
    assert leader in worker_pids(m)
    os.kill(leader, signal.SIGKILL)
    # uvicorn's supervisor starts a new worker; one of them takes the lock.
    deadline = time.monotonic() + TIMEOUT * 3
    while m.server.output().count("projector_elected") < 2:
        assert time.monotonic() < deadline, m.server.output()
        time.sleep(0.2)
    code = eventually(lambda: _received_or_none(m), "a command after the failover")
    position = request_supplement(m, code)
    projected(m, position)
    assert completion(m, code) == "WAITING_FOR_APPLICANT"


def _received_or_none(m: Served) -> str | None:
    try:
        return received(m)
    except Exception:  # a connection to the killed worker, while it restarts
        return None
