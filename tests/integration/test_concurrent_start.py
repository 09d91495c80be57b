"""Several processes starting at once on an empty PostgreSQL database all come up."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from adapters.settings import persistence_env
from application.onestop import OneStop


def start(url: str, barrier: Any, results: Any) -> None:
    barrier.wait(timeout=60)
    try:
        app = OneStop(env=persistence_env(url))
        app.close()
        results.put("ok")
    except Exception as error:
        results.put(repr(error))


@pytest.mark.postgres
class TestConcurrentStart:
    def test_racing_table_creation_is_retried(self, postgres_url: str) -> None:
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(4), context.Queue()
        workers = [
            context.Process(target=start, args=(postgres_url, barrier, results))
            for _ in range(4)
        ]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert outcomes == ["ok"] * 4
