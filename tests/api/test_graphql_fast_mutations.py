"""The fast path runs the officer's mutations exactly as strawberry does.

Two apps, each on its own PostgreSQL database seeded alike, sharing one data
directory (the same signing key): one with the fast path, the reference with
``MOTCUA_GRAPHQL_FAST_PATH=n``. Every generated request goes to both, back to
back, so both logs grow alike: status, headers and bodies must be equal (ids
the two apps drew at random are matched by where they appear, due times
within seconds), and each request must write the same events on both sides
— nothing at all when it is refused. The cost limit is low enough that a
document of several commands is refused on both sides alike.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.settings import Settings
from api.app import create_app
from api.auth import AccessLevel, AuthSettings, TokenIssuer
from api.bench.catalogue import ADMIN, bench_procedure
from api.bench.catalogue import PROCEDURE as FORWARDABLE
from api.graphql.fast_path import FastQueries
from api.services import Services
from application.clock import trace_for
from domain.values import Role
from tests.api.conftest import OUTCOME, Tokens
from tests.factories import (
    APPLICANT,
    BIRTH,
    CONSTRUCTION,
    JUSTICE,
    PROVINCE,
    seed_catalogue,
)
from tests.services import PostgresServer

RECEIVE = """
mutation R($p: String!, $applicant: String!, $name: String!) {
  receiveDossier(input: {procedureCode: $p, applicantId: $applicant,
                         applicantName: $name})
  { __typename ... on DossierReceived { dossierId code dueAt logPosition }
    ... on InvalidInput { errorCode message field } ... on NotAllowed { message }
    ... on DossierNotFound { message } } }"""
RECEIVE_INPUT = """
mutation R($input: ReceiveDossierInput!) { receiveDossier(input: $input)
  { __typename ... on DossierReceived { code logPosition }
    ... on InvalidInput { errorCode message field } ... on NotAllowed { message }
    ... on DossierNotFound { message } } }"""
REF = "dossier: {code: $code, dossierId: $id, expectedVersion: $v}"
REF_VARIABLES = "$code: String, $id: ID, $v: Int"
FORWARD = f"""
mutation F({REF_VARIABLES}, $to: String!, $dept: String, $note: String! = "") {{
  forwardDossier({REF}, toAgencyCode: $to, toDepartment: $dept, note: $note)
  {{ {OUTCOME} ... on DossierUpdated {{ version }} }} }}"""
FORWARD_BENCH = """mutation F($code: String!, $to: String!, $dept: String) {
  forwardDossier(dossier: {code: $code}, toAgencyCode: $to, toDepartment: $dept)
  { __typename } }"""
STOP = f"""
mutation S({REF_VARIABLES}, $reason: String!) {{
  stopDossier({REF}, reason: $reason) {{ {OUTCOME} }} }}"""
SUPPLEMENT = f"""
mutation Q({REF_VARIABLES}, $codes: [String!]!, $reason: String!) {{
  requestSupplement({REF}, componentCodes: $codes, reason: $reason)
  {{ {OUTCOME} }} }}"""
RETURN = f"""
mutation T({REF_VARIABLES}, $method: ReturnMethod!) {{
  returnResult({REF}, method: $method) {{ {OUTCOME} }} }}"""
ACCOUNT = f"""
mutation A({REF_VARIABLES}, $has: Boolean) {{
  checkDigitalAccount({REF}, hasAccount: $has) {{ {OUTCOME} }} }}"""
DOCUMENTS = (
    RECEIVE,
    RECEIVE_INPUT,
    FORWARD,
    FORWARD_BENCH,
    STOP,
    SUPPLEMENT,
    RETURN,
    ACCOUNT,
    # the same commands written otherwise (graphql-core runs them)
    f"mutation S({REF_VARIABLES}, $reason: String!) {{ s: stopDossier({REF}, "
    "reason: $reason) { ...Out } } fragment Out on NotAllowed { message }",
    f"mutation S({REF_VARIABLES}, $reason: String!, $all: Boolean!) {{ "
    f"stopDossier({REF}, reason: $reason) {{ __typename "
    "... on DossierUpdated @include(if: $all) { event version } } }",
    f"mutation S({REF_VARIABLES}, $reason: String!) {{ "
    f"a: stopDossier({REF}, reason: $reason) {{ __typename }} "
    f"b: returnResult({REF}, method: DESK) {{ __typename }} }}",
    "mutation { __typename }",
    # what the fast path leaves to strawberry
    f"mutation S({REF_VARIABLES}) {{ "
    + " ".join(
        f'a{i}: stopDossier({REF}, reason: "r") {{ __typename }}' for i in range(12)
    )
    + " }",
    f"mutation S({REF_VARIABLES}) {{ stopDossier({REF}) {{ __typename }} }}",
    "mutation { submitComplaint(input: {}) { __typename } }",
    "mutation { receiveDossier(input: ",
    "",
)
KNOWN_CODE, KNOWN_ID = "@code:", "@id:"
UNKNOWN_CODE = "000.00.00.H34-260302-9999"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME_SLACK = timedelta(seconds=30)


@dataclass
class Pair:
    fast: TestClient
    reference: TestClient
    tokens: Tokens
    codes: list[str] = field(default_factory=list)
    """Codes both apps issued (the same numbers: their logs grow alike)."""
    ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    """A placeholder → the id each app drew for the same dossier."""

    def services(self, client: TestClient) -> Services:
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        return services

    def position(self, client: TestClient) -> int:
        return self.services(client).onestop.recorder.max_notification_id() or 0


def _seed(services: Services) -> None:
    seed_catalogue(services.onestop)
    services.onestop.publish_procedure(
        trace=trace_for(ADMIN, at=datetime(2026, 2, 23, 8, 0).astimezone()),
        definition=bench_procedure(),
    )


@pytest.fixture
def pair(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Pair]:
    names = [f"test_{uuid.uuid4().hex[:20]}" for _ in range(2)]
    urls = [postgres_server.create_database(name) for name in names]
    options = {"PROJECTOR": "embedded", "MAX_QUERY_COST": "20"}
    try:
        fast_settings = Settings(
            database_url=urls[0], data_dir=tmp_path, options=options
        )
        reference_settings = Settings(
            database_url=urls[1],
            data_dir=tmp_path,
            options={**options, "GRAPHQL_FAST_PATH": "n"},
        )
        with (
            TestClient(create_app(fast_settings)) as fast,
            TestClient(create_app(reference_settings)) as reference,
        ):
            tokens = Tokens(
                TokenIssuer.from_settings(AuthSettings.from_settings(fast_settings))
            )
            made = Pair(fast, reference, tokens)
            for client in (fast, reference):
                _seed(made.services(client))
            assert made.position(fast) == made.position(reference)
            yield made
    finally:
        for name in names:
            postgres_server.drop_database(name)


def _tokens(tokens: Tokens) -> st.SearchStrategy[str | None]:
    others = st.sampled_from(
        [
            tokens.officer(Role.DESK, JUSTICE, "desk-tp"),
            tokens.specialist(),
            tokens.leader(),
            tokens.outsider(),
            tokens.officer(Role.DESK, CONSTRUCTION, "desk-xd"),
            tokens.citizen(),
            tokens.issuer.issue(AccessLevel.MONITOR, subject="monitor-1"),
            "not-a-token",
            None,
        ]
    )
    return st.one_of(st.just(tokens.desk()), others)


def _text() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(["", "  ", "x" * 5000, "a\u0000b", "dòng 1\ndòng 2"]),
        st.text(max_size=12),
        st.integers(),
        st.none(),
    )


def _variables(pair: Pair) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly what a client sends; sometimes some values are wrong."""
    # Indices into what the apps issued so far, resolved when sent: the
    # strategy itself must not change as the apps' state grows.
    code = st.integers(-3, 30).map(lambda i: f"{KNOWN_CODE}{i}")
    known_id = st.integers(-3, 30).map(lambda i: f"{KNOWN_ID}{i}")
    usual = st.fixed_dictionaries(
        {
            "p": st.sampled_from([FORWARDABLE, FORWARDABLE, BIRTH]),
            "applicant": st.just(APPLICANT.id),
            "name": st.just(APPLICANT.name),
            "input": st.fixed_dictionaries(
                {
                    "procedureCode": st.sampled_from([FORWARDABLE, BIRTH]),
                    "applicantId": st.just(APPLICANT.id),
                    "applicantName": st.just(APPLICANT.name),
                },
                optional={
                    "applicantKind": st.sampled_from(["CITIZEN", "ENTERPRISE"]),
                    "channel": st.sampled_from(["DESK", "POST"]),
                    "summary": st.just("Hồ sơ giấy"),
                },
            ),
            "code": code,
            "id": st.one_of(st.none(), st.none(), known_id),
            "v": st.one_of(st.none(), st.none(), st.integers(0, 4)),
            "to": st.just(JUSTICE),
            "dept": st.just("PHC"),
            "note": st.just(""),
            "reason": st.just("Thiếu giấy tờ"),
            "codes": st.just(["TP2"]),
            "method": st.sampled_from(["DESK", "POST"]),
            "has": st.sampled_from([True, False, None]),
            "all": st.booleans(),
        }
    )
    wrong = st.fixed_dictionaries(
        {},
        optional={
            "p": st.sampled_from(["9.999999", "x", "", 7]),
            "applicant": st.sampled_from(["", "1" * 200, "062000000002", None]),
            "name": st.sampled_from(["", "  ", "x" * 5000]),
            "input": st.fixed_dictionaries(
                {},
                optional={
                    "procedureCode": st.sampled_from(["?", "", None]),
                    "applicantId": st.sampled_from(["", None]),
                    "applicantKind": st.just("X"),
                    "channel": st.just("nope"),
                    "summary": _text(),
                },
            ),
            "code": st.one_of(
                st.sampled_from([UNKNOWN_CODE, "", "H34", "x" * 300]),
                st.integers(),
                st.none(),
            ),
            "id": st.sampled_from([str(uuid.UUID(int=7)), "not-a-uuid", ""]),
            "v": st.one_of(st.integers(-1, 8), st.sampled_from([2**40, "1"])),
            "to": st.sampled_from([PROVINCE, "000.00.99.H34", "?", None]),
            "dept": st.sampled_from(["NOPE", "", None]),
            "note": _text(),
            "reason": _text(),
            "codes": st.one_of(
                st.lists(st.sampled_from(["TP1", "TP9", "", "x y"]), max_size=3),
                st.just("TP2"),
            ),
            "method": st.sampled_from(["ELECTRONIC", "FAX"]),
            "has": st.just("yes"),
        },
    )
    return st.tuples(usual, st.one_of(st.just({}), st.just({}), wrong)).map(
        lambda both: {**both[0], **both[1]}
    )


