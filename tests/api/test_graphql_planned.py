"""Planned mutations answer exactly as strawberry does, for every officer command.

Two apps on PostgreSQL (``tests.api.mutation_pair``): one plans the officer's
commands (``api.graphql.planned``), the reference runs them through strawberry
(``MOTCUA_GRAPHQL_FAST_PATH=n``). Generated lifecycles of a dossier — every
planned command, written with variables, input-object literals around
variables, constants and variable defaults; mostly sensible values, sometimes
wrong ones (types graphql-core refuses, nulls, unknown ids, out-of-range
values the domain refuses), other roles and both languages — go to both:
status, headers and bytes must be equal (up to ids the apps drew), and each
request must write the same events on both sides.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.types.base import StrawberryObjectDefinition

from api.bench.catalogue import PROCEDURE as FORWARDABLE
from api.graphql.documents import DocumentCaches
from api.graphql.fast_path import FastQueries
from api.graphql.mutations.officer_commands import COMMANDS
from api.graphql.router import MotcuaGraphQLRouter
from api.graphql.schema import build_schema
from tests.api.conftest import OUTCOME
from tests.api.mutation_pair import (
    KNOWN_CODE,
    UNKNOWN_CODE,
    Pair,
    apps,
    post,
    same_answer,
    same_bytes,
    sent,
    texts,
    tokens_of,
    written,
)
from tests.factories import APPLICANT, JUSTICE, PROVINCE
from tests.pki import ensure_pki
from tests.scans import store
from tests.services import PostgresServer

REF = "dossier: {code: $code, expectedVersion: $v}"
REF_VARIABLES = "$code: String, $v: Int"


def _command(variables: str, call: str) -> str:
    return f"mutation C({REF_VARIABLES}{variables}) {{ {call} {{ {OUTCOME} }} }}"


COMMAND_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "receiveDossier": (
        """mutation R($p: String!, $applicant: String!, $name: String!,
             $kind: ApplicantKind = CITIZEN) {
           receiveDossier(input: {procedureCode: $p, applicantId: $applicant,
                                  applicantName: $name, applicantKind: $kind,
                                  summary: "Hồ sơ giấy"})
           { __typename ... on DossierReceived { code dueAt logPosition }
             ... on InvalidInput { errorCode message field }
             ... on NotAllowed { message } ... on DossierNotFound { message } } }""",
        """mutation R($input: ReceiveDossierInput!) { receiveDossier(input: $input)
           { __typename ... on DossierReceived { code }
             ... on InvalidInput { errorCode message field }
             ... on NotAllowed { message } } }""",
    ),
    "refuseDossier": (
        _command(", $reason: String!", f"refuseDossier({REF}, reason: $reason)"),
    ),
    "checkDigitalAccount": (
        _command(
            ", $has: Boolean, $vneid: Boolean!, $level: Int!",
            f"checkDigitalAccount({REF}, hasAccount: $has, "
            "verifiedWithVneid: $vneid, eidLevel: $level)",
        ),
    ),
    "digitizeComponent": (
        _command(
            ", $component: String!, $sha: String!, $docId: ID, "
            '$summary: String! = "Bản quét", $issued: Date',
            f"digitizeComponent({REF}, componentCode: $component, document: "
            "{sha256: $sha, documentId: $docId, summary: $summary, "
            "issuedOn: $issued, permanent: true})",
        ),
        # a nullable variable where the input field is non-null with a default
        _command(
            ", $component: String!, $sha: String!, $note: String",
            f"digitizeComponent({REF}, componentCode: $component, "
            "document: {sha256: $sha, summary: $note})",
        ),
        _command(
            ", $component: String!, $document: DocumentInput!",
            f"digitizeComponent({REF}, componentCode: $component, document: $document)",
        ),
    ),
    "reuseComponent": (
        _command(
            ", $component: String!, $reuse: ID!",
            f"reuseComponent({REF}, componentCode: $component, documentId: $reuse)",
        ),
    ),
    "reuseFromNationalWarehouse": (
        _command(
            ", $component: String!, $result: String!",
            f"reuseFromNationalWarehouse({REF}, componentCode: $component, "
            'resultCode: $result, numberSymbol: "01/GKS")',
        ),
    ),
    "signComponent": (
        _command(
            ", $component: String!",
            f"signComponent({REF}, componentCode: $component)",
        ),
    ),
    "forwardDossier": (
        _command(
            ", $to: String!, $dept: String, $due: DateTime",
            f"forwardDossier({REF}, toAgencyCode: $to, toDepartment: $dept, "
            "plannedDueAt: $due)",
        ),
        # a nullable variable where the argument is non-null with a default
        _command(
            ", $to: String!, $note: String",
            f"forwardDossier({REF}, toAgencyCode: $to, note: $note)",
        ),
        """mutation F($code: String!, $to: String!, $dept: String) {
           forwardDossier(dossier: {code: $code}, toAgencyCode: $to,
                          toDepartment: $dept) { __typename } }""",
    ),
    "requestSupplement": (
        _command(
            ", $codes: [String!]!, $reason: String!",
            f"requestSupplement({REF}, componentCodes: $codes, reason: $reason)",
        ),
    ),
    "receiveSupplement": (
        _command(
            ", $documents: [DocumentInput!], $codes: [String!]",
            f"receiveSupplement({REF}, documents: $documents, componentCodes: $codes)",
        ),
    ),
    "requestPayment": (
        _command(
            ', $fees: [FeeInput!]!, $reason: String! = ""',
            f"requestPayment({REF}, fees: $fees, reason: $reason)",
        ),
        _command(
            "",
            f"requestPayment({REF}, fees: "
            '[{code: "LP", name: "Lệ phí", amount: 50000}])',
        ),
    ),
    "confirmPayment": (
        _command(
            ", $channel: PaymentChannel!, $receipt: String!",
            f"confirmPayment({REF}, channel: $channel, receipt: $receipt)",
        ),
    ),
    "reappointDossier": (
        _command(
            ", $due: DateTime!, $reason: String!",
            f"reappointDossier({REF}, dueAt: $due, reason: $reason)",
        ),
    ),
    "stopDossier": (
        _command(", $reason: String!", f"stopDossier({REF}, reason: $reason)"),
    ),
    "resolveDossier": (
        _command(
            ", $results: [ResultInput!]!, $decision: String!",
            f"resolveDossier({REF}, results: $results, decision: $decision)",
        ),
    ),
    "returnResult": (
        _command(", $method: ReturnMethod!", f"returnResult({REF}, method: $method)"),
        _command("", f"returnResult({REF}, method: DESK)"),
    ),
}
"""Each planned officer command, written as clients write it."""

FRESH = "@fresh"
"""A placeholder for a new document id, the same one sent to both apps."""


class Files:
    """What both apps hold in their shared data directory."""

    def __init__(self, pair: Pair) -> None:
        services = pair.services(pair.fast)
        self.scans = [store(services.onestop.files, f"scan {n}").sha256 for n in (1, 2)]
        self.result = store(services.onestop.files, "result").sha256


@pytest.fixture
def pair(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Pair]:
    with apps(postgres_server, tmp_path) as made:
        for client in (made.fast, made.reference):
            ensure_pki(made.services(client).onestop)
        yield made


def _moment(*, sensible: bool = False) -> st.SearchStrategy[Any]:
    now = datetime.now(UTC)
    times = st.sampled_from(
        [
            (now + timedelta(days=20)).isoformat(),
            (now + timedelta(days=3)).isoformat(),
            (now - timedelta(days=2)).isoformat(),
        ]
    )
    if sensible:
        return times
    odd = ["2026-13-01T00:00:00Z", "9999-12-31T24:00:00Z", "soon", 7, None]
    return st.one_of(times, st.sampled_from(odd))


def _document(files: Files) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"sha256": st.sampled_from([*files.scans, files.scans[0].upper(), "x"])},
        optional={
            "documentId": st.sampled_from([FRESH, FRESH, "not-a-uuid"]),
            "numberSymbol": st.sampled_from(["01/GKS", ""]),
            "issuedOn": st.sampled_from(["2025-01-02", "2025-02-30", None]),
            "validUntil": st.sampled_from(["2030-01-01", None]),
            "permanent": st.booleans(),
            "summary": texts(),
        },
    )


def _variables(files: Files, *, wrong: bool) -> st.SearchStrategy[dict[str, Any]]:
    code = st.integers(-3, 30).map(lambda i: f"{KNOWN_CODE}{i}")
    usual = st.fixed_dictionaries(
        {
            "p": st.sampled_from([FORWARDABLE, FORWARDABLE, "1.000001"]),
            "applicant": st.just(APPLICANT.id),
            "name": st.just(APPLICANT.name),
            "input": st.fixed_dictionaries(
                {
                    "procedureCode": st.just(FORWARDABLE),
                    "applicantId": st.just(APPLICANT.id),
                    "applicantName": st.just(APPLICANT.name),
                },
                optional={"channel": st.sampled_from(["DESK", "POST"])},
            ),
            "code": st.one_of(*[st.just(f"{KNOWN_CODE}-1")] * 4, code),
            "v": st.one_of(*[st.none()] * 6, st.integers(0, 8)),
            "reason": st.just("Thiếu giấy tờ"),
            "has": st.sampled_from([True, False, None]),
            "vneid": st.booleans(),
            "level": st.sampled_from([0, 1, 2]),
            "component": st.sampled_from(["TP1", "TP2", "TP1", "TP2", "TP3"]),
            "sha": st.sampled_from(files.scans),
            "docId": st.sampled_from([FRESH, None]),
            "issued": st.sampled_from(["2025-01-02", None]),
            "document": _document(files),
            "reuse": st.sampled_from(
                [str(uuid.UUID(int=n)) for n in (1, 2)] + ["not-a-uuid"]
            ),
            "result": st.just("KQ.H34.000001"),
            "to": st.sampled_from([JUSTICE, JUSTICE, PROVINCE]),
            "dept": st.sampled_from(["PHC", None]),
            "due": st.one_of(st.none(), _moment(sensible=True)),
            "codes": st.sampled_from([["TP2"], ["TP1", "TP2"]]),
            "documents": st.lists(_document(files), max_size=2),
            "fees": st.lists(
                st.fixed_dictionaries(
                    {
                        "code": st.just("LP"),
                        "name": st.just("Lệ phí"),
                        "amount": st.sampled_from([50000, "120000"]),
                    }
                ),
                min_size=1,
                max_size=2,
            ),
            "channel": st.sampled_from(["DESK", "ONLINE_NATIONAL"]),
            "receipt": st.just("BL-0001"),
            "results": st.just(
                [{"resultCode": "KQ.H34.900001", "sha256": files.result}]
            ),
            "decision": st.just("Đồng ý"),
            "note": st.sampled_from(["Chuyển xử lý", "", None]),
            "method": st.sampled_from(["DESK", "POST", "ELECTRONIC"]),
        }
    )
    wrong_values = st.fixed_dictionaries(
        {},
        optional={
            "code": st.one_of(
                st.sampled_from([UNKNOWN_CODE, "", "x" * 300]), st.none()
            ),
            "v": st.one_of(st.integers(-1, 9), st.sampled_from([2**40, "1", 1.0])),
            "reason": texts(),
            "has": st.just("yes"),
            "level": st.sampled_from([-1, 7, 2**33, 1.5, None]),
            "component": st.sampled_from(["", "TP9", "x y", None, 3]),
            "sha": st.sampled_from(["", "0" * 64, None]),
            "docId": st.sampled_from(["not-a-uuid", 5]),
            "issued": st.sampled_from(["2025-02-30", "yesterday", 20250102]),
            "document": st.one_of(
                st.just({}),
                st.just({"sha256": "x", "unknown": 1}),
                st.just("doc"),
                st.none(),
            ),
            "reuse": st.sampled_from(["", None, 7]),
            "to": st.sampled_from(["000.00.99.H34", "?", None]),
            "dept": st.sampled_from(["NOPE", "", 4]),
            "due": _moment(),
            "codes": st.one_of(
                st.lists(st.sampled_from(["TP1", "TP9", "", None]), max_size=3),
                st.just("TP2"),
                st.none(),
            ),
            "documents": st.one_of(st.just([{"sha256": 1}]), st.just({"x": 1})),
            "fees": st.one_of(
                st.just([]),
                st.just([{"code": "LP", "name": "Lệ phí", "amount": "1e30"}]),
                st.just([{"code": "LP", "name": "Lệ phí", "amount": -5}]),
                st.just([{"code": "LP", "name": "Lệ phí", "amount": True}]),
                st.just([{"code": "LP", "name": "Lệ phí"}]),
                st.just({"code": "LP", "name": "x", "amount": 1}),
            ),
            "channel": st.sampled_from(["CASH", "desk", None]),
            "results": st.one_of(
                st.just([]),
                st.just([{"resultCode": "KQ.X", "sha256": "0" * 64}]),
                st.just([{"resultCode": "KQ.H34.900001"}]),
            ),
            "decision": texts(),
            "note": st.one_of(st.none(), texts()),
            "method": st.sampled_from(["FAX", 1]),
        },
    )
    if not wrong:
        return usual
    return st.tuples(usual, st.one_of(st.just({}), wrong_values)).map(
        lambda both: {**both[0], **both[1]}
    )


LIFECYCLE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("checkDigitalAccount", {}),
    ("digitizeComponent", {"component": "TP1"}),
    ("signComponent", {"component": "TP1"}),
    ("digitizeComponent", {"component": "TP2"}),
    ("signComponent", {"component": "TP2"}),
    ("forwardDossier", {"to": JUSTICE, "dept": "PHC"}),
    ("requestPayment", {}),
    ("confirmPayment", {}),
    ("reappointDossier", {"due": (datetime.now(UTC) + timedelta(days=30)).isoformat()}),
    ("resolveDossier", {}),
    ("returnResult", {}),
)
"""A dossier's way from reception to its result: followed mostly, left now
and then for any other command, so later commands meet dossiers in the
states they are meant for as well as in others."""

LEADER_COMMANDS = frozenset({"resolveDossier", "stopDossier"})
SPECIALIST_COMMANDS = frozenset({"reappointDossier", "requestPayment"})


def _headers(pair: Pair, command: str | None) -> st.SearchStrategy[dict[str, str]]:
    tokens = pair.tokens
    fitting = (
        tokens.leader()
        if command in LEADER_COMMANDS
        else tokens.specialist()
        if command in SPECIALIST_COMMANDS
        else tokens.desk()
    )
    who = st.one_of(*[st.just(fitting)] * 5, tokens_of(tokens))
    return st.fixed_dictionaries(
        {"authorization": who},
        optional={"accept-language": st.sampled_from(["en", "vi", "en-US,en;q=0.9"])},
    )


def _step(
    pair: Pair, files: Files, scripted: tuple[str, dict[str, Any]]
) -> st.SearchStrategy[tuple[str, dict[str, Any], dict[str, str]]]:
    """One request: mostly the scripted command with sensible values, now
    and then any command with any values."""
    command, fixed = scripted
    sensible = st.tuples(
        st.sampled_from(COMMAND_DOCUMENTS[command]),
        _variables(files, wrong=False).map(lambda drawn: {**drawn, **fixed}),
        _headers(pair, command),
    )
    anything = st.sampled_from(sorted(COMMAND_DOCUMENTS)).flatmap(
        lambda other: st.tuples(
            st.sampled_from(COMMAND_DOCUMENTS[other]),
            _variables(files, wrong=True),
            _headers(pair, other),
        )
    )
    return st.one_of(sensible, sensible, sensible, anything)


def _fresh(value: Any, fresh: str) -> Any:
    if value == FRESH:
        return fresh
    if isinstance(value, dict):
        return {k: _fresh(v, fresh) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v, fresh) for v in value]
    return value


def _latest(value: Any, pair: Pair) -> Any:
    """``@code:-1``: the dossier received last, as both apps numbered it."""
    if value == f"{KNOWN_CODE}-1":
        return pair.codes[-1] if pair.codes else UNKNOWN_CODE
    return value


@pytest.mark.postgres
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_planned_mutations_answer_as_strawberry_does(
    pair: Pair, data: st.DataObject
) -> None:
    files = Files(pair)
    receive = (COMMAND_DOCUMENTS["receiveDossier"][0], {"p": FORWARDABLE}, None)
    for scripted in (None, *LIFECYCLE):
        document, drawn, headers = (
            receive if scripted is None else data.draw(_step(pair, files, scripted))
        )
        variables = {
            "applicant": APPLICANT.id,
            "name": APPLICANT.name,
            **{k: _latest(v, pair) for k, v in drawn.items()},
        }
        variables = _fresh(variables, str(uuid.uuid4()))
        body = {"query": document, "variables": variables}
        sent_headers = headers or {"authorization": pair.tokens.desk()}
        sent_headers = {**sent_headers, "x-request-id": uuid.uuid4().hex}
        before = pair.position(pair.fast), pair.position(pair.reference)
        assert before[0] == before[1]
        planned = _planned(pair)
        fast = post(pair.fast, sent(body, 0, pair), sent_headers)
        reference = post(pair.reference, sent(body, 1, pair), sent_headers)
        same_answer(pair, fast, reference)
        same_bytes(fast, reference)
        wrote = written(pair, pair.fast, before[0])
        assert wrote == written(pair, pair.reference, before[1])
        if fast.status_code == 200 and "errors" not in fast.json():
            assert _planned(pair) == planned + 1  # the plan answered it
        if fast.status_code == 200:
            received = (fast.json().get("data") or {}).get("receiveDossier") or {}
            if received.get("code") and received["code"] not in pair.codes:
                pair.codes.append(received["code"])


def _planned(pair: Pair) -> float:
    registry = pair.services(pair.fast).metrics.registry
    found = registry.get_sample_value(
        "motcua_graphql_requests_total", {"path": "planned"}
    )
    return found or 0.0


def test_every_officer_command_has_a_planned_document() -> None:
    """The documents above take the plan, and they cover every command the
    plan runs."""
    caches = DocumentCaches.create(100, 10**7)
    schema = build_schema(None, caches)
    fast = FastQueries(
        MotcuaGraphQLRouter(schema),
        schema,
        caches,
        max_cost=100,
        max_plans=100,
        max_plan_bytes=10**7,
    )
    assert set(COMMAND_DOCUMENTS) == set(COMMANDS)
    for name, documents in COMMAND_DOCUMENTS.items():
        for document in documents:
            plan = fast._plan(document, None)
            assert plan.planned is not None, document
            assert plan.planned.command is COMMANDS[name]


def test_each_resolver_hands_its_arguments_to_its_command() -> None:
    """A resolver and its command take the same arguments (names, types,
    defaults): the plan calls the command with what strawberry would give
    the resolver."""
    schema = build_schema()
    mutation = schema.get_type_by_name("Mutation")
    assert isinstance(mutation, StrawberryObjectDefinition)
    converter = schema.config.name_converter
    fields = {converter.get_graphql_name(f): f for f in mutation.fields}
    for name, command in COMMANDS.items():
        resolver = fields[name].base_resolver
        assert resolver is not None
        wrapped = resolver.wrapped_func
        assert callable(wrapped)
        taken = list(inspect.signature(wrapped).parameters.values())
        given = list(inspect.signature(command).parameters.values())
        assert [p.name for p in taken[:2]] == ["self", "info"]
        assert [(p.name, p.default, p.annotation) for p in taken[2:]] == [
            (p.name, p.default, p.annotation) for p in given[1:]
        ], name
    assert {name for name in fields if name in COMMANDS} == set(COMMANDS)
