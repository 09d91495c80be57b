"""Scratch PostgreSQL, Redis and NATS servers for ``motcua bench``.

Each ``Temporary*`` class starts its server in a fresh temporary directory on a
free loopback port, waits until it accepts clients, exposes ``url`` and stops
it and deletes the directory on exit (also on exceptions, and at interpreter
exit as a safety net)::

    with TemporaryPostgres() as pg, TemporaryRedis() as redis:
        url = pg.create_database("bench")

The benches need them (``motcua bench`` measures on throw-away servers when no
URL is given); the test harness (``tests/services``) reuses them and adds
``restart``.
"""

from __future__ import annotations

from api.bench.servers.base import ServiceUnavailableError, TemporaryService
from api.bench.servers.nats import TemporaryNats
from api.bench.servers.postgres import (
    ExternalPostgres,
    PostgresServer,
    TemporaryPostgres,
)
from api.bench.servers.redis import TemporaryRedis

__all__ = [
    "ExternalPostgres",
    "PostgresServer",
    "ServiceUnavailableError",
    "TemporaryNats",
    "TemporaryPostgres",
    "TemporaryRedis",
    "TemporaryService",
]