def _request(pair: Pair) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, str]]]:
    query = st.one_of(
        st.sampled_from([RECEIVE, FORWARD, FORWARD_BENCH]), st.sampled_from(DOCUMENTS)
    )
    body = st.fixed_dictionaries(
        {"query": query, "variables": _variables(pair)},
        optional={"extensions": st.sampled_from([None, {}, {"x": 1}])},
    )
    # now and then no variables, or an operation name that may name nothing
    odd = st.fixed_dictionaries(
        {},
        optional={
            "variables": st.none(),
            "operationName": st.sampled_from([None, "F", "S", "nope"]),
        },
    )
    body = st.tuples(body, st.one_of(st.just({}), st.just({}), odd)).map(
        lambda both: {**both[0], **both[1]}
    )
    headers = st.fixed_dictionaries(
        {"authorization": _tokens(pair.tokens)},
        optional={
            "accept-language": st.sampled_from(["en", "vi", "en-US,en;q=0.9"]),
            # now and then a key used before (a retry, or reused for another body)
            "idempotency-key": st.one_of(
                st.uuids().map(str), st.uuids().map(str), st.sampled_from(["k-1"])
            ),
        },
    )
    return st.tuples(body, headers)


def _sent(value: Any, side: int, pair: Pair) -> Any:
    """``value`` with each placeholder replaced by what that app issued."""
    if isinstance(value, str) and value.startswith(KNOWN_CODE):
        index = int(value.removeprefix(KNOWN_CODE))
        return pair.codes[index % len(pair.codes)] if pair.codes else UNKNOWN_CODE
    if isinstance(value, str) and value.startswith(KNOWN_ID):
        index = int(value.removeprefix(KNOWN_ID))
        ids = [pair.ids[name][side] for name in sorted(pair.ids)]
        return ids[index % len(ids)] if ids else None
    if isinstance(value, dict):
        return {k: _sent(v, side, pair) for k, v in value.items()}
    return value


