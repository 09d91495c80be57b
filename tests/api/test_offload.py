"""Commands run off the event loop: result, error, context variables, and a
cancelled caller that still waits for the command it started."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest

from api.graphql.context import offload

REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="-")


async def test_the_function_runs_on_a_worker_in_the_callers_context() -> None:
    REQUEST.set("req-1")
    loop_thread = threading.get_ident()

    def work(x: int) -> tuple[int, str, bool]:
        return x + 1, REQUEST.get(), threading.get_ident() != loop_thread

    assert await offload(work, 1) == (2, "req-1", True)


async def test_an_error_reaches_the_caller() -> None:
    def fail() -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await offload(fail)


async def test_a_cancelled_caller_waits_for_the_function_to_finish() -> None:
    started, finished = threading.Event(), threading.Event()

    def command() -> str:
        started.set()
        time.sleep(0.3)
        finished.set()
        return "ran"

    task = asyncio.create_task(offload(command))
    while not started.is_set():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()  # not reported before the command had run


async def test_at_most_forty_run_at_once_the_rest_wait_their_turn() -> None:
    lock = threading.Lock()
    running, most, threads = 0, 0, set()

    def command(index: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.get_ident())
        time.sleep(0.05)
        with lock:
            running -= 1
        return index

    results = await asyncio.gather(*(offload(command, i) for i in range(100)))
    assert results == list(range(100))
    assert most == 40
    assert len(threads) == 40


async def test_an_idle_thread_takes_the_next_command() -> None:
    await offload(time.sleep, 0)
    started = {t.name for t in threading.enumerate()}

    def name() -> str:
        return threading.current_thread().name

    names = {await offload(name) for _ in range(50)}
    assert {t.name for t in threading.enumerate()} == started  # none started
    assert names <= started
    assert all(n.startswith("motcua-offload_") for n in names)
