"""GraphQL over websockets, both protocols, with our rules for a connection.

* **The token's validity ends the connection.** A connection authenticated
  at the handshake is closed when its token expires (exp + the verifier's
  leeway): ``4403 Token expired`` on ``graphql-transport-ws``, a
  ``connection_error`` then ``4403`` on ``graphql-ws``. Every operation is
  checked against the expiry too, so none runs after it even if the timer is
  late. Subscriptions end with the connection.
* **Mutations go over HTTP POST**, where ``Idempotency-Key`` makes them safe to
  retry; over websockets they are refused with ``MUTATION_OVER_WEBSOCKET``
  (bilingual), nothing written. Queries and subscriptions run on both
  protocols (``graphql-ws`` ``start`` runs queries too).
* **Every malformed message gets the protocol's answer, never a traceback**:
  ``graphql-transport-ws`` closes with ``4400`` and a reason;
  ``graphql-ws`` (which has no such close code) answers an ``error`` message
  (with the operation id when there is one) and keeps the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonTextMessageReceived, WebSocketDisconnected
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import (
    BaseGraphQLWSHandler,
)
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from api.graphql.context import Context
from api.graphql.request_body import decode_json
from api.refusals import MalformedBodyError

WEBSOCKET_OPERATIONS = frozenset({OperationType.QUERY, OperationType.SUBSCRIPTION})
MAX_ID_LENGTH = 128
MAX_REASON_BYTES = 123
"""A close frame's reason is at most 123 bytes (RFC 6455 §5.5)."""
TOKEN_EXPIRED = 4403


@dataclass(frozen=True)
class Malformed:
    """A text message that is not JSON we accept (syntax, depth, encoding)."""

    reason: str


class WebSocketAdapter(ASGIWebSocketAdapter):
    """Yields each decoded message, or :class:`Malformed` for one that is not:
    a bad message is answered by the protocol handler, not skipped or fatal."""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        ws = self.ws
        try:
            while ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    text = await ws.receive_text()
                except KeyError:
                    raise NonTextMessageReceived from None
                try:
                    message: object = decode_json(text)
                except MalformedBodyError as error:
                    message = Malformed(error.message("en"))
                yield message
        except WebSocketDisconnect:
            pass


def _reason(text: str) -> str:
    encoded = text.encode()[:MAX_REASON_BYTES]
    return encoded.decode(errors="ignore")


def _optional(payload: Mapping[str, Any], name: str, kind: type) -> str | None:
    value = payload.get(name)
    if value is None or isinstance(value, kind):
        return None
    return f"{name} must be {'a string' if kind is str else 'an object'}"


def shape_problem(message: object, operation_types: frozenset[str]) -> str | None:
    """What is wrong with a decoded message's shape, or None. ``operation_types``
    are the message types that carry a GraphQL operation in ``payload``."""
    if not isinstance(message, dict):
        return "message must be a JSON object"
    kind = message.get("type")
    if not isinstance(kind, str):
        return "message type must be a string"
    if message.get("payload") is not None and not isinstance(message["payload"], dict):
        return "payload must be an object"
    if kind in operation_types or kind in ("complete", "stop"):
        identifier = message.get("id")
        if not isinstance(identifier, str) or not 0 < len(identifier) <= MAX_ID_LENGTH:
            return f"id must be a string of 1 to {MAX_ID_LENGTH} characters"
    if kind in operation_types:
        payload = message.get("payload")
        if not isinstance(payload, dict):
            return "payload must be an object"
        if not isinstance(payload.get("query"), str):
            return "payload.query must be a string"
        for name, expected in (
            ("variables", dict),
            ("extensions", dict),
            ("operationName", str),
        ):
            problem = _optional(payload, name, expected)
            if problem:
                return f"payload.{problem}"
    return None