def _post(
    client: TestClient, body: dict[str, Any], headers: Mapping[str, str | None]
) -> httpx.Response:
    sent = {k: v for k, v in headers.items() if v is not None}
    if "authorization" in sent:
        sent["authorization"] = f"Bearer {sent['authorization']}"
    sent["content-type"] = "application/json"
    response: httpx.Response = client.post(
        "/graphql", content=json.dumps(body).encode(), headers=sent
    )
    return response


class _Matcher:
    """Walks two answers side by side; ids and due times may differ only
    where the two apps drew them."""

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self.by_side: tuple[dict[str, str], dict[str, str]] = ({}, {})
        for placeholder, (a, b) in pair.ids.items():
            self.by_side[0][a] = placeholder
            self.by_side[1][b] = placeholder

    def same(self, fast: Any, reference: Any, path: str = "") -> None:
        if isinstance(fast, dict) and isinstance(reference, dict):
            assert list(fast) == list(reference), path
            for key in fast:
                self.same(fast[key], reference[key], f"{path}.{key}")
        elif isinstance(fast, list) and isinstance(reference, list):
            assert len(fast) == len(reference), path
            for index, (a, b) in enumerate(zip(fast, reference, strict=True)):
                self.same(a, b, f"{path}[{index}]")
        elif isinstance(fast, str) and isinstance(reference, str):
            self._same_text(fast, reference, path)
        else:
            assert fast == reference, path
            assert type(fast) is type(reference), path

    def _same_text(self, fast: str, reference: str, path: str) -> None:
        if path.endswith(".dueAt"):
            gap = datetime.fromisoformat(fast) - datetime.fromisoformat(reference)
            assert abs(gap) <= TIME_SLACK, (path, fast, reference)
            return
        ids_fast, ids_reference = UUID_TEXT.findall(fast), UUID_TEXT.findall(reference)
        assert len(ids_fast) == len(ids_reference), (path, fast, reference)
        for a, b in zip(ids_fast, ids_reference, strict=True):
            known = self.by_side[0].get(a), self.by_side[1].get(b)
            if known == (None, None) and a != b:
                placeholder = f"dossier-{len(self.pair.ids)}"
                self.pair.ids[placeholder] = (a, b)
                self.by_side[0][a] = self.by_side[1][b] = placeholder
            elif a != b:
                assert known[0] == known[1], (path, fast, reference)
        assert UUID_TEXT.sub("#", fast) == UUID_TEXT.sub("#", reference), path


