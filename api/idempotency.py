"""Idempotency keys for GraphQL mutations (header ``Idempotency-Key``).

Only authenticated mutations are kept: the key is the whole header value,
hashed, scoped to *who* asks (access level and subject, not the token), so a
retry after a token refresh replays the first answer instead of running the
mutation again, and two subjects never share a key. The first request with a
key runs; a retry with the same body gets the stored response; a different
body under the same key is refused (422); a retry while the first is still
running gets 409 with Retry-After. A stored response is bounded: one larger
than the bound is replaced by a note that the mutation ran.
"""

from __future__ import annotations

import hashlib

import orjson
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.cache.ports import IdempotencyStatus, IdempotencyStore
from api.auth import AccessLevel, Principal
from api.graphql.context import authenticate
from api.graphql.request_body import decode_json
from api.refusals import error_body
from domain.errors import LabelledError

_TTL = 24 * 3600
_LOCK_TTL = 30
_MAX_TOKENS = 2000
_IN_PROGRESS = error_body(
    "Lệnh với khoá này đang được thực hiện, thử lại sau / "
    "A request with this Idempotency-Key is still running, retry later",
    "IDEMPOTENCY_KEY_IN_PROGRESS",
)
_REUSED = error_body(
    "Khoá Idempotency-Key đã dùng cho một yêu cầu khác / "
    "This Idempotency-Key was used for a different request",
    "IDEMPOTENCY_KEY_REUSED",
)


class Idempotency:
    """The store comes from ``app.state.services``, built in the lifespan."""

    def __init__(self, *, max_response_bytes: int = 64 * 1024) -> None:
        self.max_response_bytes = max_response_bytes

    async def __call__(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, body: bytes
    ) -> None:
        """``app`` answers ``scope`` (whose body, already read, is ``body``),
        once per key when it is an authenticated mutation with one."""
        raw_key = b""
        authorization: bytes | None = None
        if scope.get("method") == "POST":
            for name, value in scope.get("headers", ()):
                if name == b"idempotency-key":
                    raw_key = value.strip()
                elif name == b"authorization":
                    authorization = value
        if not raw_key:
            await app(scope, receive, send)
            return
        principal = await _principal(scope, authorization)
        if principal is None or not _is_mutation(body):
            await app(scope, receive, send)  # nothing kept
            return
        await self._idempotent(app, scope, receive, send, body, principal, raw_key)

    async def _idempotent(
        self,
        app: ASGIApp,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        principal: Principal,
        raw_key: bytes,
    ) -> None:
        store: IdempotencyStore = scope["app"].state.services.caches.idempotency
        key = idempotency_key(principal, raw_key)
        fingerprint = hashlib.sha256(scope["path"].encode() + b"\0" + body).hexdigest()
        state = await store.begin(key, fingerprint, lock_ttl=_LOCK_TTL)
        if state.status is IdempotencyStatus.REPLAY and state.result is not None:
            stored = orjson.loads(state.result)
            await _respond(
                send, stored["status"], stored["body"].encode(), replayed=True
            )
            return
        if state.status is IdempotencyStatus.IN_PROGRESS:
            await _respond(send, 409, _IN_PROGRESS, retry_after=True)
            return
        if state.status is IdempotencyStatus.MISMATCH:
            await _respond(send, 422, _REUSED)
            return
        chunks: list[bytes] = []
        size = 0
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size <= self.max_response_bytes:
                    chunks.append(chunk)
            await send(message)

        try:
            await app(scope, receive, capture)
        except BaseException:
            await store.abandon(key)
            raise
        if status >= 500:
            await store.abandon(key)
            return
        kept = b"".join(chunks) if size <= self.max_response_bytes else _not_kept()
        record = {"status": status, "body": kept.decode()}
        await store.complete(key, fingerprint, orjson.dumps(record), ttl=_TTL)


def idempotency_key(principal: Principal, raw_key: bytes) -> str:
    """The whole key, hashed (any length, never truncated), per subject."""
    who = f"{principal.level.value}\0{principal.subject or ''}\0".encode()
    return hashlib.sha256(who + raw_key).hexdigest()


def _not_kept() -> bytes:
    return error_body(
        "Lệnh đã được thực hiện; kết quả quá lớn nên không được lưu để trả lại, "
        "hãy tra cứu hồ sơ / The mutation already ran; its response was too large "
        "to keep for replay, query the dossier instead",
        "IDEMPOTENT_RESPONSE_NOT_KEPT",
    )


async def _principal(scope: Scope, authorization: bytes | None) -> Principal | None:
    """The verified caller, or None (anonymous, bad token: nothing is kept;
    the GraphQL context answers the token's problem)."""
    if not authorization:
        return None
    try:
        principal = await authenticate(
            scope["app"].state.services, authorization.decode("latin-1")
        )
    except LabelledError:
        return None
    if principal.level is AccessLevel.ANONYMOUS or not principal.subject:
        return None
    return principal


def _is_mutation(body: bytes) -> bool:
    try:
        request = decode_json(body)
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return False
        document = parse(request["query"], max_tokens=_MAX_TOKENS, no_location=True)
        name = request.get("operationName")
        operation = get_operation_ast(document, name if isinstance(name, str) else None)
    except (LabelledError, GraphQLError):
        return False  # strawberry answers the malformed request; nothing kept
    return operation is not None and operation.operation is OperationType.MUTATION


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
