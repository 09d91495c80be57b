"""``POST /graphql`` is answered by the edge itself (around FastAPI's routing
and exception layers), everything else by the app; refusals read the same on
both ways in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from starlette.types import Message, Receive, Scope, Send

from api.edge import Edge
from api.edge_settings import EdgeSettings
from api.metrics import ApiMetrics
from tests.api.conftest import Api

Reached = list[tuple[str, str, str]]


def _app(name: str, reached: Reached) -> Callable[..., Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append((name, scope.get("method", "WS"), scope["path"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": name.encode()})

    return app


async def _call(edge: Edge, method: str, path: str, root_path: str = "") -> bytes:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": root_path,
        "headers": [(b"content-type", b"application/json")],
        "query_string": b"",
        "client": ("127.0.0.1", 1),
        "scheme": "http",
    }
    messages: list[Message] = [
        {"type": "http.request", "body": b"{}", "more_body": False}
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await edge(scope, receive, send)
    return b"".join(m.get("body", b"") for m in sent if m["type"].endswith("body"))


@pytest.mark.parametrize(
    ("method", "path", "root_path", "expected"),
    [
        ("POST", "/graphql", "", "endpoint"),
        ("GET", "/graphql", "", "app"),
        ("POST", "/graphql/", "", "app"),
        ("POST", "/graphqlx", "", "app"),
        ("POST", "/readyz", "", "app"),
        ("POST", "/api/graphql", "/api", "app"),
    ],
)
async def test_only_a_post_to_the_exact_path_goes_to_the_endpoint(
    method: str, path: str, root_path: str, expected: str
) -> None:
    reached: Reached = []
    edge = Edge(
        _app("app", reached),
        edge=EdgeSettings(),
        metrics=ApiMetrics.create(CollectorRegistry()),
        posts={"/graphql": _app("endpoint", reached)},
    )

    body = await _call(edge, method, path, root_path)

    assert body == expected.encode()
    assert reached == [(expected, method, path)]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_refused_token_reads_the_same_by_post_and_by_get(
    api: Api, language: str
) -> None:
    """POST goes through the edge's endpoint, GET through the app's router and
    its ``LabelledError`` handler: one refusal, one answer."""
    headers = {"Authorization": "Bearer not-a-token", "Accept-Language": language}
    query = "{ myDossiers { code } }"

    by_post = api.client.post("/graphql", json={"query": query}, headers=headers)
    by_get = api.client.get("/graphql", params={"query": query}, headers=headers)

    assert by_post.status_code == by_get.status_code == 401
    assert by_post.json() == by_get.json()
    message = json.dumps(by_post.json(), ensure_ascii=False)
    assert ("Invalid" in message) == (language == "en")
    assert by_post.headers["x-request-id"]
    assert by_post.headers["content-type"] == "application/json"


@pytest.mark.parametrize("answered_by", ["endpoint", "app"])
async def test_an_unexpected_error_is_a_500_with_the_edges_headers_either_way(
    answered_by: str,
) -> None:
    """The edge stands outside FastAPI's server-error layer: an endpoint it
    answers itself fails as the app's routes do (500, plain text, raised on
    for the server's log), and both carry the request id."""
    from starlette.middleware.errors import ServerErrorMiddleware

    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    reached: Reached = []
    app = ServerErrorMiddleware(
        failing if answered_by == "app" else _app("app", reached)
    )
    edge = Edge(
        app,
        edge=EdgeSettings(),
        metrics=ApiMetrics.create(CollectorRegistry()),
        posts={
            "/graphql": failing if answered_by == "endpoint" else _app("x", reached)
        },
    )
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/graphql" if answered_by == "endpoint" else "/other",
        "root_path": "",
        "headers": [(b"x-request-id", b"req-1")],
        "query_string": b"",
        "client": ("127.0.0.1", 1),
        "scheme": "http",
    }
    with pytest.raises(RuntimeError, match="boom"):
        await edge(scope, receive, send)

    start, body = sent
    assert start["status"] == 500
    assert (b"x-request-id", b"req-1") in start["headers"]
    assert (b"content-type", b"text/plain; charset=utf-8") in start["headers"]
    assert body["body"] == b"Internal Server Error"
    assert reached == []


def test_the_edge_stands_outside_fastapis_layers(api: Api) -> None:
    app = api.client.app
    assert app.user_middleware == []  # type: ignore[attr-defined]
    assert isinstance(app.middleware_stack, Edge)  # type: ignore[attr-defined]