def _same_answer(pair: Pair, fast: httpx.Response, reference: httpx.Response) -> None:
    assert fast.status_code == reference.status_code, (fast.text, reference.text)

    def shown(response: httpx.Response) -> list[tuple[str, str]]:
        return [
            (k, v)
            for k, v in response.headers.multi_items()
            if k not in {"x-request-id", "date", "content-length"}
        ]

    assert shown(fast) == shown(reference)
    try:
        answers = fast.json(), reference.json()
    except ValueError:
        assert fast.content == reference.content
        return
    _Matcher(pair).same(*answers)


def _written(pair: Pair, client: TestClient, after: int) -> list[tuple[str, int]]:
    recorder = pair.services(client).onestop.recorder
    return [
        (n.topic, n.originator_version)
        for n in recorder.select_notifications(after + 1, 100)
    ]


@pytest.mark.postgres
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_the_fast_path_runs_mutations_as_strawberry_does(
    pair: Pair, data: st.DataObject
) -> None:
    for _ in range(data.draw(st.integers(1, 4))):
        body, headers = data.draw(_request(pair))
        request_id = uuid.uuid4().hex  # both events carry it as correlation id
        headers = {**headers, "x-request-id": request_id}
        before = pair.position(pair.fast), pair.position(pair.reference)
        assert before[0] == before[1]
        fast = _post(pair.fast, _sent(body, 0, pair), headers)
        reference = _post(pair.reference, _sent(body, 1, pair), headers)
        _same_answer(pair, fast, reference)
        written = _written(pair, pair.fast, before[0])
        assert written == _written(pair, pair.reference, before[1])
        if fast.status_code == 200:
            received = (fast.json().get("data") or {}).get("receiveDossier") or {}
            if received.get("code") and received["code"] not in pair.codes:
                pair.codes.append(received["code"])


