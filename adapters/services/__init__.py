"""Real PostgreSQL, Redis and NATS servers started on demand.

Each ``Temporary*`` class starts its server in a fresh temporary directory on a
free loopback port, waits until it accepts clients, exposes ``url`` and stops
it and deletes the directory on exit (also on exceptions, and at interpreter
exit as a safety net)::

    with TemporaryPostgres() as pg, TemporaryRedis() as redis:
        url = pg.create_database("bench")

Used by the test harness (``tests/conftest.py``) and by ``motcua bench``.
"""

from __future__ import annotations

from adapters.services._process import ServiceUnavailableError, TemporaryService
from adapters.services.nats import TemporaryNats
from adapters.services.postgres import (
    ExternalPostgres,
    PostgresServer,
    TemporaryPostgres,
)
from adapters.services.redis import TemporaryRedis

__all__ = [
    "ExternalPostgres",
    "PostgresServer",
    "ServiceUnavailableError",
    "TemporaryNats",
    "TemporaryPostgres",
    "TemporaryRedis",
    "TemporaryService",
]
