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

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bench.catalogue import PROCEDURE as FORWARDABLE
from api.graphql.fast_path import FastQueries
from tests.api.conftest import OUTCOME
from tests.api.mutation_pair import (
    KNOWN_CODE,
    KNOWN_ID,
    UNKNOWN_CODE,
    Pair,
    apps,
    post,
    same_answer,
    sent,
    texts,
    tokens_of,
    written,
)
from tests.factories import APPLICANT, BIRTH, JUSTICE, PROVINCE
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


@pytest.fixture
def pair(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Pair]:
    with apps(postgres_server, tmp_path) as made:
        yield made


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
                    "summary": texts(),
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
            "note": texts(),
            "reason": texts(),
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
        {"authorization": tokens_of(pair.tokens)},
        optional={
            "accept-language": st.sampled_from(["en", "vi", "en-US,en;q=0.9"]),
            # now and then a key used before (a retry, or reused for another body)
            "idempotency-key": st.one_of(
                st.uuids().map(str), st.uuids().map(str), st.sampled_from(["k-1"])
            ),
        },
    )
    return st.tuples(body, headers)


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
        fast = post(pair.fast, sent(body, 0, pair), headers)
        reference = post(pair.reference, sent(body, 1, pair), headers)
        same_answer(pair, fast, reference)
        wrote = written(pair, pair.fast, before[0])
        assert wrote == written(pair, pair.reference, before[1])
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
    first = post(pair.fast, body, {**headers, "x-request-id": request_id})
    written = pair.position(pair.fast)
    again = post(pair.fast, body, headers)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert pair.position(pair.fast) == written  # the retry wrote nothing
    received = first.json()["data"]["receiveDossier"]
    assert received["__typename"] == "DossierReceived"
    forward = {
        "query": FORWARD_BENCH,
        "variables": {"code": received["code"], "to": JUSTICE, "dept": "PHC"},
    }
    answer = post(pair.fast, forward, {"authorization": desk}).json()
    assert answer == {"data": {"forwardDossier": {"__typename": "DossierUpdated"}}}
    onestop = pair.services(pair.fast).onestop
    dossier = onestop.get_dossier(uuid.UUID(received["dossierId"]))
    assert dossier.version == 2
    events = list(onestop.events.get(dossier.id))
    assert events[0].trace.correlation_id == uuid.UUID(hex=request_id)  # type: ignore[attr-defined]
    # every command document of the equivalence test runs directly
    direct = (RECEIVE, RECEIVE_INPUT, FORWARD, FORWARD_BENCH, STOP, SUPPLEMENT)
    for document in (*direct, RETURN, ACCOUNT):
        post(pair.fast, {"query": document, "variables": {}}, {"authorization": desk})
    fast = _fast(pair.fast)
    for document in (*direct, RETURN, ACCOUNT):
        plan = fast.plans.get((document, None))
        assert plan is not None
        assert plan.shape is not None, document
        assert plan.planned is not None, document