def _fast(client: TestClient) -> FastQueries:
    fast = client.app.state.fast_queries  # type: ignore[attr-defined]
    assert isinstance(fast, FastQueries)
    return fast


@pytest.mark.postgres
def test_the_bench_mutations_run_directly_and_write_once(pair: Pair) -> None:
    """``bench write --via graphql``'s two documents take the direct plan; a
    retried receive with the same Idempotency-Key replays the first answer
    and writes nothing more; the events carry the request id."""
    desk = pair.tokens.desk()
    request_id = uuid.uuid4().hex
    headers = {"authorization": desk, "idempotency-key": "receive-1"}
    body = {
        "query": RECEIVE,
        "variables": {
            "p": FORWARDABLE,
            "applicant": APPLICANT.id,
            "name": APPLICANT.name,
        },
    }
    first = _post(pair.fast, body, {**headers, "x-request-id": request_id})
    written = pair.position(pair.fast)
    again = _post(pair.fast, body, headers)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert pair.position(pair.fast) == written  # the retry wrote nothing
    received = first.json()["data"]["receiveDossier"]
    assert received["__typename"] == "DossierReceived"
    forward = {
        "query": FORWARD_BENCH,
        "variables": {"code": received["code"], "to": JUSTICE, "dept": "PHC"},
    }
    answer = _post(pair.fast, forward, {"authorization": desk}).json()
    assert answer == {"data": {"forwardDossier": {"__typename": "DossierUpdated"}}}
    onestop = pair.services(pair.fast).onestop
    dossier = onestop.get_dossier(uuid.UUID(received["dossierId"]))
    assert dossier.version == 2
    events = list(onestop.events.get(dossier.id))
    assert events[0].trace.correlation_id == uuid.UUID(hex=request_id)  # type: ignore[attr-defined]
    # every command document of the equivalence test runs directly
    direct = (RECEIVE, RECEIVE_INPUT, FORWARD, FORWARD_BENCH, STOP, SUPPLEMENT)
    for document in (*direct, RETURN, ACCOUNT):
        _post(pair.fast, {"query": document, "variables": {}}, {"authorization": desk})
    fast = _fast(pair.fast)
    for document in (*direct, RETURN, ACCOUNT):
        plan = fast.plans.get((document, None))
        assert plan is not None
        assert plan.shape is not None, document
