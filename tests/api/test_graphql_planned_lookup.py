"""Planned lookups answer exactly as strawberry does.

Two apps on one PostgreSQL database, each with its own Redis database (the
rate limit and the lookup cache of the production topology, counted apart):
one plans the anonymous ``dossierStatus`` (``api.graphql.planned_lookup``),
the reference runs it through strawberry (``MOTCUA_GRAPHQL_FAST_PATH=n``).
Generated lookups — known, unknown and malformed codes, codes of the wrong
type, selections in any order with aliases, ``__typename`` and inline
fragments, the code as a variable (with or without a default, nullable or
not) or as an inline literal, either language, anonymous or not, and enough
of them that the small rate limit refuses the later ones — go to both, back
to back: status, headers and bytes must be equal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.settings import Settings
from api.app import create_app
from api.graphql.fast_path import FastQueries
from domain.dossier_status import Completion
from tests.api.conftest import RECEIVE, STATUS, MakeApi, Tokens
from tests.factories import APPLICANT, BIRTH

UNKNOWN = "000.00.00.H34-260302-9999"
FIELDS = ("code", "completion", "label", "__typename")
RATE_LIMIT = 60
RECEIVED = Completion.RECEIVED


@dataclass(frozen=True)
class Pair:
    fast: TestClient
    reference: TestClient
    tokens: Tokens
    codes: tuple[str, ...]
    planner: FastQueries


def _redis_database(url: str, number: int) -> str:
    return f"{url.rsplit('/', 1)[0]}/{number}"


@pytest.fixture
def pair(postgres_url: str, redis_url: str, make_api: MakeApi) -> Iterator[Pair]:
    options = {
        "LOOKUP_RATE_LIMIT": str(RATE_LIMIT),
        "LOOKUP_RATE_WINDOW": "86400",
        "PROJECTOR": "embedded",
    }
    fast = make_api(
        database_url=postgres_url,
        redis_url=_redis_database(redis_url, 1),
        options=options,
    )
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
        redis_url=_redis_database(redis_url, 2),
        data_dir=fast.settings.data_dir,
        options={**options, "PROJECTOR": "separate", "GRAPHQL_FAST_PATH": "n"},
    )
    planner = fast.app.state.fast_queries
    assert isinstance(planner, FastQueries)
    with TestClient(create_app(reference)) as client:
        yield Pair(fast.client, client, fast.tokens, tuple(codes), planner)


def _selection() -> st.SearchStrategy[str]:
    def field(name: str, alias: str | None) -> str:
        return f"{alias}: {name}" if alias else name

    one = st.tuples(
        st.sampled_from(FIELDS), st.sampled_from([None, None, "x", "code", "label"])
    )
    fields = st.lists(one, min_size=1, max_size=4).map(
        lambda chosen: " ".join(field(name, alias) for name, alias in chosen)
    )
    wrapped = fields.flatmap(
        lambda inner: st.sampled_from(
            [
                inner,
                f"... on PublicDossierStatus {{ {inner} }}",
                f"code ... {{ {inner} }}",
                f"{inner} label @include(if: false)",
            ]
        )
    )
    return st.one_of(wrapped, st.sampled_from(["nope", "code { x }", ""]))


def _code_literal() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(['"H34.01-260302-0001"', f'"{UNKNOWN}"', '""', "7", "null"]),
        st.text(max_size=12).map(json.dumps),
    )


def _document(codes: tuple[str, ...]) -> st.SearchStrategy[tuple[str, str | None]]:
    """A document and the operation name to send."""
    known = st.sampled_from(codes).map(json.dumps)
    inline = st.one_of(known, _code_literal())
    declared = st.sampled_from(
        [
            "$code: String!",
            "$code: String",
            f'$code: String = "{codes[0]}"',
            "$code: String! = null",
            "$code: Int!",
            "",
        ]
    )
    alias = st.sampled_from(["", "", "s: ", "dossierStatus: "])

    def build(
        parts: tuple[str, str, str, bool, str, str | None, bool],
    ) -> tuple[str, str | None]:
        variables, root_alias, selection, by_variable, literal, name, second = parts
        argument = "$code" if by_variable else literal
        head = (
            f"query {name or ''}({variables})" if variables else f"query {name or ''}"
        )
        field = f"{root_alias}dossierStatus(code: {argument}) {{ {selection} }}"
        text = f"{head} {{ {field} }}"
        if second:
            text = "query Other { __typename } " + text
        return text, name

    return st.tuples(
        declared,
        alias,
        _selection(),
        st.booleans(),
        inline,
        st.sampled_from([None, "S", "Lookup"]),
        st.booleans(),
    ).map(build)


def _variables(codes: tuple[str, ...]) -> st.SearchStrategy[Any]:
    code = st.one_of(
        st.sampled_from(codes),
        st.sampled_from(codes).map(lambda c: f"  {c}\t"),
        st.sampled_from([UNKNOWN, "", "H34", "x" * 300, "'; drop table x; --"]),
        st.text(max_size=20),
        st.integers(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
    return st.one_of(
        st.fixed_dictionaries({}, optional={"code": code, "other": st.integers()}),
        st.none(),
    )


def _headers(tokens: Tokens) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {"content-type": st.just("application/json")},
        optional={
            "accept-language": st.sampled_from(["en", "vi", "en-US,en;q=0.9", "fr"]),
            "authorization": st.sampled_from(
                [f"Bearer {tokens.citizen()}", "Bearer not-a-token"]
            ),
        },
    )


def _request(codes: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    def body(
        parts: tuple[tuple[str, str | None], Any, bool, bool],
    ) -> bytes:
        (text, name), variables, send_name, send_variables = parts
        request: dict[str, Any] = {"query": text}
        if send_name:
            request["operationName"] = name
        if send_variables:
            request["variables"] = variables
        return json.dumps(request).encode()

    return st.tuples(
        _document(codes), _variables(codes), st.booleans(), st.booleans()
    ).map(body)


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
    theirs = [int(m) for m in _RETRY.findall(reference.content)]
    assert len(waits) == len(theirs)
    for a, b in zip(waits, theirs, strict=True):
        assert abs(a - b) <= 1
    assert _RETRY.sub(b"", fast.content) == _RETRY.sub(b"", reference.content)


def _planned(pair: Pair) -> float:
    return float(pair.planner.answered["planned"]._value.get())


def _executed(pair: Pair) -> float:
    return float(pair.planner.answered["executed"]._value.get())


@pytest.mark.postgres
@pytest.mark.redis
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_a_planned_lookup_answers_as_strawberry_does(
    pair: Pair, data: st.DataObject
) -> None:
    body = data.draw(_request(pair.codes))
    headers = data.draw(_headers(pair.tokens))
    fast = pair.fast.post("/graphql", content=body, headers=headers)
    reference = pair.reference.post("/graphql", content=body, headers=headers)
    _same(fast, reference)


INLINE = '{{ dossierStatus(code: "{code}") {{ label x: code __typename }} }}'
ALIASED = (
    'query Q($c: String = "{code}") {{ s: dossierStatus(code: $c) '
    "{{ ... on PublicDossierStatus {{ completion }} code }} }}"
)


@pytest.mark.postgres
@pytest.mark.redis
def test_lookups_take_the_plan_until_the_rate_limit_and_answer_alike(
    pair: Pair,
) -> None:
    """Each plannable lookup is counted as planned, and the limit's refusal
    (raised by the planned lookup, completed by graphql-core) is the same."""
    known, other = pair.codes
    requests: list[tuple[str, dict[str, Any] | None, str]] = [
        (STATUS, {"code": known}, "vi"),
        (STATUS, {"code": f" {other} "}, "en"),
        (STATUS, {"code": UNKNOWN}, "en"),
        (STATUS, {"code": "not a code"}, "vi"),
        (INLINE.format(code=known), None, "en"),
        (INLINE.format(code="H34"), None, "vi"),
        (ALIASED.format(code=other), None, "en"),
        (ALIASED.format(code=other), {"c": known}, "vi"),
    ]
    planned = executed = 0
    answers = []
    for index in range(RATE_LIMIT + 4):
        query, variables, language = requests[index % len(requests)]
        before = _planned(pair), _executed(pair)
        request = {"query": query, "variables": variables}
        headers = {"accept-language": language}
        fast = pair.fast.post("/graphql", json=request, headers=headers)
        reference = pair.reference.post("/graphql", json=request, headers=headers)
        _same(fast, reference)
        planned += int(_planned(pair) - before[0])
        executed += int(_executed(pair) - before[1])
        answers.append(fast.json())
    # every allowed request took the plan; a refusal ran the plan too, then
    # graphql-core completed its error
    assert (planned, executed) == (RATE_LIMIT, 4)
    assert answers[0]["data"]["dossierStatus"]["code"] == known
    assert answers[0]["data"]["dossierStatus"]["label"] == RECEIVED.label("vi")
    assert answers[1]["data"]["dossierStatus"]["label"] == RECEIVED.label("en")
    assert RECEIVED.label("vi") != RECEIVED.label("en")
    assert answers[2] == answers[3] == {"data": {"dossierStatus": None}}
    assert answers[6]["data"]["s"] == {"completion": "RECEIVED", "code": other}
    assert answers[7]["data"]["s"]["code"] == known
    refused = answers[-1]["errors"][0]
    assert refused["extensions"]["code"] == "RATE_LIMITED"
    last = requests[(RATE_LIMIT + 3) % len(requests)][0]
    assert refused["path"] == ["s" if "s: dossierStatus" in last else "dossierStatus"]
    assert answers[-1]["data"] == {refused["path"][0]: None}


@pytest.mark.postgres
@pytest.mark.redis
def test_what_the_plan_does_not_cover_falls_back_before_anything_ran(
    pair: Pair,
) -> None:
    """A variable graphql-core refuses, or a null for the non-null code: the
    direct path answers (its refusal), the plan counts nothing, and the rate
    limit counts nothing either (nothing ran)."""
    known = pair.codes[0]
    nullable = "query S($code: String) { dossierStatus(code: $code) { code } }"
    for request in (
        {"query": STATUS, "variables": {"code": 7}},
        {"query": STATUS, "variables": {}},
        {"query": nullable, "variables": {"code": None}},
    ):
        before = _planned(pair)
        fast = pair.fast.post("/graphql", json=request)
        reference = pair.reference.post("/graphql", json=request)
        _same(fast, reference)
        assert fast.json()["errors"]
        assert _planned(pair) == before
    # all RATE_LIMIT lookups are still there to spend
    for _ in range(RATE_LIMIT):
        fast = pair.fast.post(
            "/graphql", json={"query": STATUS, "variables": {"code": known}}
        )
        assert fast.json()["data"]["dossierStatus"]["code"] == known
    refused = pair.fast.post(
        "/graphql", json={"query": STATUS, "variables": {"code": known}}
    )
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
