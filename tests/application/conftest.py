from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.settings import persistence_env
from application.onestop import OneStop
from tests.factories import seed_catalogue
from tests.pki import ensure_pki

STORES = ("memory", "sqlite", "postgres")


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'events.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def app(store_url: str) -> Iterator[OneStop]:
    application = ensure_pki(OneStop(env=persistence_env(store_url)))
    seed_catalogue(application)
    yield application
    application.close()
