"""Read stores with the application on the same database: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.readstore.postgres import PostgresReadStore
from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application.onestop import OneStop
from projections.ports import ReadStore

BACKENDS = ("sqlite", pytest.param("postgres", marks=pytest.mark.postgres))


@dataclass
class Backend:
    """An application and a read store on one database."""

    kind: str
    url: str
    app: OneStop
    store: ReadStore

    def new_store(self) -> ReadStore:
        """Another read store on the same database (another process, say)."""
        if self.kind == "postgres":
            return PostgresReadStore(self.url)
        return SQLiteReadStore(persistence_env(self.url)["SQLITE_DBNAME"])


def database_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'motcua.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def open_backend(kind: str, url: str) -> Backend:
    app = OneStop(env=persistence_env(url))
    store: ReadStore = (
        PostgresReadStore(url)
        if kind == "postgres"
        else SQLiteReadStore(persistence_env(url)["SQLITE_DBNAME"])
    )
    return Backend(kind, url, app, store)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    kind = str(request.param)
    opened = open_backend(kind, database_url(kind, request, tmp_path))
    try:
        yield opened
    finally:
        opened.store.close()
        opened.app.close()


@pytest.fixture
def postgres_backend(postgres_url: str) -> Iterator[Backend]:
    opened = open_backend("postgres", postgres_url)
    try:
        yield opened
    finally:
        opened.store.close()
        opened.app.close()
