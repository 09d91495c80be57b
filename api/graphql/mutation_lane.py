"""``POST /graphql`` for a planned officer command, straight from the edge.

A planned mutation (``api.graphql.planned``) is the one request whose work
on the event loop lies on a single writer's serial path: everything before
the command and everything between its end and the response's write is time
the client, the command thread and the database wait for. The general route
(``api.graphql.router``) builds Starlette's request (its header mapping
decoded for the content type and ``Accept``, the body read again through an
async generator), a sub-response strawberry's resolvers could fill, the fast
path's layers, then a Starlette response object. Here the edge's own body
(``api.edge``: read once, for the body limit) and one pass over the raw
headers are enough, and the answer is the two ASGI messages the response
object would send.

The lane answers only what the fast path would have planned; before the
command ran, anything else (a query, a body the plan does not cover, a
content type or stream ``Accept`` the fast path leaves to strawberry, an
operation over the cost limit, a variable graphql-core would refuse) goes to
the general route unchanged, which then answers it as before. The context is
built as ``get_context`` builds it, and only once a plan was found: a refused
token is answered as the app's handler answers it. A command that raised, or
an outcome the plan does not complete, is completed by graphql-core with the
outcome given (``FastQueries._run``), as on the general route: the command
never runs twice.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type

from api.graphql.context import Context, context_of
from api.graphql.direct import Irregular
from api.graphql.fast_path import FastQueries, Plan, graphql_body
from api.graphql.planned import PlannedMutation
from api.graphql.router import MotcuaGraphQLRouter, labelled_refusal
from domain.errors import LabelledError

_JSON = b"application/json"


class MutationLane:
    def __init__(self, fast: FastQueries, router: MotcuaGraphQLRouter) -> None:
        self.fast = fast
        self.router = router
        self._planned = fast.answered["planned"]

    async def answer(
        self, scope: Scope, receive: Receive, send: Send, body: bytes
    ) -> bool:
        """Whether ``body`` was answered here (``False``: nothing ran)."""
        # Only a document naming a mutation can be planned; lookups, the
        # most frequent posts, are not decoded twice.
        if b"mutation" not in body or not self.fast.plan_mutations:
            return False
        content_type: bytes | None = None
        accept: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                if content_type is None:
                    content_type = value
            elif name == b"accept" and accept is None:
                accept = value
        if content_type != _JSON:  # what the fast path accepts, as it parses it
            raw_type = (content_type or b"").decode("latin-1")
            if "application/json" not in parse_content_type(raw_type)[0]:
                return False
        if self.router._get_stream_transport_from_headers(
            {"accept": (accept or b"").decode("latin-1")}
        ):
            return False
        parsed = graphql_body(body)
        if parsed is None:
            return False
        request, query, name = parsed.fields, parsed.query, parsed.name
        variables = parsed.variables
        fast = self.fast
        plan = fast._plan(query, name)
        planned = plan.planned
        if planned is None or plan.page is not None:
            return False
        try:
            context = await context_of(scope, scope["app"].state.services)
        except LabelledError as error:
            refusal = labelled_refusal(Request(scope, receive, send), error)
            await refusal(scope, receive, send)
            return True
        try:
            if plan.cost(fast.schema._schema, variables) > fast.max_cost:
                return False
        except Exception:
            return False
        try:
            kwargs = planned.kwargs(variables)
        except Exception:  # ``Unplanned``, or the conversion's: the route's answer
            return False
        await self._run(scope, receive, send, plan, planned, context, kwargs, request)
        return True

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        plan: Plan,
        planned: PlannedMutation,
        context: Context,
        kwargs: dict[str, Any],
        request: dict[str, Any],
    ) -> None:
        try:
            value = await planned.run(context, kwargs)
        except Exception as error:  # graphql-core locates and reports it
            await self._completed(
                scope, receive, send, plan, context, request, (None, error)
            )
            return
        try:
            data = {planned.shape.key: planned.complete(value)}
        except Irregular:
            await self._completed(
                scope, receive, send, plan, context, request, (value, None)
            )
            return
        self._planned.inc()
        answer = {"data": data}  # strawberry's ``process_result`` without errors
        try:
            body = orjson.dumps(answer)
        except orjson.JSONEncodeError:  # as the router's ``encode_json``
            body = self.router.encode_json(answer).encode()
        # What ``Response(body, media_type="application/json")`` sends.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode("latin-1")),
                    (b"content-type", _JSON),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _completed(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        plan: Plan,
        context: Context,
        request: dict[str, Any],
        resolved: tuple[Any, Exception | None],
    ) -> None:
        """graphql-core completes the root field with its known outcome."""
        response = await self.fast._run(
            plan,
            context,
            request.get("variables"),
            request.get("extensions"),
            _sub_response(self.router),
            resolved,
        )
        await response(scope, receive, send)


def _sub_response(router: MotcuaGraphQLRouter) -> Response:
    """What the general route gives strawberry (``router._post``)."""
    sub_response = Response()
    del sub_response.headers["content-length"]
    sub_response.status_code = None  # type: ignore[assignment]
    router.temporal_response = sub_response
    return sub_response
