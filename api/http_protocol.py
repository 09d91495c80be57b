"""uvicorn's httptools protocol, writing a response of known length at once.

uvicorn writes the status line and headers when the app sends
``http.response.start`` and the body when it sends ``http.response.body``:
two socket writes (two system calls, two TCP segments the client reads) per
response, about a tenth of a served mutation's time on the event loop. Here a
response that declares its ``Content-Length`` (every ``Response`` the API
builds) has its head held until its body's first write and sent with it.
Streaming (chunked) responses, ``HEAD`` and empty bodies are written as
uvicorn writes them; ``100 Continue`` is never held; a held head is written
before the connection is closed, as uvicorn would have.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import (
    HttpToolsProtocol,
    RequestResponseCycle,
)

PROTOCOL = f"{__name__}:HttpProtocol"


class HttpProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not before and cycle is not None:
            cycle.transport = _OneWrite(self.transport, cycle)  # type: ignore[assignment]


class _OneWrite:
    """The connection's transport as one response's cycle sees it."""

    __slots__ = ("_cycle", "_head", "_head_seen", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle):
        self._transport = transport
        self._cycle = cycle
        self._head: bytes | None = None
        self._head_seen = False

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:
            self._head = None
            data = head + data
        elif not self._head_seen and self._cycle.response_started:
            self._head_seen = True  # this write is the status line and headers
            cycle = self._cycle
            if (
                cycle.chunked_encoding is False
                and cycle.expected_content_length > 0
                and cycle.scope["method"] != "HEAD"
            ):
                self._head = data
                return
        self._transport.write(data)

    def close(self) -> None:
        head, self._head = self._head, None
        if head is not None:
            self._transport.write(head)
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