class _WebsocketSchema:
    """What a protocol handler sees as the schema: every operation streams with
    mutations refused, and strawberry's operation errors become ours."""

    def __init__(self, schema: Any, context: Context) -> None:
        self._schema = schema
        self._context = context

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Any = None,
    ) -> AsyncGenerator[Any, None]:
        source = await self._schema.stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=WEBSOCKET_OPERATIONS,
        )
        return self._typed(source)

    async def subscribe(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> AsyncGenerator[Any, None]:
        """``graphql-ws`` ``start``: queries run too, mutations are refused."""
        return await self.stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
        )

    async def _typed(self, source: Any) -> AsyncGenerator[Any, None]:
        async with aclosing(source):
            async for result in source:
                if isinstance(result, PreExecutionError) and result.errors:
                    result.errors = [self._error(e) for e in result.errors]
                yield result

    def _error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        text = self._context.text
        if isinstance(original, InvalidOperationTypeError):
            return GraphQLError(
                text(
                    "Thao tác ghi (mutation) chỉ gửi qua HTTP POST /graphql "
                    "(có Idempotency-Key), không qua websocket",
                    "Mutations are sent over HTTP POST /graphql (with an "
                    "Idempotency-Key), not over websockets",
                ),
                extensions={"code": "MUTATION_OVER_WEBSOCKET"},
            )
        if isinstance(original, CannotGetOperationTypeError):
            # The original stays: graphql-transport-ws closes with 4400 for it.
            return GraphQLError(
                text(
                    "Không xác định được thao tác cần chạy (operationName)",
                    "Cannot tell which operation to run (operationName)",
                ),
                extensions={"code": "BAD_OPERATION"},
                original_error=original,
            )
        return error


class _ConnectionRules:
    """Our rules on a connection, mixed into both protocol handlers: the
    schema that refuses mutations, and the expiry of the principal."""

    context: Context
    schema: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = _WebsocketSchema(self.schema, self.context)

    async def handle(self) -> None:
        expiry = asyncio.create_task(self.close_when_expired())
        try:
            await super().handle()  # type: ignore[misc]
        finally:
            expiry.cancel()

    def expired(self) -> bool:
        valid_until = self.context.principal.valid_until
        return valid_until is not None and time.time() >= valid_until

    async def close_when_expired(self) -> None:
        valid_until = self.context.principal.valid_until
        if valid_until is None:
            return
        await asyncio.sleep(max(valid_until - time.time(), 0))
        # The connection may be closing on its own meanwhile: nothing to add.
        with contextlib.suppress(RuntimeError, WebSocketDisconnected):
            await self.refuse_expired()

    async def refuse_expired(self) -> None:
        raise NotImplementedError


class TransportWSHandler(
    _ConnectionRules, BaseGraphQLTransportWSHandler[Context, None]
):
    """``graphql-transport-ws`` with our rules."""

    async def refuse_expired(self) -> None:
        await self.websocket.close(code=TOKEN_EXPIRED, reason="Token expired")

    async def handle_message(self, message: Any) -> None:
        if isinstance(message, Malformed):
            await self.handle_invalid_message(_reason(message.reason))
            return
        problem = shape_problem(message, frozenset({"subscribe"}))
        if problem:
            await self.handle_invalid_message(problem)
            return
        if message.get("payload", ...) is None:
            message = {**message, "payload": {}}  # optional in the protocol
        if self.expired():
            await self.refuse_expired()
            return
        await super().handle_message(message)


class LegacyWSHandler(_ConnectionRules, BaseGraphQLWSHandler[Context, None]):
    """``graphql-ws`` (subscriptions-transport-ws) with our rules."""

    KNOWN = frozenset({"connection_init", "connection_terminate", "start", "stop"})

    async def refuse_expired(self) -> None:
        await self.send_message(
            {
                "type": "connection_error",
                "payload": {
                    "message": self.context.text(
                        "Mã xác thực đã hết hạn", "The token has expired"
                    ),
                    "extensions": {"code": "TOKEN_EXPIRED"},
                },
            }
        )
        await self.websocket.close(code=TOKEN_EXPIRED, reason="Token expired")

    async def malformed(self, message: object, reason: str) -> None:
        answer: dict[str, Any] = {
            "type": "error",
            "payload": {
                "message": reason,
                "extensions": {"code": "MALFORMED_MESSAGE"},
            },
        }
        identifier = message.get("id") if isinstance(message, dict) else None
        if isinstance(identifier, str) and len(identifier) <= MAX_ID_LENGTH:
            answer["id"] = identifier
        await self.send_message(answer)  # type: ignore[arg-type]

    async def handle_message(self, message: Any) -> None:
        if isinstance(message, Malformed):
            await self.malformed(None, message.reason)
            return
        problem = shape_problem(message, frozenset({"start"}))
        if problem is None and message["type"] not in self.KNOWN:
            problem = f"unknown message type {message['type'][:40]!r}"
        if problem:
            await self.malformed(message, problem)
            return
        if self.expired():
            await self.refuse_expired()
            return
        await super().handle_message(message)
