"""``motcua serve`` (and ``motcua projector``) as real processes on loopback ports.

Tests that must see what users see — real sockets, the production logging, a
separate projector, uvicorn's own protocol handling — start the product with
``served(...)``. Seeding and tokens happen in the test process against the same
database and data directory, exactly as an operator would with the CLI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from adapters.settings import Settings
from api.auth import AuthSettings, TokenIssuer
from api.bench.processes import motcua_env as motcua_env
from api.bench.servers import lifetime
from tests.services import find_free_port

START_TIMEOUT = 60.0


@dataclass
class Process:
    """A motcua subcommand running as its own OS process; its output goes to a file."""

    args: Sequence[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        # SIGTERM if the test run dies: serve stops its own workers then.
        self.popen = lifetime.popen(
            [sys.executable, "-m", "api.cli", *self.args],
            death_signal=signal.SIGTERM,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class Served:
    """A served motcua: its base URL, settings, tokens and processes."""

    url: str
    settings: Settings
    server: Process
    tokens: TokenIssuer
    others: list[Process] = field(default_factory=list)

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/graphql"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, **kwargs)

    def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        with self.client() as client:
            return client.post(
                "/graphql",
                json={"query": query, "variables": dict(variables or {})},
                headers=sent,
            )

    def upload(
        self,
        data: bytes,
        *,
        token: str | None,
        filename: str = "scan.pdf",
        content_type: str = "application/pdf",
    ) -> httpx.Response:
        """``POST /api/files`` as real HTTP multipart."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with self.client() as client:
            return client.post(
                "/api/files",
                files={"file": (filename, data, content_type)},
                headers=headers,
            )

    def download(self, document_id: str, *, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with self.client() as client:
            return client.get(f"/api/documents/{document_id}", headers=headers)

    def readyz(self) -> dict[str, Any]:
        with self.client() as client:
            body: dict[str, Any] = client.get("/readyz").json()
            return body


def _wait_until_ready(url: str, process: Process) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"motcua serve exited:\n{process.output()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"motcua serve did not start:\n{process.output()}")


@contextmanager
def served(
    settings: Settings,
    *,
    extra_env: Mapping[str, str] | None = None,
    serve_args: Sequence[str] = (),
    projector: bool = False,
    integrator: bool = False,
) -> Iterator[Served]:
    """Run ``motcua serve`` (and, when asked, ``motcua projector``) on ``settings``.

    The caller seeds the database first (e.g. ``seed_catalogue`` on an
    application built from the same settings) and closes that application.
    """
    env = motcua_env(settings, extra_env or {})
    port = find_free_port()
    logs = settings.data_dir
    logs.mkdir(parents=True, exist_ok=True)
    processes: list[Process] = []
    try:
        if projector:
            worker = Process(["projector"], env, logs / "projector.log")
            worker.start()
            processes.append(worker)
        if integrator:
            follower = Process(["integrator"], env, logs / "integrator.log")
            follower.start()
            processes.append(follower)
        server = Process(
            ["serve", "--host", "127.0.0.1", "--port", str(port), *serve_args],
            env,
            logs / "serve.log",
        )
        server.start()
        processes.append(server)
        url = f"http://127.0.0.1:{port}"
        _wait_until_ready(url, server)
        tokens = TokenIssuer.from_settings(AuthSettings.from_settings(settings))
        yield Served(url, settings, server, tokens, others=processes[:-1])
    finally:
        for process in reversed(processes):
            process.stop()


def seeded_settings(
    data_dir: Path,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    options: Mapping[str, str] | None = None,
) -> Settings:
    """Settings for a served test instance, with the test catalogue recorded."""
    from api.wiring import build_application
    from tests.factories import seed_catalogue

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        database_url=database_url or f"sqlite:///{data_dir / 'motcua.db'}",
        redis_url=redis_url,
        data_dir=data_dir,
        options=dict(options or {}),
    )
    app = build_application(settings)
    try:
        seed_catalogue(app)
    finally:
        app.close()
    return settings
