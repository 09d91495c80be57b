"""The fast path answers exactly as strawberry does.

Two apps on one PostgreSQL database and one data directory (the same signing
key, the same dossiers): one with the fast path (and the projector), the
reference with ``MOTCUA_GRAPHQL_FAST_PATH=n``. Every generated request goes to
both, back to back; status, headers and body bytes must be equal. The rate
limit and the cost limit are small, so a run crosses them on both sides alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.settings import Settings
from api.app import create_app
from api.graphql.fast_path import FastQueries
from domain.values import Role
from tests.api.conftest import RECEIVE, STATUS, Api, MakeApi, Tokens
from tests.factories import APPLICANT, BIRTH, JUSTICE, PROVINCE

MY = "query M($limit: Int!) { myDossiers(limit: $limit) { code status statusLabel dueAt } }"
ONE = (
    "query D($code: String!) { dossier(code: $code) { code status statusLabel dueAt } }"
)
WORK = "query W($limit: Int!) { worklist(limit: $limit) { code applicantName status dueAt } }"
DOCUMENTS = (
    STATUS,
    MY,
    ONE,
    WORK,
    # the same reads, written otherwise
    '{ dossierStatus(code: "H34.01-260302-0001") { code label } __typename }',
    "query S($code: String!) { a: dossierStatus(code: $code) { code } "
    "b: dossierStatus(code: $code) { completion } }",
    "query A { __typename } query B($code: String!) { dossierStatus(code: $code) "
    "{ label } }",
    "query ($code: String!) { dossierStatus(code: $code) { code completion "
    "label @skip(if: true) } }",
    "query W($limit: Int!) { worklist(limit: $limit, overdue: true) { code } }",
    # what the fast path leaves to strawberry
    "query S($code: String!) { dossierStatus(code: $code) { nope } }",
    "query { procedures { code } }",
    "mutation { __typename }",
    "subscription S($code: String!) { dossierStatusChanged(code: $code) { code } }",
    "{ dossierStatus(code: ",
    "query S($code: String!) { "
    + " ".join(f"a{i}: dossierStatus(code: $code) {{ code }}" for i in range(20))
    + " }",
    "",
)
NAMES = st.sampled_from([None, "S", "M", "D", "W", "A", "B", "nope"])


@dataclass(frozen=True)
class Pair:
    fast: TestClient
    reference: TestClient
    tokens: Tokens
    codes: tuple[str, ...]


@pytest.fixture
def pair(postgres_url: str, make_api: MakeApi) -> Iterator[Pair]:
    # postgres_url first: its database is dropped after both apps stopped
    options = {
        "LOOKUP_RATE_LIMIT": "40",
        "LOOKUP_RATE_WINDOW": "86400",
        "PROJECTOR": "embedded",
        # low enough that a page of 100 is refused: both paths check the cost
        "MAX_QUERY_COST": "400",
    }
    fast = make_api(database_url=postgres_url, options=options)
    codes = []
    for applicant in (APPLICANT.id, "062000000002"):
        result = fast.data(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": applicant, "name": "Nguyễn Văn An"},
            token=fast.tokens.desk(),
        )["receiveDossier"]
        codes.append(result["code"])
    fast.settle()
    reference = Settings(
        database_url=postgres_url,
        data_dir=fast.settings.data_dir,
        options={**options, "PROJECTOR": "separate", "GRAPHQL_FAST_PATH": "n"},
    )
    with TestClient(create_app(reference)) as client:
        yield Pair(fast.client, client, fast.tokens, tuple(codes))


def _variables(codes: tuple[str, ...]) -> st.SearchStrategy[Any]:
    code = st.one_of(
        st.sampled_from(codes),
        st.sampled_from(["H34.01-260302-9999", "", "x" * 300]),
        st.text(max_size=20),
        st.integers(),
        st.none(),
    )
    limit = st.one_of(
        st.integers(-5, 200), st.sampled_from([0, 10**12]), st.text(max_size=3)
    )
    return st.one_of(
        st.fixed_dictionaries({}, optional={"code": code, "limit": limit}),
        st.none(),
        st.sampled_from(["not an object", 3, []]),
    )


def _headers(tokens: Tokens) -> st.SearchStrategy[dict[str, str]]:
    authorization = st.sampled_from(
        [
            f"Bearer {tokens.citizen()}",
            f"Bearer {tokens.other_citizen()}",
            f"Bearer {tokens.desk()}",
            f"Bearer {tokens.officer(Role.SPECIALIST, JUSTICE, 'spec-1')}",
            f"Bearer {tokens.officer(Role.LEADER, PROVINCE, 'lead-9')}",
            "Bearer not-a-token",
            "Basic abc",
        ]
    )
    return st.fixed_dictionaries(
        {
            "content-type": st.sampled_from(
                ["application/json", "application/json; charset=utf-8", "text/plain"]
            )
        },
        optional={
            "accept-language": st.sampled_from(["en", "vi", "en-US,en;q=0.9", "fr"]),
            "authorization": authorization,
            "accept": st.sampled_from(
                ["application/json", "text/event-stream", "multipart/mixed", "*/*"]
            ),
        },
    )


def _body(codes: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    request = st.fixed_dictionaries(
        {"query": st.one_of(st.sampled_from(DOCUMENTS), st.integers(), st.none())},
        optional={
            "variables": _variables(codes),
            "operationName": st.one_of(NAMES, st.integers()),
            "extensions": st.sampled_from([None, {}, {"x": 1}, "no"]),
        },
    )
    return st.one_of(
        request.map(lambda r: json.dumps(r).encode()),
        st.lists(request, max_size=2).map(lambda r: json.dumps(r).encode()),
        st.sampled_from([b"", b"{", b"[1]", b'"text"', b"\xff\xfe"]),
    )


_RETRY = re.compile(rb'"retryAfter":(\d+)')


def _same(fast: httpx.Response, reference: httpx.Response) -> None:
    assert fast.status_code == reference.status_code, (fast.text, reference.text)

    def shown(response: httpx.Response) -> list[tuple[str, str]]:
        return [
            (k, v)
            for k, v in response.headers.multi_items()
            if k not in {"x-request-id", "date"}
        ]

    assert shown(fast) == shown(reference)
    # The seconds until the window resets are read one call apart.
    waits = [int(m) for m in _RETRY.findall(fast.content)]
    assert len(waits) == len(_RETRY.findall(reference.content))
    for a, b in zip(waits, map(int, _RETRY.findall(reference.content)), strict=True):
        assert abs(a - b) <= 1
    assert _RETRY.sub(b"", fast.content) == _RETRY.sub(b"", reference.content)


@pytest.mark.postgres
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_fast_path_answers_as_strawberry_does(
    pair: Pair, data: st.DataObject
) -> None:
    body = data.draw(_body(pair.codes))
    headers = data.draw(_headers(pair.tokens))
    fast = pair.fast.post("/graphql", content=body, headers=headers)
    reference = pair.reference.post("/graphql", content=body, headers=headers)
    _same(fast, reference)


@pytest.mark.postgres
def test_rate_limited_lookups_answer_alike(pair: Pair) -> None:
    body = json.dumps({"query": STATUS, "variables": {"code": pair.codes[0]}})
    headers = {"content-type": "application/json", "accept-language": "en"}
    answers = []
    for _ in range(45):
        fast = pair.fast.post("/graphql", content=body, headers=headers)
        reference = pair.reference.post("/graphql", content=body, headers=headers)
        _same(fast, reference)
        answers.append(fast.json())
    assert answers[0]["data"]["dossierStatus"]["code"] == pair.codes[0]
    limited = answers[-1]["errors"][0]
    assert limited["extensions"]["code"] == "RATE_LIMITED"
    assert limited["message"] == "Too many lookups, try again later"


def _fast(api: Api) -> FastQueries:
    fast = api.app.state.fast_queries
    assert isinstance(fast, FastQueries), "no fast path on POST /graphql"
    return fast


def test_known_reads_get_a_plan_and_the_rest_falls_through(api: Api) -> None:
    fast = _fast(api)
    code = api.data(
        RECEIVE,
        {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
        token=api.tokens.desk(),
    )["receiveDossier"]["code"]
    api.settle()
    assert api.data(STATUS, {"code": code})["dossierStatus"]["code"] == code
    assert api.data(MY, {"limit": 5}, token=api.tokens.citizen())["myDossiers"]
    assert api.data(WORK, {"limit": 5}, token=api.tokens.desk())["worklist"]
    plans = [
        (cast("tuple[str, str | None]", key), plan)
        for key, (plan, _) in fast.plans._items.items()
    ]
    planned = {query for (query, _), plan in plans if plan.operation_name}
    assert planned == {STATUS, MY, WORK, RECEIVE}
    # one root field, plain leaves: run directly, not by graphql-core's executor
    assert all(plan.shape is not None for (_, plan) in plans if plan.operation_name)
    shape = fast.plans.get((WORK, None)).shape  # type: ignore[union-attr]
    assert shape is not None
    assert [leaf.key for leaf in shape.leaves_by_type["OfficerDossier"] or ()] == [
        "code",
        "applicantName",
        "status",
        "dueAt",
    ]
    # the officer's receive runs directly too, completed per outcome type
    received = fast.plans.get((RECEIVE, None))
    assert received is not None
    assert received.shape is not None
    leaves = received.shape.leaves_by_type["DossierReceived"] or ()
    assert [leaf.key for leaf in leaves] == [
        "__typename",
        "dossierId",
        "code",
        "logPosition",
        "dueAt",
    ]
    # a read of anything else ran through strawberry and left a "no plan" entry
    other = "query { procedures { code } }"
    api.data(other)
    left = fast.plans.get((other, None))
    assert left is not None
    assert left.operation_name is None


def test_the_setting_turns_it_off(make_api: MakeApi) -> None:
    api = make_api(options={"GRAPHQL_FAST_PATH": "n"})
    with pytest.raises(AssertionError, match="no fast path"):
        _fast(api)
    assert api.gql(STATUS, {"code": "H34.01-260302-0001"})["data"] == {
        "dossierStatus": None
    }
