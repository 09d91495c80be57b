"""Security headers, the /metrics gate, CORS and trusted proxies.

Order matters (outermost first): trusted proxies rewrite the client address
and scheme before anything reads them; security headers then cover every
response, refusals included.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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

# The monitoring dashboard: its own script and style sheet, GraphQL over fetch.
DASHBOARD_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def _csp(path: str) -> bytes:
    if path == "/dashboard" or path.startswith("/dashboard/"):
        return DASHBOARD_CSP
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


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
FORWARDED_SCHEMES = frozenset({"http", "https", "ws", "wss"})


def ip_of(text: str) -> IPAddress | None:
    """An address as a proxy writes it (``a.b.c.d``, ``a.b.c.d:port``, ``::1``,
    ``[::1]:port``), or None for anything else; IPv4-mapped IPv6 is IPv4."""
    text = text.strip()
    if text.startswith("["):
        end = text.find("]")
        rest = text[end + 1 :]
        if end < 0 or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class TrustedProxyMiddleware:
    """The client address and scheme a trusted proxy reports.

    ``X-Forwarded-For`` is read right to left from the peer: trusted proxies
    are skipped, the first untrusted *valid IP address* is the client. A value
    that is not an IP address (``garbage1``, a name, ``unknown``) ends the walk
    at the proxy that passed it on, so made-up values never get a rate-limit
    bucket of their own. Addresses are normalised (one spelling per address).
    """

    def __init__(self, app: ASGIApp, trusted: Iterable[str]) -> None:
        self.app = app
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in trusted)

    def trusts(self, address: IPAddress | None) -> bool:
        return address is not None and any(address in n for n in self.networks)

    def client(self, peer: IPAddress, forwarded: list[str]) -> IPAddress:
        hop = peer
        for value in reversed(forwarded):
            address = ip_of(value)
            if address is None:
                return hop
            if not self.trusts(address):
                return address
            hop = address
        return hop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        peer = ip_of(scope["client"][0]) if scope.get("client") else None
        if peer is None or not self.trusts(peer):
            await self.app(scope, receive, send)
            return
        forwarded: list[str] = []
        proto: str | None = None
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                forwarded.extend(value.decode("latin-1").split(","))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        scope = dict(scope)
        if proto in FORWARDED_SCHEMES:
            secure = proto in ("https", "wss")
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if secure else "ws"
            else:
                scope["scheme"] = "https" if secure else "http"
        if forwarded:
            scope["client"] = (str(self.client(peer, forwarded)), 0)
        await self.app(scope, receive, send)


def add_trusted_proxies(app: FastAPI, edge: EdgeSettings) -> None:
    """Outermost: X-Forwarded-For/-Proto count only from the listed proxies."""
    if edge.trusted_proxies:
        app.add_middleware(TrustedProxyMiddleware, trusted=edge.trusted_proxies)
