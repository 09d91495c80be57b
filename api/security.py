"""Security headers, the /metrics gate, CORS and trusted proxies.

Order matters (outermost first): trusted proxies rewrite the client address
and scheme before anything reads them; security headers then cover every
response, refusals included.
"""

from __future__ import annotations

import hmac

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.edge_settings import EdgeSettings

METRICS_LISTENER = "motcua.metrics_listener"
"""Scope key set by the separate metrics listener (``MOTCUA_METRICS_PORT``)."""

HSTS = b"max-age=31536000; includeSubDomains"
STRICT_CSP = (
    b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# GraphiQL (development only) loads React and GraphiQL from unpkg and runs an
# inline bootstrap script; it talks to /graphql over HTTP and websockets.
GRAPHIQL_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; "
    b"style-src 'self' 'unsafe-inline' https://unpkg.com; "
    b"font-src 'self' data: https://unpkg.com; img-src 'self' data: https:; "
    b"connect-src 'self' ws: wss:; worker-src 'self' blob:; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# /docs and /redoc (development only) load Swagger UI / ReDoc from jsDelivr.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
    b"https://fonts.googleapis.com; font-src 'self' https://fonts.gstatic.com; "
    b"img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    b"worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
    b"base-uri 'none'; form-action 'none'"
)


def _csp(path: str) -> bytes:
    if path.startswith("/graphql"):
        return GRAPHIQL_CSP
    if path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        return DOCS_CSP
    return STRICT_CSP


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                wanted = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (
                        b"content-security-policy",
                        _csp(scope["path"]) if html else STRICT_CSP,
                    ),
                ]
                if secure:
                    wanted.append((b"strict-transport-security", HSTS))
                headers.extend(h for h in wanted if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class MetricsGateMiddleware:
    """``/metrics`` on the separate listener, or with the bearer token, or (in
    development only, when neither is configured) openly."""

    def __init__(self, app: ASGIApp, edge: EdgeSettings) -> None:
        self.app = app
        self.edge = edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        on_listener = bool(scope.get(METRICS_LISTENER))
        if scope["path"] != "/metrics":
            if on_listener:
                await _plain(send, 404, b"Not Found")
            else:
                await self.app(scope, receive, send)
            return
        if on_listener:
            await self.app(scope, receive, send)
        elif self.edge.metrics_port is not None:
            await _plain(send, 404, b"Not Found")
        elif self.edge.metrics_token is not None:
            if hmac.compare_digest(_bearer(scope), self.edge.metrics_token.encode()):
                await self.app(scope, receive, send)
            else:
                await _plain(
                    send,
                    401,
                    b"Unauthorized",
                    [(b"www-authenticate", b'Bearer realm="metrics"')],
                )
        elif self.edge.production:
            await _plain(send, 404, b"Not Found")
        else:
            await self.app(scope, receive, send)


def _bearer(scope: Scope) -> bytes:
    value = dict(scope.get("headers", [])).get(b"authorization", b"")
    scheme, _, token = value.partition(b" ")
    return token.strip() if scheme.lower() == b"bearer" else b""


async def _plain(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


def metrics_listener(app: ASGIApp) -> ASGIApp:
    """The app as seen from the metrics port: only ``/metrics`` answers."""

    async def listener(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # no subscriptions on the metrics port
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] == "http":
            scope = {**scope, METRICS_LISTENER: True}
        await app(scope, receive, send)

    return listener


def add_edge_security(app: FastAPI, edge: EdgeSettings) -> None:
    """The middlewares that must wrap everything else; call it last."""
    app.add_middleware(MetricsGateMiddleware, edge=edge)
    app.add_middleware(
        CORSMiddleware,
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
    app.add_middleware(SecurityHeadersMiddleware)


def add_trusted_proxies(app: FastAPI, edge: EdgeSettings) -> None:
    """Outermost: X-Forwarded-For/-Proto count only from the listed proxies."""
    if edge.trusted_proxies:
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(edge.trusted_proxies)
        )
