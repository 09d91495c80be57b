"""Security headers, the /metrics gate and trusted proxies (``api.edge``
applies them in order, with CORS)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

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


OWN_PAGES = ("/dashboard", "/danh-gia")
"""Pages the API serves with their own script and style sheet."""


def _csp(path: str) -> bytes:
    if any(path == page or path.startswith(f"{page}/") for page in OWN_PAGES):
        return DASHBOARD_CSP
    if path.startswith("/graphql"):
        return GRAPHIQL_CSP
    if path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        return DOCS_CSP
    return STRICT_CSP


def security_headers(
    given: list[tuple[bytes, bytes]], path: str, secure: bool
) -> list[tuple[bytes, bytes]]:
    """A response's headers with the security headers it does not set itself."""
    headers = list(given)
    present = set()
    html = False
    for name, value in headers:
        lower = name.lower()
        present.add(lower)
        if lower == b"content-type" and value.startswith(b"text/html"):
            html = True
    wanted = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", _csp(path) if html else STRICT_CSP),
    ]
    if secure:
        wanted.append((b"strict-transport-security", HSTS))
    headers.extend(h for h in wanted if h[0] not in present)
    return headers


class MetricsGate:
    """``/metrics`` on the separate listener, or with the bearer token, or (in
    development only, when neither is configured) openly."""

    def __init__(self, edge: EdgeSettings) -> None:
        self.edge = edge

    async def admits(self, scope: Scope, send: Send) -> bool:
        """Whether the request goes on; when not, it was answered on ``send``."""
        if scope["type"] != "http":
            return True
        on_listener = bool(scope.get(METRICS_LISTENER))
        if scope["path"] != "/metrics":
            if on_listener:
                await _plain(send, 404, b"Not Found")
                return False
            return True
        if on_listener:
            return True
        if self.edge.metrics_port is not None:
            await _plain(send, 404, b"Not Found")
            return False
        if self.edge.metrics_token is not None:
            if hmac.compare_digest(_bearer(scope), self.edge.metrics_token.encode()):
                return True
            await _plain(
                send,
                401,
                b"Unauthorized",
                [(b"www-authenticate", b'Bearer realm="metrics"')],
            )
            return False
        if self.edge.production:
            await _plain(send, 404, b"Not Found")
            return False
        return True


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


class TrustedProxies:
    """The client address and scheme a trusted proxy reports.

    ``X-Forwarded-For`` is read right to left from the peer: trusted proxies
    are skipped, the first untrusted *valid IP address* is the client. A value
    that is not an IP address (``garbage1``, a name, ``unknown``) ends the walk
    at the proxy that passed it on, so made-up values never get a rate-limit
    bucket of their own. Addresses are normalised (one spelling per address).
    """

    def __init__(self, trusted: Iterable[str]) -> None:
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

    def rewrite(self, scope: Scope) -> Scope:
        """``scope`` as the trusted proxy saw the request (itself otherwise)."""
        peer = ip_of(scope["client"][0]) if scope.get("client") else None
        if peer is None or not self.trusts(peer):
            return scope
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
        return scope
