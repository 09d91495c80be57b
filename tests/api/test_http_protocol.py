"""``motcua serve`` writes a response of known length in one write, and
serves on uvloop with httptools (named, never the pure-Python fallbacks)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from api.cli.serve import uvicorn_options
from api.edge_settings import EdgeSettings
from api.http_protocol import PROTOCOL, HttpProtocol


class Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}.get(
            name, default
        )

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def set_protocol(self, protocol: Any) -> None: ...


async def _answer(app: Any, request: bytes) -> Transport:
    config = Config(app=app, http=PROTOCOL, lifespan="off", log_config=None)
    config.load()
    protocol = HttpProtocol(config=config, server_state=ServerState(), app_state={})
    transport = Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(request)
    for _ in range(50):
        await asyncio.sleep(0)
        if protocol.cycle is not None and protocol.cycle.response_complete:
            break
    protocol.connection_lost(None)
    return transport


def _app(response: Response) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await response(scope, receive, send)

    return app


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def test_a_response_of_known_length_is_one_write() -> None:
    body = b'{"data":{"forwardDossier":{"__typename":"DossierUpdated"}}}'
    transport = await _answer(_app(Response(body, media_type="application/json")), GET)
    (written,) = transport.writes
    head, sent = written.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: %d" % len(body) in head
    assert sent == body


@pytest.mark.parametrize(
    ("request_line", "body"),
    [(GET, b""), (b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", b"x")],
)
async def test_heads_without_a_body_to_follow_are_written_at_once(
    request_line: bytes, body: bytes
) -> None:
    transport = await _answer(_app(Response(body, status_code=200)), request_line)
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\n")


async def test_a_streamed_response_is_written_as_it_comes() -> None:
    async def parts() -> Any:
        yield b"one"
        yield b"two"

    transport = await _answer(_app(StreamingResponse(parts())), GET)
    assert transport.writes[0].endswith(b"transfer-encoding: chunked\r\n\r\n")
    assert b"".join(transport.writes[1:]) == b"3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n"


async def test_a_held_head_is_written_before_the_connection_closes() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", b"10")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise RuntimeError("the body never came")

    transport = await _answer(app, GET)
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.closed


def test_serve_names_uvloop_and_this_protocol() -> None:
    options = uvicorn_options(EdgeSettings())
    assert options["loop"] == "uvloop"
    assert options["http"] == PROTOCOL
    config = Config(app=_app(Response()), **options)
    config.load()
    assert config.http_protocol_class is HttpProtocol
    assert config.get_loop_factory() is not None
