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
