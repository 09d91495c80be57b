"""Processes receiving at the same moment never share a dossier code, and on
PostgreSQL they stop trying the same numbers: after its first collision a
process takes the next ones from the database (``adapters.code_numbers``), so
claims no longer collide and group transactions do not fall back to one save
at a time."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime
from typing import Any

import pytest

from adapters.settings import persistence_env
from application.onestop import OneStop
from tests.factories import VN, desk, receive, seed_catalogue

RECEPTIONS = 100
PROCESSES, THREADS, EACH = 4, 4, 25
MOMENT = datetime(2026, 3, 2, 9, 0, tzinfo=VN)


def receive_many(url: str, officer: str, start: Any, results: Any) -> None:
    app = OneStop(env=persistence_env(url))
    try:
        start.wait(timeout=60)
        results.put(
            [
                receive(app, when=MOMENT, officer=desk(officer=officer)).code
                for _ in range(RECEPTIONS)
            ]
        )
    finally:
        app.close()


@pytest.mark.postgres
class TestConcurrentReception:
    def test_codes_are_unique_and_consecutive_across_processes(
        self, postgres_url: str
    ) -> None:
        seeder = OneStop(env=persistence_env(postgres_url))
        seed_catalogue(seeder)
        seeder.close()
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(3), context.Queue()
        workers = [
            context.Process(
                target=receive_many, args=(postgres_url, f"desk-{n}", barrier, results)
            )
            for n in range(2)
        ]
        for worker in workers:
            worker.start()
        barrier.wait(timeout=60)
        batches = [results.get(timeout=120) for _ in workers]
        codes = [code for batch in batches for code in batch]
        for worker in workers:
            worker.join(timeout=30)
            assert worker.exitcode == 0
        numbers = sorted(int(code[-4:]) for code in codes)
        assert numbers == list(range(1, 2 * RECEPTIONS + 1))
        assert all(code.startswith("000.00.00.H34-260302-") for code in codes)


def receive_in_threads(url: str, officer: str, start: Any, results: Any) -> None:
    """``THREADS`` threads sharing one ``OneStop``, as an API worker's do."""
    app = OneStop(env=persistence_env(url))
    codes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(EACH):
            code = receive(app, when=MOMENT, officer=desk(officer=officer)).code
            with lock:
                codes.append(code)

    try:
        start.wait(timeout=60)
        threads = [threading.Thread(target=run) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results.put((codes, app.codes.conflicts))
    finally:
        app.close()


@pytest.mark.postgres
def test_workers_with_threads_take_distinct_numbers_without_colliding(
    postgres_url: str,
) -> None:
    seeder = OneStop(env=persistence_env(postgres_url))
    seed_catalogue(seeder)
    seeder.close()
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES + 1), context.Queue()
    workers = [
        context.Process(
            target=receive_in_threads,
            args=(postgres_url, f"desk-{n}", barrier, results),
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=60)
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    codes = [code for batch, _ in outcomes for code in batch]
    numbers = sorted(int(code[-4:]) for code in codes)
    assert numbers == list(range(1, PROCESSES * THREADS * EACH + 1))
    # A process's threads collide about once each (the claims already under
    # way when the first one failed), then it takes numbers from the database;
    # until every process has collided once, a number the database hands out
    # can still meet another process's in-memory count, so how many depends on
    # the scheduling: 33 and 51 seen under CI load. Before the database handed
    # numbers out: 168 collisions in these 400, growing with the run.
    assert sum(conflicts for _, conflicts in outcomes) <= PROCESSES * THREADS * 5
