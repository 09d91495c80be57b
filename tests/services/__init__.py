"""The servers the test harness starts: the benches' scratch PostgreSQL and
Redis (``api.bench.servers``, here with ``restart``) and a NATS server with
JetStream."""

from __future__ import annotations

from api.bench.servers import (
    ExternalPostgres,
    PostgresServer,
    ServiceUnavailableError,
    TemporaryService,
)
from api.bench.servers.base import find_free_port
from tests.services.restart import TemporaryNats, TemporaryPostgres, TemporaryRedis

__all__ = [
    "ExternalPostgres",
    "PostgresServer",
    "ServiceUnavailableError",
    "TemporaryNats",
    "TemporaryPostgres",
    "TemporaryRedis",
    "TemporaryService",
    "find_free_port",
]
