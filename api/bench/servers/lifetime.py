"""Child processes that die with the process that started them.

A test run or bench killed with SIGKILL runs no ``finally`` and no
:mod:`atexit`: without help, its PostgreSQL, Redis, NATS and ``motcua serve``
processes live on as orphans (ppid 1), holding ports, memory and CPU. On Linux,
:func:`popen` asks the kernel (``prctl(PR_SET_PDEATHSIG)``) to signal the child
when its parent goes away.

The kernel ties that signal to the *thread* that forked, not to the process:
a server started from a short-lived thread (a bench worker, a thread pool)
would be killed as soon as that thread ends. So only the main thread forks
directly; other threads hand the fork to one daemon thread that lives as long
as the process.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

_PR_SET_PDEATHSIG = 1

_Job = tuple[Callable[[], "subprocess.Popen[bytes]"], "Future[subprocess.Popen[bytes]]"]


def popen(
    args: Sequence[str],
    *,
    death_signal: signal.Signals = signal.SIGKILL,
    **kwargs: Any,
) -> subprocess.Popen[bytes]:
    """:class:`subprocess.Popen` whose child gets ``death_signal`` when this
    process dies (Linux; elsewhere a plain ``Popen``)."""
    if sys.platform != "linux":
        return subprocess.Popen(list(args), **kwargs)
    hook = _die_with_parent(death_signal)

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(list(args), preexec_fn=hook, **kwargs)

    if threading.current_thread() is threading.main_thread():
        return spawn()
    return _Spawner.instance().run(spawn)


def _die_with_parent(death_signal: signal.Signals) -> Callable[[], None]:
    # Everything the child needs is prepared here: between fork and exec
    # only async-signal-safe work is allowed (no imports, no allocation-heavy
    # Python).
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()
    number = int(death_signal)

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, number, 0, 0, 0)
        # The parent may have died between fork and prctl: nobody would
        # signal us then.
        if os.getppid() != parent:
            os.kill(os.getpid(), number)

    return hook


class _Spawner:
    """One daemon thread that forks on behalf of the other threads."""

    _lock = threading.Lock()
    _instance: _Spawner | None = None

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._serve, name="lifetime-spawner", daemon=True
        )
        self._thread.start()

    @classmethod
    def instance(cls) -> _Spawner:
        with cls._lock:
            if cls._instance is None or not cls._instance._thread.is_alive():
                cls._instance = _Spawner()
            return cls._instance

    def run(
        self, spawn: Callable[[], subprocess.Popen[bytes]]
    ) -> subprocess.Popen[bytes]:
        future: Future[subprocess.Popen[bytes]] = Future()
        self._jobs.put((spawn, future))
        return future.result()

    def _serve(self) -> None:
        while True:
            spawn, future = self._jobs.get()
            try:
                future.set_result(spawn())
            except BaseException as error:  # handed to the asking thread
                future.set_exception(error)
