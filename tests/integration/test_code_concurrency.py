"""Two processes receiving at the same moment never share a dossier code."""

from __future__ import annotations

import multiprocessing
from datetime import datetime
from typing import Any

import pytest

from adapters.settings import persistence_env
from application.onestop import OneStop
from tests.factories import VN, desk, receive, seed_catalogue

RECEPTIONS = 100
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
