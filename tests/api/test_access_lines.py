"""Access lines of concurrent requests are written together at the loop's
next turn; a request alone is written at once, as before; none is lost and
the order is kept."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.types import Message, Receive, Scope, Send

from api.edge import Edge
from api.edge_settings import EdgeSettings
from api.logging import AccessLines
from api.metrics import ApiMetrics


class Counted:
    """A stderr whose binary writes are counted (what ``sys.stderr.buffer``
    is to the access lines)."""

    def __init__(self) -> None:
        self.raw = io.BytesIO()
        self.writes = 0
        self.buffer = self

    def write(self, data: bytes) -> int:
        self.writes += 1
        return self.raw.write(data)

    def flush(self) -> None:
        pass

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw.getvalue().splitlines()]


@contextmanager
def counted_stderr() -> Iterator[Counted]:
    """Swapped in inside the test (the capture plugin sets its own
    ``sys.stderr`` again after the fixtures' set-up)."""
    counted, saved = Counted(), sys.stderr
    sys.stderr = counted
    try:
        yield counted
    finally:
        sys.stderr = saved


async def test_the_turns_later_lines_are_written_together_at_the_next_turn() -> None:
    with counted_stderr() as stderr:
        lines = AccessLines()
        lines.info("request", hold=True, n=1)  # the turn's first: at once
        assert stderr.writes == 1
        lines.info("request", hold=True, n=2)
        lines.info("request", hold=True, n=3)
        lines.info("request", n=4)  # not held itself, but after held ones: joins
        assert stderr.writes == 1
        await asyncio.sleep(0)
        assert stderr.writes == 2
        assert [line["n"] for line in stderr.lines()] == [1, 2, 3, 4]
        lines.info("request", hold=True, n=5)  # a new turn's first: at once
        assert stderr.writes == 3
        assert stderr.lines()[-1]["n"] == 5


def test_without_a_running_loop_every_line_is_written_at_once() -> None:
    with counted_stderr() as stderr:
        lines = AccessLines()
        lines.info("request", hold=True, n=1)
        lines.info("request", hold=True, n=2)
        assert stderr.writes == 2
        assert [line["n"] for line in stderr.lines()] == [1, 2]


async def test_release_writes_the_held_lines_once() -> None:
    """What the exit does (``atexit``) when the loop's next turn never came;
    the turn then writes nothing again."""
    with counted_stderr() as stderr:
        lines = AccessLines()
        lines.info("request", hold=True, n=1)
        lines.info("request", hold=True, n=2)
        lines.release()
        assert [line["n"] for line in stderr.lines()] == [1, 2]
        assert stderr.writes == 2
        await asyncio.sleep(0)
        assert stderr.writes == 2


def _edge(app: Any) -> Edge:
    return Edge(
        app, edge=EdgeSettings(), metrics=ApiMetrics.create(CollectorRegistry())
    )


async def _get(edge: Edge, path: str) -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "",
        "headers": [],
        "query_string": b"",
        "client": ("127.0.0.1", 1),
        "scheme": "http",
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    await edge(scope, receive, send)


async def test_the_edge_writes_a_burst_in_two_writes_and_a_lone_request_at_once() -> (
    None
):
    with counted_stderr() as stderr:
        release = asyncio.Event()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["path"] != "/alone":
                await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        edge = _edge(app)
        await _get(edge, "/alone")
        assert stderr.writes == 1  # alone: at once, before the loop turns
        burst = [asyncio.create_task(_get(edge, f"/b{n}")) for n in range(8)]
        await asyncio.sleep(0.01)  # all eight in flight
        release.set()
        await asyncio.gather(*burst)
        await asyncio.sleep(0)
        paths = [line["path"] for line in stderr.lines()]
        assert paths[0] == "/alone"
        assert sorted(paths[1:]) == sorted(f"/b{n}" for n in range(8))
        assert all(line["status"] == 200 for line in stderr.lines())
        # eight answers in one turn: the first at once, seven at the next turn
        assert stderr.writes == 1 + 2
        await _get(edge, "/alone")
        assert stderr.lines()[-1]["path"] == "/alone"  # at once again
