"""Restarting a scratch server: only the tests need it (recovery after a
PostgreSQL crash, a Redis outage, a NATS restart), so it lives here."""

from __future__ import annotations

import signal
from typing import Literal

from api.bench import servers
from api.bench.servers.base import ServiceUnavailableError, TemporaryService


class Restartable(TemporaryService):
    def restart(self) -> None:
        """Stop the server and start it again on the same port and directory."""
        if self._directory is None:
            raise ServiceUnavailableError(f"{self.name} has not been started")
        self._shutdown()
        try:
            self._launch()
        except BaseException:
            self._cleanup()
            raise


class TemporaryPostgres(Restartable, servers.TemporaryPostgres):
    def restart(self, mode: Literal["fast", "immediate"] = "fast") -> None:
        """Stop and start the server on the same port with the same data.

        ``mode="immediate"`` shuts down without a checkpoint, like a crash:
        the server runs crash recovery when it comes back.
        """
        self.stop_signal = signal.SIGQUIT if mode == "immediate" else signal.SIGINT
        try:
            super().restart()
        finally:
            self.stop_signal = signal.SIGINT


class TemporaryNats(Restartable, servers.TemporaryNats):
    """JetStream data survives :meth:`restart` (same port and directory)."""


class TemporaryRedis(Restartable, servers.TemporaryRedis):
    """Data does not survive :meth:`restart` (no persistence, by design)."""
