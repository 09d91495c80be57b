"""The edge: one pure ASGI middleware in front of every route.

In order, as the separate layers it replaces did (outermost first): trusted
proxies rewrite the client address and scheme; a request id is chosen (the
client's when well-formed), bound for every log line and echoed; security
headers cover every response, refusals included; CORS; the ``/metrics`` gate;
body limits; idempotency keys. After the response: one Prometheus count and
latency, one JSON access line. One layer means one ``send`` wrapper and one
pass over the request headers instead of eight of each: the layers cost a
lookup more than its query (see README *Performance*).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping

import structlog
from prometheus_client import Counter, Histogram
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body_limit import BodyLimits
from api.edge_settings import EdgeSettings
from api.idempotency import Idempotency
from api.logging import access_logger, request_id_of
from api.metrics import ApiMetrics, route_of
from api.security import MetricsGate, TrustedProxies, security_headers


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        edge: EdgeSettings,
        metrics: ApiMetrics,
        upload_paths: tuple[str, ...] = (),
        posts: Mapping[str, ASGIApp] = {},
    ) -> None:
        self.app = app
        self.posts = {path: _server_errors(post) for path, post in posts.items()}
        """``POST`` endpoints by exact path, answered here rather than by
        ``app`` (its routing and exception layers): the app's own routes for
        those paths are then reached only by other methods."""
        self.proxies = (
            TrustedProxies(edge.trusted_proxies) if edge.trusted_proxies else None
        )
        self.gate = MetricsGate(edge)
        self.limits = BodyLimits(
            max_body_bytes=edge.max_body_bytes,
            max_ws_bytes=edge.max_ws_message_bytes,
            upload_paths=upload_paths,
            max_upload_bytes=edge.max_upload_bytes,
        )
        self.idempotency = Idempotency(
            max_response_bytes=edge.idempotency_max_response_bytes
        )
        self.metrics = metrics
        # Children of the labelled metrics, found once per label set.
        self._counts: dict[tuple[str, str, int], Counter] = {}
        self._latencies: dict[str, Histogram] = {}
        self.cors = CORSMiddleware(
            self._guarded,
            allow_origins=list(edge.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Accept-Language",
                "Idempotency-Key",
                "X-Request-Id",
            ],
            expose_headers=["X-Request-Id", "Idempotent-Replayed", "Retry-After"],
            max_age=600,
        )
        self.log = access_logger()
        self.pid = os.getpid()  # the worker's: the app is built in it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        if self.proxies is not None:
            scope = self.proxies.rewrite(scope)
        incoming = b""
        origin = False
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value
            elif name == b"origin":
                origin = True
        request_id = request_id_of(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        tokens = structlog.contextvars.bind_contextvars(
            request_id=request_id, path=path, method=scope.get("method", "WS")
        )
        try:
            if kind == "websocket":
                await self._websocket(scope, receive, send, request_id)
            else:
                await self._http(scope, receive, send, request_id, path, origin)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, request_id: str
    ) -> None:
        echoed = request_id.encode()

        async def respond(message: Message) -> None:
            if message["type"] == "http.response.start":  # as for HTTP
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"x-request-id", echoed)],
                }
            await send(message)

        await self.app(scope, self.limits.bounded_ws(receive, send), respond)

    async def _http(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request_id: str,
        path: str,
        origin: bool,
    ) -> None:
        started = time.perf_counter()
        status = 0
        secure = scope.get("scheme") == "https"
        echoed = request_id.encode()

        async def respond(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = security_headers(message.get("headers", []), path, secure)
                if not origin:  # CORS varies the answer by Origin, given or not
                    _vary_by_origin(headers)
                headers.append((b"x-request-id", echoed))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if origin:
                await self.cors(scope, receive, respond)
            else:
                await self._guarded(scope, receive, respond)
        finally:
            elapsed = time.perf_counter() - started
            self._observe(scope.get("method", ""), path, status or 500, elapsed)
            self.log.info(
                "request",
                # the turn's later lines are written together at the next one
                hold=True,
                request_id=request_id,
                path=path,
                method=scope.get("method", "WS"),
                status=status,
                pid=self.pid,  # which worker of `serve --workers N`
                duration_ms=round(elapsed * 1000, 2),
            )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Inside CORS: the metrics gate, body limits, idempotency, the app."""
        if not await self.gate.admits(scope, send):
            return
        body = await self.limits.read(scope, receive, send)
        if body is None:
            return  # refused (too large, malformed length) or the client left
        app = self.app
        # Under a root path the app's routing resolves the path: left to it.
        if scope.get("method") == "POST" and not scope.get("root_path"):
            app = self.posts.get(scope["path"], app)
        await self.idempotency(app, scope, _replay(body, receive), send, body)

    def _observe(self, method: str, path: str, status: int, seconds: float) -> None:
        route = route_of(path)
        key = (method, route, status)
        count = self._counts.get(key)
        if count is None:
            count = self._counts[key] = self.metrics.requests.labels(
                method, route, str(status)
            )
        count.inc()
        latency = self._latencies.get(route)
        if latency is None:
            latency = self._latencies[route] = self.metrics.latency.labels(route)
        latency.observe(seconds)


def _vary_by_origin(headers: list[tuple[bytes, bytes]]) -> None:
    """What Starlette's CORS middleware adds to a response to a request
    without ``Origin``: ``Vary`` gains ``Origin`` (one header, merged)."""
    varies = [value for name, value in headers if name.lower() == b"vary"]
    if not varies:
        headers.append((b"vary", b"Origin"))
        return
    headers[:] = [(n, v) for n, v in headers if n.lower() != b"vary"]
    headers.append((b"vary", b", ".join([*varies, b"Origin"])))


def _server_errors(app: ASGIApp) -> ASGIApp:
    """What Starlette's server-error layer does for the app's own routes: an
    unexpected error before the response started is answered 500, then
    raised on (uvicorn logs it)."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await app(scope, receive, sending)
        except Exception:
            if not started:
                failed = PlainTextResponse("Internal Server Error", status_code=500)
                await failed(scope, receive, send)
            raise

    return guarded


class _Replay:
    """The body already read, then whatever comes next (a disconnect); the
    body itself is ``body``, for an endpoint that needs no second reading."""

    __slots__ = ("_delivered", "_receive", "body")

    def __init__(self, body: bytes, receive: Receive) -> None:
        self.body = body
        self._receive = receive
        self._delivered = False

    async def __call__(self) -> Message:
        if self._delivered:
            return await self._receive()
        self._delivered = True
        return {"type": "http.request", "body": self.body, "more_body": False}


def _replay(body: bytes, receive: Receive) -> Receive:
    return _Replay(body, receive)
