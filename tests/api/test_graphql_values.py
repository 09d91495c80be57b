"""GraphQL inputs convert through the domain bounds: typed refusals, nothing written.

The issue's examples over HTTP (in-process app; the served, generated suite is
``test_hostile_values_served.py``): poison fee amounts, a 3,000,000,000 VND fee
the citizen must see, a far-future or naive re-appointment, applicant kinds,
and the citizen's authentication recorded in the event.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from api.auth import AccessLevel
from domain.dossier_events import SubmittedOnline
from domain.values import Authentication
from tests.api.conftest import OUTCOME, Api, document, receive_paper
from tests.api.test_graphql_flow import DIGITIZE, FORWARD, SIGN, command
from tests.factories import BIRTH, JUSTICE

REQUEST_PAYMENT = """
mutation P($code: String!, $fees: [FeeInput!]!) {
  requestPayment(dossier: {code: $code}, fees: $fees, reason: "Lệ phí") {
    __typename
    ... on DossierUpdated { logPosition }
    ... on InvalidInput { errorCode message field }
  }
}
"""
CITIZEN_FEES = """
query F($code: String!, $after: Int) {
  dossier(code: $code, after: $after) { fees { total lines { code amount } } }
}
"""
REAPPOINT = """
mutation R($code: String!, $dueAt: DateTime!) {
  reappointDossier(dossier: {code: $code}, dueAt: $dueAt, reason: "Quá tải") {
    __typename ... on InvalidInput { errorCode message field }
    ... on DossierUpdated { logPosition }
  }
}
"""
RECEIVE_KIND = """
mutation K($id: String!, $kind: ApplicantKind!, $summary: String!) {
  receiveDossier(input: {procedureCode: "1.001193", applicantId: $id,
      applicantName: "Người nộp", applicantKind: $kind, summary: $summary}) {
    __typename ... on DossierReceived { code dossierId }
    ... on InvalidInput { errorCode message field }
  }
}
"""
STOP = f"""
mutation S($code: String!, $reason: String!) {{
  stopDossier(dossier: {{code: $code}}, reason: $reason) {{ {OUTCOME} }}
}}"""


def in_progress(api: Api) -> str:
    code: str = receive_paper(api)["code"]
    for component in ("TP1", "TP2"):
        command(
            api,
            DIGITIZE,
            api.tokens.desk(),
            code=code,
            component=component,
            doc=document(component, api),
        )
        command(api, SIGN, api.tokens.desk(), code=code, component=component)
    command(api, FORWARD, api.tokens.desk(), code=code, to=JUSTICE)
    return code


def send(
    api: Api, query: str, variables: dict[str, Any], *, token: str, language: str
) -> dict[str, Any]:
    """Sent as ASCII JSON, so lone surrogates travel as ``\\ud800`` escapes."""
    response = api.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Accept-Language": language,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def refused(
    api: Api, query: str, variables: dict[str, Any], token: str, language: str = "vi"
) -> dict[str, Any]:
    before = api.log_position()
    data = send(api, query, variables, token=token, language=language)
    (result,) = data.values()
    assert result["__typename"] == "InvalidInput", result
    assert api.log_position() == before
    return dict(result)


def has_lone_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def post_raw(api: Api, query: str, variables: dict[str, Any], token: str | None) -> Any:
    """Escaped ASCII JSON, so lone surrogates travel as ``\\udXXX``."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return api.client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers=headers,
    )


