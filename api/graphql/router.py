"""strawberry's FastAPI router, with our JSON decoder and error shape."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson
from cross_web import HTTPException as StrawberryHTTPException
from fastapi import Request, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData

from api.graphql.context import Context, get_context
from api.graphql.request_body import decode_json
from api.graphql.websocket import LegacyWSHandler, TransportWSHandler, WebSocketAdapter
from api.refusals import (
    MalformedBodyError,
    RequestRefusedError,
    error_body,
    language_of,
    refusal_body,
    status_of,
)
from domain.errors import LabelledError


class GraphQLRequestRefusedError(RequestRefusedError):
    vi = "Yêu cầu GraphQL không hợp lệ: {a0}"
    en = "Invalid GraphQL request: {a0}"


class MotcuaGraphQLRouter(GraphQLRouter[Any, None]):
    temporal_response: Response  # strawberry sets it per request
    websocket_adapter_class = WebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def encode_json(self, data: object) -> str:
        # Text, not bytes: strawberry sends bytes as binary websocket frames,
        # which graphql-transport-ws clients (text frames only) reject.
        try:
            return orjson.dumps(data).decode()
        except orjson.JSONEncodeError:
            # A value orjson refuses (a lone surrogate echoed in a message):
            # escaped ASCII JSON is still valid, a 500 is not.
            return json.dumps(data, ensure_ascii=True, default=str)

    def parse_json(self, data: str | bytes) -> Any:
        """HTTP bodies and GET parameters: refusals carry a bilingual message.
        (Websocket messages: api.graphql.websocket.WebSocketAdapter.)"""
        return decode_json(data)

    async def parse_http_body(self, request: Any) -> Any:
        parsed = await super().parse_http_body(request)
        for item in parsed if isinstance(parsed, list) else (parsed,):
            if isinstance(item, GraphQLRequestData) and not isinstance(
                item.operation_name, str | None
            ):
                raise MalformedBodyError("operationName must be a string")
        return parsed

    async def run(
        self, request: Any, context: Any = None, root_value: Any = None
    ) -> Any:
        if isinstance(request, WebSocket):
            if isinstance(context, Context) and context.refusal is not None:
                await deny_handshake(request, context.refusal, context.language)
                return request
            return await super().run(request, context=context, root_value=root_value)
        if not isinstance(request, Request):
            return await super().run(request, context=context, root_value=root_value)
        language = language_of(request.headers.get("accept-language"))
        try:
            return await super().run(request, context=context, root_value=root_value)
        except RequestRefusedError as error:
            return _refused(error.message(language), error.code, error.status)
        except StrawberryHTTPException as error:
            refused = GraphQLRequestRefusedError(error.reason)
            status = error.status_code
            return _refused(refused.message(language), _code(status), status)


class Lane(Protocol):
    async def answer(
        self, scope: Scope, receive: Receive, send: Send, body: bytes
    ) -> bool: ...


class FastPath(Protocol):
    async def answer(
        self, request: Request, context: Context, sub_response: Response
    ) -> Response | None: ...


def _post(
    router: MotcuaGraphQLRouter, fast: FastPath | None
) -> Callable[[Request], Awaitable[Response]]:
    async def post(request: Request) -> Response:
        # What FastAPI would inject: no headers, no status of its own.
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        router.temporal_response = sub_response
        # The context first on both paths: a refused token wins over the body.
        context = await get_context(request=request)
        if fast is not None:
            answered = await fast.answer(request, context, sub_response)
            if answered is not None:
                return answered
        response: Response = await router.run(request, context=context, root_value=None)
        return response

    return post


def direct_post(
    router: MotcuaGraphQLRouter, path: str, fast: FastPath | None = None
) -> Route:
    """``POST /graphql`` as a plain Starlette route in front of the router's
    own: the same view, context and answers, without FastAPI's per-request
    dependency solving (a seventh of a lookup's cost). GET, websockets and
    the IDE stay on the router. ``fast`` answers the read queries it knows
    (``api.graphql.fast_path``); the rest goes to strawberry."""
    return Route(path, _post(router, fast), methods=["POST"])


def labelled_refusal(request: Request, error: LabelledError) -> Response:
    """An expected failure before GraphQL ran (token, key source), in our
    error shape: the app's handler for ``LabelledError``."""
    language = language_of(request.headers.get("accept-language"))
    return Response(
        refusal_body(error, language),
        status_code=status_of(error),
        media_type="application/json",
    )


def post_endpoint(
    router: MotcuaGraphQLRouter,
    fast: FastPath | None = None,
    lane: Lane | None = None,
) -> ASGIApp:
    """The same ``POST /graphql`` as :func:`direct_post`, as a bare ASGI app
    the edge calls itself (``api.edge``): around FastAPI's exception,
    exit-stack and routing layers, which cost a lookup about a sixth of its
    time. What those layers would do for this route is done here: a
    ``LabelledError`` answered as the app's handler does, an HTTP exception
    as Starlette's; anything else propagates to the server-error layer.
    ``lane`` answers first what it can from the body the edge read
    (``api.graphql.mutation_lane``)."""
    post = _post(router, fast)

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if lane is not None:
            body = getattr(receive, "body", None)
            if isinstance(body, bytes) and await lane.answer(
                scope, receive, send, body
            ):
                return
        request = Request(scope, receive, send)
        try:
            response = await post(request)
        except LabelledError as error:
            response = labelled_refusal(request, error)
        except StarletteHTTPException as error:
            if error.status_code in (204, 304):
                response = Response(
                    status_code=error.status_code, headers=error.headers
                )
            else:
                response = JSONResponse(
                    {"detail": error.detail},
                    status_code=error.status_code,
                    headers=error.headers,
                )
        await response(scope, receive, send)

    return endpoint


async def deny_handshake(
    websocket: WebSocket, refusal: LabelledError, language: str
) -> None:
    """Answer a refused upgrade with its HTTP status and our error body
    (closing before accepting, where the server cannot send a response)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            Response(
                refusal_body(refusal, language),
                status_code=status_of(refusal),
                media_type="application/json",
            )
        )
    else:
        await websocket.close(code=WS_1008_POLICY_VIOLATION)


def _code(status: int) -> str:
    return {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, "BAD_REQUEST")


def _refused(message: str, code: str, status: int) -> Response:
    return Response(
        error_body(message, code), status_code=status, media_type="application/json"
    )
