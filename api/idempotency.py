"""Idempotency keys for GraphQL mutations (header ``Idempotency-Key``).

The first request with a key runs; a retry with the same key and body gets
the stored response; a different body under the same key is refused (422);
a retry while the first is still running gets 409 with Retry-After.
"""

from __future__ import annotations

import hashlib

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.cache.ports import IdempotencyStatus, IdempotencyStore

_TTL = 24 * 3600
_LOCK_TTL = 30


class IdempotencyMiddleware:
    """The store comes from ``app.state.services``, built in the lifespan."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key = headers.get(b"idempotency-key", b"").decode("latin-1").strip()
        if scope["type"] != "http" or scope.get("method") != "POST" or not key:
            await self.app(scope, receive, send)
            return
        self.store: IdempotencyStore = scope["app"].state.services.caches.idempotency
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        who = headers.get(b"authorization", b"")
        fingerprint = hashlib.sha256(
            who + b"\0" + scope["path"].encode() + b"\0" + body
        )
        key = f"{hashlib.sha256(who).hexdigest()[:16]}:{key[:128]}"
        state = await self.store.begin(key, fingerprint.hexdigest(), lock_ttl=_LOCK_TTL)
        if state.status is IdempotencyStatus.REPLAY and state.result is not None:
            stored = orjson.loads(state.result)
            await _respond(
                send, stored["status"], stored["body"].encode(), replayed=True
            )
            return
        if state.status is IdempotencyStatus.IN_PROGRESS:
            await _respond(
                send, 409, b'{"error":"IDEMPOTENCY_KEY_IN_PROGRESS"}', retry_after=True
            )
            return
        if state.status is IdempotencyStatus.MISMATCH:
            await _respond(send, 422, b'{"error":"IDEMPOTENCY_KEY_REUSED"}')
            return
        sent = False
        chunks: list[bytes] = []
        status = 500

        async def replay_body() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await self.store.abandon(key)
            raise
        if status < 500:
            record = {"status": status, "body": b"".join(chunks).decode()}
            await self.store.complete(
                key, fingerprint.hexdigest(), orjson.dumps(record), ttl=_TTL
            )
        else:
            await self.store.abandon(key)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    *,
    replayed: bool = False,
    retry_after: bool = False,
) -> None:
    headers = [(b"content-type", b"application/json")]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    if retry_after:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