class TestMoney:
    @pytest.mark.parametrize(
        "amount",
        [
            "1e999999999",
            "1e30",
            "3e9",
            "NaN",
            "Infinity",
            "-5",
            "1.5",
            " 12",
            "١٢",
            "0",
            "1000000000001",
            1.5,
            -5,
            0,
            10**13,
            2**63,
        ],
        ids=repr,
    )
    def test_poison_amounts_are_typed_refusals(self, api: Api, amount: Any) -> None:
        code = in_progress(api)
        result = refused(
            api,
            REQUEST_PAYMENT,
            {
                "code": code,
                "fees": [{"code": "LP1", "name": "Lệ phí", "amount": amount}],
            },
            api.tokens.specialist(),
        )
        assert result["errorCode"] == "INVALID_VALUE"
        assert result["field"] == "fees.amount"

    def test_a_fee_of_three_billion_reaches_the_citizen_intact(self, api: Api) -> None:
        code = in_progress(api)
        data = api.data(
            REQUEST_PAYMENT,
            {
                "code": code,
                "fees": [
                    {"code": "LP1", "name": "Lệ phí", "amount": 3_000_000_000},
                    {"code": "LP2", "name": "Phí", "amount": "2000000000"},
                ],
            },
            token=api.tokens.specialist(),
        )["requestPayment"]
        assert data["__typename"] == "DossierUpdated", data
        fees = api.data(
            CITIZEN_FEES,
            {"code": code, "after": data["logPosition"]},
            token=api.tokens.citizen(),
        )["dossier"]["fees"]
        assert fees == [
            {
                "total": 5_000_000_000,
                "lines": [
                    {"code": "LP1", "amount": 3_000_000_000},
                    {"code": "LP2", "amount": 2_000_000_000},
                ],
            }
        ]

    def test_a_list_of_fees_is_bounded(self, api: Api) -> None:
        code = in_progress(api)
        fees = [{"code": f"LP{i}", "name": "Lệ phí", "amount": 1000} for i in range(51)]
        result = refused(
            api,
            REQUEST_PAYMENT,
            {"code": code, "fees": fees},
            api.tokens.specialist(),
            language="en",
        )
        assert result["field"] == "fees"
        assert "at most 50" in result["message"]


class TestInstants:
    @pytest.mark.parametrize(
        "due_at",
        ["9999-12-31T23:59:59-12:00", "2026-03-20T10:00:00", "1970-01-01T00:00:00Z"],
    )
    def test_a_far_or_naive_due_time_is_refused(self, api: Api, due_at: str) -> None:
        code = in_progress(api)
        result = refused(
            api, REAPPOINT, {"code": code, "dueAt": due_at}, api.tokens.specialist()
        )
        assert result["field"] == "dueAt"


class TestText:
    @pytest.mark.parametrize(
        "reason",
        ["lý do\ud800", "lý do\x00", "x" * 2001, "\u202e" + "x" * 5000],
        ids=lambda r: repr(r)[:20],
    )
    def test_bad_reasons_are_refused(self, api: Api, reason: str) -> None:
        code = in_progress(api)
        if has_lone_surrogate(reason):
            # Strict JSON at the edge: the body is refused before any resolver.
            before = api.log_position()
            response = post_raw(
                api, STOP, {"code": code, "reason": reason}, api.tokens.leader()
            )
            assert response.status_code == 400
            assert response.json()["errors"][0]["extensions"]["code"] == (
                "MALFORMED_BODY"
            )
            assert api.log_position() == before
            return
        result = refused(
            api, STOP, {"code": code, "reason": reason}, api.tokens.leader()
        )
        assert result["errorCode"] == "INVALID_VALUE"

    def test_a_summary_over_its_bound_is_refused(self, api: Api) -> None:
        result = refused(
            api,
            RECEIVE_KIND,
            {"id": "062000000001", "kind": "CITIZEN", "summary": "x" * 4001},
            api.tokens.desk(),
        )
        assert result["field"] == "summary"


class TestApplicants:
    @pytest.mark.parametrize(
        ("kind", "applicant_id"),
        [
            ("IDENTITY_CARD", "231234567"),
            ("PASSPORT", "C1234567"),
            ("ENTERPRISE", "0101234567-001"),
            ("COOPERATIVE", "6101234567"),
            ("ORGANISATION", "1012345"),
        ],
    )
    def test_each_kind_is_received_and_its_owner_may_log_in(
        self, api: Api, kind: str, applicant_id: str
    ) -> None:
        received = api.data(
            RECEIVE_KIND,
            {"id": applicant_id, "kind": kind, "summary": ""},
            token=api.tokens.desk(),
        )["receiveDossier"]
        assert received["__typename"] == "DossierReceived", received
        api.settle()
        owner = api.tokens.issuer.issue(
            AccessLevel.CITIZEN, subject=applicant_id, eid_level=1
        )
        mine = api.data("{ myDossiers { code } }", token=owner)["myDossiers"]
        assert mine == [{"code": received["code"]}]

    @pytest.mark.parametrize(
        ("kind", "applicant_id"),
        [
            ("CITIZEN", "231234567"),
            ("IDENTITY_CARD", "062000000001"),
            ("PASSPORT", "c12"),
        ],
    )
    def test_an_identifier_of_another_kind_is_refused(
        self, api: Api, kind: str, applicant_id: str
    ) -> None:
        result = refused(
            api,
            RECEIVE_KIND,
            {"id": applicant_id, "kind": kind, "summary": ""},
            api.tokens.desk(),
        )
        assert result["field"] == "applicantId"


