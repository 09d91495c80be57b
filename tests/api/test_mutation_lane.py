"""The mutation lane answers a planned officer command from the edge's body,
and leaves everything else, before anything ran, to the general route.

A real app on PostgreSQL (``tests.api.mutation_pair``, with its strawberry
reference): the lane is called with the ASGI scope the edge gives it; what
it sends is compared with what the app answers through its general route
(the reference app), and the store tells whether a command ran.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message

from api.bench.catalogue import PROCEDURE
from api.graphql.fast_path import FastQueries
from api.graphql.mutation_lane import MutationLane
from tests.api.mutation_pair import Pair, apps, post
from tests.factories import APPLICANT
from tests.services import PostgresServer

RECEIVE = """mutation R($p: String!, $id: String!, $name: String!) {
  receiveDossier(input: {procedureCode: $p, applicantId: $id, applicantName: $name})
  { __typename ... on DossierReceived { code } ... on NotAllowed { message } } }"""
VARIABLES = {"p": PROCEDURE, "id": APPLICANT.id, "name": APPLICANT.name}


@pytest.fixture(scope="module")
def pair(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    with apps(postgres_server, tmp_path_factory.mktemp("lane")) as made:
        yield made


def _lane(client: TestClient) -> MutationLane:
    fast = client.app.state.fast_queries  # type: ignore[attr-defined]
    assert isinstance(fast, FastQueries)
    return MutationLane(fast, fast.router)


def _scope(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "state": {"request_id": "0" * 32},
        "app": client.app,
    }


def _call(
    client: TestClient, body: bytes, headers: dict[str, str]
) -> tuple[bool, list[Message]]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> bool:
        return await _lane(client).answer(_scope(client, headers), receive, send, body)

    return asyncio.run(run()), sent


def _headers(token: str | None, **more: str) -> dict[str, str]:
    given = {"content-type": "application/json", **more}
    if token is not None:
        given["authorization"] = f"Bearer {token}"
    return given


def _planned(pair: Pair) -> float:
    registry = pair.services(pair.fast).metrics.registry
    found = registry.get_sample_value(
        "motcua_graphql_requests_total", {"path": "planned"}
    )
    return found or 0.0


def test_a_planned_command_is_answered_as_the_route_answers_it(pair: Pair) -> None:
    body = json.dumps({"query": RECEIVE, "variables": VARIABLES}).encode()
    before, planned = pair.position(pair.fast), _planned(pair)
    answered, sent = _call(pair.fast, body, _headers(pair.tokens.desk()))
    assert answered
    assert pair.position(pair.fast) > before  # the command ran, once
    assert _planned(pair) == planned + 1
    start, message = sent
    reference = post(
        pair.reference,
        {"query": RECEIVE, "variables": VARIABLES},
        {"authorization": pair.tokens.desk()},
    )
    assert start["status"] == reference.status_code == 200
    assert start["headers"] == [
        (b"content-length", str(len(message["body"])).encode()),
        (b"content-type", b"application/json"),
    ]
    mine = json.loads(message["body"])["data"]["receiveDossier"]
    theirs = reference.json()["data"]["receiveDossier"]
    assert mine["__typename"] == theirs["__typename"] == "DossierReceived"
    assert mine["code"]
    assert theirs["code"]


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"query": "{ __typename }"}, {}),  # no mutation: not even decoded
        (
            {"query": "query Q { __typename } # mutation"},
            {},
        ),  # decoded, not planned
        ({"query": RECEIVE, "variables": VARIABLES}, {"content-type": "text/plain"}),
        ({"query": RECEIVE, "variables": {**VARIABLES, "p": None}}, {}),
        ({"query": RECEIVE, "variables": {**VARIABLES, "p": 7}}, {}),
        ({"query": RECEIVE, "variables": ["mutation"]}, {}),
        ({"query": RECEIVE, "operationName": 3}, {}),
    ],
)
def test_anything_else_is_left_to_the_route_before_anything_ran(
    pair: Pair, body: dict[str, Any], headers: dict[str, str]
) -> None:
    before, planned = pair.position(pair.fast), _planned(pair)
    answered, sent = _call(
        pair.fast,
        json.dumps(body).encode(),
        {**_headers(pair.tokens.desk()), **headers},
    )
    assert not answered
    assert sent == []
    assert pair.position(pair.fast) == before
    assert _planned(pair) == planned


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_refused_token_is_answered_as_the_app_answers_it(
    pair: Pair, language: str
) -> None:
    body = {"query": RECEIVE, "variables": VARIABLES}
    before = pair.position(pair.fast)
    answered, sent = _call(
        pair.fast,
        json.dumps(body).encode(),
        _headers("not-a-token", **{"accept-language": language}),
    )
    assert answered
    assert pair.position(pair.fast) == before
    reference = post(
        pair.reference,
        body,
        {"authorization": "not-a-token", "accept-language": language},
    )
    start, message = sent
    assert start["status"] == reference.status_code == 401
    assert message["body"] == reference.content
