"""What the worker processes of one ``motcua serve --workers N`` share on a host.

* :class:`ProjectorLease` — an exclusive ``flock`` on a file in the data
  directory elects the one worker that follows the log; the kernel releases it
  when that worker dies, and a standby worker takes it over.
* :class:`SharedGeneration` — a counter in a memory-mapped file that the
  projecting worker bumps before and after each batch commits. A worker's
  in-process public-status cache keeps the generation it read *before* reading
  the read model with each entry and serves the entry only while the counter
  is unchanged, so no worker serves a status older than the last commit
  (reading it costs a few hundred nanoseconds, no I/O).
* :class:`LocalFanout` — the changed keys of each committed batch, sent as Unix
  datagrams to every other worker, which wakes its subscriptions (SQLite has no
  cross-process channel like PostgreSQL's LISTEN/NOTIFY).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import socket
import struct
import threading
from collections.abc import Callable
from pathlib import Path

import structlog

from projections.runtime import change_payloads

log = structlog.get_logger("workers")

_COUNTER = struct.Struct("<Q")


def shared_dir(data_dir: Path, database_url: str) -> Path:
    """One directory per database under the data directory."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:12]
    path = data_dir / "workers" / digest
    path.mkdir(parents=True, exist_ok=True)
    return path


class ProjectorLease:
    """Held by at most one process at a time; released when it exits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


class Generation:
    """The read models' generation as one process sees it (one worker)."""

    def __init__(self) -> None:
        self._value = 0

    def value(self) -> int:
        return self._value

    def bump(self, _changes: object = None) -> None:
        self._value += 1  # one writer: the projector's thread

    def close(self) -> None:
        pass


class SharedGeneration(Generation):
    """A 64-bit counter every worker maps; only the lease holder bumps it."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        super().__init__()
        try:
            if os.fstat(fd).st_size < _COUNTER.size:
                os.ftruncate(fd, _COUNTER.size)
            self._map = mmap.mmap(fd, _COUNTER.size)
        finally:
            os.close(fd)

    def value(self) -> int:
        value: int = _COUNTER.unpack_from(self._map, 0)[0]
        return value

    def bump(self, _changes: object = None) -> None:
        _COUNTER.pack_into(self._map, 0, self.value() + 1)

    def close(self) -> None:
        with contextlib.suppress(BufferError):
            self._map.close()


class LocalFanout:
    """Unix datagram sockets, one per worker, in a shared directory."""

    def __init__(self, directory: Path, deliver: Callable[[dict[str, set[str]]], None]):
        self.directory = directory
        self._deliver = deliver
        self._path = directory / f"{os.getpid()}.sock"
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self._path))
        self._socket.settimeout(0.5)
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._receive, name="motcua-fanout", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def send(self, changes: dict[str, set[str]]) -> None:
        """To every other worker; a worker that is gone is forgotten."""
        payloads = [p.encode() for p in change_payloads(changes)]
        for peer in self.directory.glob("*.sock"):
            if peer == self._path:
                continue
            for payload in payloads:
                try:
                    self._sender.sendto(payload, str(peer))
                except (ConnectionRefusedError, FileNotFoundError):
                    with contextlib.suppress(FileNotFoundError):
                        peer.unlink()
                    break
                except BlockingIOError:
                    # The peer's queue is full: its subscribers see this change
                    # with the next one (they re-read the read model on waking).
                    log.warning("fanout_dropped", peer=peer.name)
                    break

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                payload = self._socket.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                changes = {k: set(v) for k, v in json.loads(payload).items()}
            except (ValueError, AttributeError, TypeError):
                log.warning("fanout_payload_ignored")
                continue
            self._deliver(changes)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()
        self._sender.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()