def test_a_citizen_submission_records_issuer_and_eid_level(api: Api) -> None:
    submitted = api.data(
        """
        mutation N($d1: DocumentInput!, $d2: DocumentInput!) {
          submitDossier(input: {procedureCode: "1.001193", applicantName: "An",
            documents: [{componentCode: "TP1", document: $d1},
                        {componentCode: "TP2", document: $d2}]}) {
            __typename ... on DossierSubmitted { dossierId }
          }
        }""",
        {
            "d1": document("TP1", api, api.tokens.citizen()),
            "d2": document("TP2", api, api.tokens.citizen()),
        },
        token=api.tokens.citizen(),
    )["submitDossier"]
    assert submitted["__typename"] == "DossierSubmitted", submitted
    onestop = api.services.onestop
    (event,) = onestop.events.get(UUID(submitted["dossierId"]))
    assert isinstance(event, SubmittedOnline)
    assert event.trace.actor.authentication == Authentication("motcua", 2)
    assert event.procedure.code == BIRTH


class TestTypeLevelJunk:
    """Values that are not even of the GraphQL type: a clean GraphQL error, never
    the masked "unexpected error", whether sent as variables or as literals."""

    @pytest.mark.parametrize(
        "query",
        [
            'mutation {{ reappointDossier(dossier: {{code: "{code}"}}, '
            'dueAt: "9999-12-31T24:00:00Z", reason: "x") {{ __typename }} }}',
            'mutation {{ requestPayment(dossier: {{code: "{code}"}}, '
            'fees: [{{code: "LP1", name: "x", amount: [1]}}]) {{ __typename }} }}',
            'mutation {{ requestPayment(dossier: {{code: "{code}"}}, '
            'fees: [{{code: "LP1", name: "x", amount: true}}]) {{ __typename }} }}',
        ],
    )
    def test_literals(self, api: Api, query: str) -> None:
        code = receive_paper(api)["code"]
        before = api.log_position()
        body = api.gql(query.format(code=code), token=api.tokens.leader())
        assert body["errors"]
        assert "unexpected" not in str(body["errors"]).lower()
        assert api.log_position() == before

    def test_variables(self, api: Api) -> None:
        code = receive_paper(api)["code"]
        before = api.log_position()
        for variables in (
            {"code": code, "dueAt": "9999-12-31T24:00:00Z"},
            {"code": code, "dueAt": 12},
        ):
            body = api.gql(REAPPOINT, variables, token=api.tokens.leader())
            assert body["errors"]
            assert "unexpected" not in str(body["errors"]).lower()
        assert api.log_position() == before


LOOKUPS = [
    ("query Q($c: String!) { dossierStatus(code: $c) { code } }", None),
    ("query Q($c: String!) { dossier(code: $c) { code } }", "citizen"),
    ("query Q($c: String!) { officerDossier(code: $c) { code } }", "desk"),
    ("query Q($c: String!) { procedures(search: $c) { code } }", None),
    ("query Q($c: String!) { worklist(department: $c) { code } }", "desk"),
]


@pytest.mark.parametrize(("query", "who"), LOOKUPS)
@pytest.mark.parametrize(
    "value", ["\ud800", "000.00.00.H34-\udfff", "x\x00y", "a" * 100_000], ids=repr
)
def test_lookups_by_hostile_text_find_nothing_without_an_error(
    stack_api: Api, query: str, who: str | None, value: str
) -> None:
    api = stack_api
    token = getattr(api.tokens, who)() if who else None
    response = post_raw(api, query, {"c": value}, token)
    if has_lone_surrogate(value):
        assert response.status_code == 400, response.text
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "MALFORMED_BODY"
        return
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    (found,) = body["data"].values()
    assert found in (None, [])
