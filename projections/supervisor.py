"""One projector process per group of read models, watched by their parent.

The parent forks one child per group (``projections.groups``) before it has
opened any connection or started any thread, so each child builds its own
application, read store and listeners. Each child dies with its parent
(Linux ``PR_SET_PDEATHSIG``: SIGTERM, so it stops cleanly even when the parent
was killed with SIGKILL).

:class:`Supervisor` keeps followers running: SIGTERM (``stop``) stops every
child and waits for it; a child that exits on its own (a crash, ``kill -9``)
is started again after a pause that doubles with each quick failure (1 s up to
30 s), since its read models stop moving without it while the other groups go
on. The batches of a killed child were not committed, so its successor applies
them again from the child's tracking positions: nothing lost, nothing twice.

:func:`run_once` runs one task per group in parallel (a rebuild, the bench)
and returns each child's result; any failed child fails the call.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

log = structlog.get_logger("projections")

Group = Sequence[str]
_FORK = multiprocessing.get_context("fork")
_PR_SET_PDEATHSIG = 1


class GroupFailedError(Exception):
    """A group's child failed (its traceback, or how it exited)."""


def _die_with_parent(parent: int) -> None:
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def _child(
    parent: int, target: Callable[[int, list[str]], None], index: int, names: list[str]
) -> None:
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)  # the target sets its own
    _die_with_parent(parent)
    target(index, names)


@dataclass
class _Follower:
    index: int
    names: list[str]
    process: BaseProcess | None = None
    started: float = 0.0
    quick_failures: int = 0
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    """Runs ``target(index, names)`` in one child per group until stopped."""

    def __init__(
        self,
        groups: Sequence[Group],
        target: Callable[[int, list[str]], None],
        *,
        pause: float = 1.0,
        max_pause: float = 30.0,
        healthy_after: float = 60.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.target = target
        self.pause = pause
        self.max_pause = max_pause
        self.healthy_after = healthy_after
        """A child that ran this long before it failed starts again at once."""
        self.stop_timeout = stop_timeout
        self._followers = [_Follower(i, list(g)) for i, g in enumerate(groups)]

    @property
    def pids(self) -> list[int | None]:
        return [f.process.pid if f.process else None for f in self._followers]

    def run(self, stop: threading.Event) -> int:
        """Until ``stop``: 0 when every child stopped cleanly, else 1."""
        for follower in self._followers:
            self._start(follower)
        try:
            while not stop.is_set():
                self._watch(stop)
        finally:
            clean = self._stop_all()
        return 0 if clean else 1

    def _start(self, follower: _Follower) -> None:
        process = _FORK.Process(
            target=_child,
            args=(os.getpid(), self.target, follower.index, follower.names),
            name=f"motcua-projector-{follower.index}",
            daemon=False,
        )
        process.start()
        follower.process = process
        follower.started = time.monotonic()
        follower.restart_at = None
        log.info(
            "projector_group_started",
            group=follower.index,
            pid=process.pid,
            read_models=follower.names,
        )

    def _watch(self, stop: threading.Event) -> None:
        now = time.monotonic()
        for follower in self._followers:
            if follower.restart_at is not None and follower.restart_at <= now:
                follower.restarts += 1
                self._start(follower)
        running = [
            f.process.sentinel
            for f in self._followers
            if f.process is not None and self._alive(f)
        ]
        pending = [f.restart_at for f in self._followers if f.restart_at is not None]
        timeout = min([0.25, *(max(at - now, 0.0) for at in pending)])
        if running:
            wait(running, timeout)
        else:
            stop.wait(timeout)
        if stop.is_set():
            return
        for follower in self._followers:
            process = follower.process
            if process is None or follower.restart_at is not None:
                continue
            if process.exitcode is None:
                continue
            lived = time.monotonic() - follower.started
            follower.quick_failures = (
                0 if lived >= self.healthy_after else follower.quick_failures + 1
            )
            delay = min(
                self.pause * 2 ** max(follower.quick_failures - 1, 0), self.max_pause
            )
            follower.restart_at = time.monotonic() + delay
            log.error(
                "projector_group_exited",
                group=follower.index,
                pid=process.pid,
                exit_code=process.exitcode,
                read_models=follower.names,
                restart_in=round(delay, 2),
            )

    @staticmethod
    def _alive(follower: _Follower) -> bool:
        return (
            follower.process is not None
            and follower.restart_at is None
            and follower.process.exitcode is None
        )

    def _stop_all(self) -> bool:
        processes = [
            f.process
            for f in self._followers
            if f.process is not None and f.restart_at is None
        ]
        for process in processes:
            if process.exitcode is None and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        clean = True
        for process in processes:
            process.join(max(deadline - time.monotonic(), 0.0))
            if process.exitcode is None:
                log.error("projector_group_killed", pid=process.pid)
                process.kill()
                process.join(5.0)
                clean = False
            elif process.exitcode != 0:
                clean = False
        return clean


Advance = Callable[[int], None]
"""Called by a group's task with each step's count (a rebuild's events)."""


def _run_child(
    parent: int,
    target: Callable[[int, list[str], Advance], Any],
    index: int,
    names: list[str],
    sender: Connection,
    done: Any,
) -> None:
    _die_with_parent(parent)

    def advance(count: int) -> None:
        with done.get_lock():
            done[index] += count

    try:
        result = target(index, names, advance)
    except BaseException:
        sender.send((False, traceback.format_exc()))
        raise
    sender.send((True, result))


def run_once(
    groups: Sequence[Group],
    target: Callable[[int, list[str], Advance], Any],
    progress: Callable[[int, int], None] | None = None,
) -> list[Any]:
    """``target(index, names, advance)`` for every group at once, one child
    each; their results in group order. ``progress(index, done)`` is called in
    this process about every 0.2 s with what each group advanced so far.
    Raises :class:`GroupFailedError` once every child ended if any failed."""
    done = _FORK.Array("q", len(groups))
    children: list[tuple[Any, Connection]] = []
    outcomes: dict[int, tuple[bool, Any]] = {}
    try:
        for index, group in enumerate(groups):
            receiver, sender = _FORK.Pipe(duplex=False)
            process = _FORK.Process(
                target=_run_child,
                args=(os.getpid(), target, index, list(group), sender, done),
                name=f"motcua-projector-{index}",
            )
            process.start()
            sender.close()
            children.append((process, receiver))
        while len(outcomes) < len(children):
            waiting = {
                receiver: index
                for index, (_, receiver) in enumerate(children)
                if index not in outcomes
            }
            for ready in wait(list(waiting), 0.2):
                index = waiting[ready]  # type: ignore[index]
                try:
                    outcomes[index] = children[index][1].recv()
                except EOFError:
                    outcomes[index] = (False, "exited without a result")
            if progress is not None:
                for index in range(len(children)):
                    progress(index, int(done[index]))
        results: list[Any] = []
        failures: list[str] = []
        for index, (process, _) in enumerate(children):
            process.join()
            ok, value = outcomes[index]
            if ok and process.exitcode == 0:
                results.append(value)
            else:
                failures.append(
                    f"group {index} ({', '.join(groups[index])}), "
                    f"exit code {process.exitcode}: {value}"
                )
        if failures:
            raise GroupFailedError("\n".join(failures))
        return results
    finally:
        for process, receiver in children:
            receiver.close()
            if process.exitcode is None:
                process.terminate()
                process.join(10.0)
