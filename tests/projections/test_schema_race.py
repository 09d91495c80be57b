"""Processes that start together create the read models' tables one at a time
(``ReadStore.schema()``): projector groups, API workers and the sealer all
start at once on a fresh PostgreSQL database, where ``CREATE ... IF NOT
EXISTS`` races in the catalogue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from adapters.readstore.postgres import PostgresReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from projections.registry import all_projections
from projections.runtime import Projector


@pytest.mark.postgres
def test_projectors_starting_together_on_a_fresh_database_all_start(
    postgres_url: str,
) -> None:
    app = OneStop(env=persistence_env(postgres_url))
    stores = [PostgresReadStore(postgres_url, max_size=1) for _ in range(4)]
    start = Barrier(len(stores))

    def open_projector(store: PostgresReadStore) -> int:
        start.wait(timeout=30)
        return Projector(app, store, all_projections()).position()

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            positions = list(pool.map(open_projector, stores))
        assert positions == [0] * len(stores)
    finally:
        for store in stores:
            store.close()
        app.close()
