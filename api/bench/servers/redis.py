"""A throw-away, non-persistent redis-server for tests and benchmarks."""

from __future__ import annotations

import socket

from api.bench.servers.base import TemporaryService, require_binary

_INSTALL_HINT = "Install it (Debian: apt-get install redis-server)."


class TemporaryRedis(TemporaryService):
    """``redis-server`` on a free loopback port, without RDB or AOF persistence."""

    name = "redis"

    def __init__(
        self, *, startup_timeout: float = 30.0, shutdown_timeout: float = 15.0
    ) -> None:
        super().__init__(
            startup_timeout=startup_timeout, shutdown_timeout=shutdown_timeout
        )
        self._binary = require_binary("redis-server", hint=_INSTALL_HINT)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def _command(self) -> list[str]:
        return [
            str(self._binary),
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self.directory),
            "--logfile",
            "",
        ]

    def _probe(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        # "-LOADING ..." while the server is still loading its data set.
        return reply.startswith(b"+PONG")
