"""Shared machinery for the scratch servers in :mod:`api.bench.servers`.

A :class:`TemporaryService` owns one server process running in the foreground
(never daemonised, so the ``Popen`` handle is the server itself), a fresh
temporary directory and a loopback port. It is a context manager; ``stop()``
is idempotent and is also registered with :mod:`atexit` as a safety net.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import structlog

from api.bench.servers import lifetime, scratch

logger = structlog.get_logger(__name__)

LOOPBACK = "127.0.0.1"


class ServiceUnavailableError(RuntimeError):
    """A server binary is missing, or the server did not start or answer."""


def find_free_port(host: str = LOOPBACK) -> int:
    """Ask the kernel for a currently unused TCP port on ``host``.

    The port is released before returning, so another process could take it
    in between; :meth:`TemporaryService.start` retries with a fresh port when
    the server dies during start-up.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_accepts_connections(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path, max_bytes: int = 4000) -> str:
    """The end of a log file, for error messages."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            return handle.read().decode("utf-8", errors="replace").strip()
    except OSError:
        return "(no log)"


def require_binary(
    name: str,
    candidates: Sequence[Path] = (),
    hint: str = "",
) -> Path:
    """Find an executable on ``PATH`` or among ``candidates``.

    Raises :class:`ServiceUnavailableError` naming every place looked at.
    """
    found = shutil.which(name)
    if found:
        return Path(found)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ["PATH"] + [str(c) for c in candidates]
    message = f"'{name}' not found (looked in: {', '.join(looked)})."
    if hint:
        message = f"{message} {hint}"
    raise ServiceUnavailableError(message)


class TemporaryService(ABC):
    """A throw-away server process bound to a free loopback port.

    Subclasses implement :meth:`_prepare` (one-off set-up of ``directory``),
    :meth:`_command` and :meth:`_probe` (True once the server answers).
    """

    #: Short name used in directory prefixes, logs and messages.
    name: str = "service"
    #: Signal asking the server to shut down cleanly.
    stop_signal: signal.Signals = signal.SIGTERM
    #: How many fresh ports to try if the server dies while starting.
    start_attempts: int = 3
    #: Signal the kernel sends the server when the process that started it
    #: dies without stopping it (see :mod:`api.bench.servers.lifetime`).
    death_signal: signal.Signals = signal.SIGKILL

    def __init__(
        self,
        *,
        startup_timeout: float = 30.0,
        shutdown_timeout: float = 15.0,
    ) -> None:
        self.host = LOOPBACK
        self.port = 0
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self._directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: IO[bytes] | None = None
        self._prepared = False
        self._atexit_registered = False

    # -- to implement -----------------------------------------------------

    def _prepare(self) -> None:  # noqa: B027 - optional hook
        """One-off preparation of :attr:`directory` before the first start."""

    @abstractmethod
    def _command(self) -> list[str]:
        """The command line starting the server in the foreground."""

    @abstractmethod
    def _probe(self) -> bool:
        """True once the server is ready to serve clients."""

    def _popen_kwargs(self) -> dict[str, Any]:
        """Extra keyword arguments for :class:`subprocess.Popen`."""
        return {}

    # -- public API -------------------------------------------------------

    @property
    def directory(self) -> Path:
        """The temporary directory holding this server's data and log."""
        if self._directory is None:
            raise ServiceUnavailableError(f"{self.name} has not been started")
        return self._directory

    @property
    def log_path(self) -> Path:
        return self.directory / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the server (on a fresh port and directory the first time)."""
        if self.running:
            return self
        if self._directory is None:
            # Made before the atexit hook: hooks run last-in first-out, so
            # the server stops before its run folder is removed.
            self._directory = scratch.folder(f"motcua-{self.name}-")
        self._register_atexit()
        try:
            if not self._prepared:
                self._prepare()
                self._prepared = True
            if self.port:
                # Started again (the test harness restarts servers): keep the
                # port clients already know.
                self._launch()
            else:
                self._launch_on_fresh_port()
        except BaseException:
            self._cleanup()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and delete its directory. Safe to call twice."""
        self._cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"

    # -- internals --------------------------------------------------------

    def _launch_on_fresh_port(self) -> None:
        last_error: ServiceUnavailableError | None = None
        for _ in range(self.start_attempts):
            self.port = find_free_port(self.host)
            self._on_port_chosen()
            try:
                self._launch()
                return
            except _DiedDuringStartupError as error:
                # Most likely somebody took the port between probe and bind.
                last_error = error
                logger.warning(
                    "service.start_retry", service=self.name, error=str(error)
                )
        assert last_error is not None
        raise last_error

    def _on_port_chosen(self) -> None:  # noqa: B027 - optional hook
        """Hook for subclasses that derive more settings from the port."""

    def _launch(self) -> None:
        started = time.monotonic()
        command = self._command()
        self._log_handle = self.log_path.open("ab")
        try:
            self._process = lifetime.popen(
                command,
                death_signal=self.death_signal,
                stdin=subprocess.DEVNULL,
                stdout=self._log_handle,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                # Own session: a Ctrl-C in the terminal reaches the test runner,
                # which then shuts the server down in order.
                start_new_session=True,
                **self._popen_kwargs(),
            )
        except OSError as error:
            raise ServiceUnavailableError(
                f"could not run {command[0]}: {error}"
            ) from error
        self._wait_until_ready(started)
        logger.debug(
            "service.started",
            service=self.name,
            port=self.port,
            pid=self._process.pid,
            seconds=round(time.monotonic() - started, 3),
        )

    def _wait_until_ready(self, started: float) -> None:
        process = self._process
        assert process is not None
        deadline = started + self.startup_timeout
        delay = 0.01
        while True:
            code = process.poll()
            if code is not None:
                self._close_process_handles()
                raise _DiedDuringStartupError(
                    f"{self.name} exited with code {code} while starting on port "
                    f"{self.port}. Log {self.log_path}:\n{tail(self.log_path)}"
                )
            if self._probe():
                return
            if time.monotonic() > deadline:
                self._shutdown()
                raise ServiceUnavailableError(
                    f"{self.name} did not become ready on {self.host}:{self.port} "
                    f"within {self.startup_timeout:.0f}s. "
                    f"Log {self.log_path}:\n{tail(self.log_path)}"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _shutdown(self) -> None:
        """Stop the process (politely, then firmly); keep the directory."""
        process = self._process
        if process is None:
            return
        try:
            if process.poll() is None:
                for sig, wait in (
                    (self.stop_signal, self.shutdown_timeout),
                    (signal.SIGKILL, 5.0),
                ):
                    with contextlib.suppress(ProcessLookupError):
                        process.send_signal(sig)
                    try:
                        process.wait(timeout=wait)
                        break
                    except subprocess.TimeoutExpired:
                        logger.warning(
                            "service.stop_timeout", service=self.name, signal=sig.name
                        )
            else:
                process.wait()
        finally:
            self._close_process_handles()

    def _close_process_handles(self) -> None:
        self._process = None
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def _cleanup(self) -> None:
        try:
            self._shutdown()
        finally:
            if self._directory is not None:
                shutil.rmtree(self._directory, ignore_errors=True)
                self._directory = None
            self._prepared = False
            self.port = 0
            self._unregister_atexit()

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(self._cleanup)
            self._atexit_registered = True

    def _unregister_atexit(self) -> None:
        if self._atexit_registered:
            atexit.unregister(self._cleanup)
            self._atexit_registered = False


class _DiedDuringStartupError(ServiceUnavailableError):
    """The server process exited before it became ready."""
