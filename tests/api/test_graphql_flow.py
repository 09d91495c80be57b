"""The whole one-stop flow over HTTP, reading our own writes after every command."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import (
    OFFICER_DOSSIER,
    OUTCOME,
    STATUS,
    Api,
    document,
    eventually,
    receive_paper,
    result_file,
)
from tests.factories import APPLICANT, BIRTH, JUSTICE

MY_DOSSIERS = """
query Mine($after: Int) {
  myDossiers(after: $after) { code status nationalStatusCode statusLabel dueAt
    results { resultCode numberSymbol } supplements { componentCodes receivedAt } }
}
"""
MY_DOSSIER = """
query Mine($code: String!, $after: Int) {
  dossier(code: $code, after: $after) { code status statusLabel
    steps { description agencyCode } results { resultCode } }
}
"""
DIGITIZE = f"""
mutation D($code: String!, $component: String!, $doc: DocumentInput!) {{
  digitizeComponent(dossier: {{code: $code}}, componentCode: $component,
                    document: $doc) {{ {OUTCOME} }}
}}"""
SIGN = f"""
mutation S($code: String!, $component: String!) {{
  signComponent(dossier: {{code: $code}}, componentCode: $component) {{ {OUTCOME} }}
}}"""
FORWARD = f"""
mutation F($code: String!, $to: String!) {{
  forwardDossier(dossier: {{code: $code}}, toAgencyCode: $to, toDepartment: "PHC")
  {{ {OUTCOME} }}
}}"""
REQUEST_SUPPLEMENT = f"""
mutation R($code: String!) {{
  requestSupplement(dossier: {{code: $code}}, componentCodes: ["TP2"],
                    reason: "Giấy chứng sinh bị mờ") {{ {OUTCOME} }}
}}"""
SUBMIT_SUPPLEMENT = f"""
mutation U($code: String!, $doc: DocumentInput!) {{
  submitSupplement(dossier: {{code: $code}},
                   documents: [{{componentCode: "TP2", document: $doc}}]) {{ {OUTCOME} }}
}}"""
RESOLVE = f"""
mutation V($code: String!, $sha: String!) {{
  resolveDossier(dossier: {{code: $code}}, decision: "Cấp giấy khai sinh",
    results: [{{resultCode: "KQ.H34.000001", sha256: $sha,
               numberSymbol: "123/GKS"}}]) {{ {OUTCOME} }}
}}"""
RETURN = f"""
mutation T($code: String!) {{ returnResult(dossier: {{code: $code}}, method: DESK)
  {{ {OUTCOME} }} }}"""
RATE = f"""
mutation Q($code: String!) {{
  rateDossier(dossier: {{code: $code}}, satisfaction: VERY_SATISFIED) {{ {OUTCOME} }}
}}"""
SUBMIT_ONLINE = """
mutation N($procedure: String!, $doc1: DocumentInput!, $doc2: DocumentInput!) {
  submitDossier(input: {procedureCode: $procedure, applicantName: "Nguyễn Văn An",
    documents: [{componentCode: "TP1", document: $doc1},
                {componentCode: "TP2", document: $doc2}]}) {
    __typename ... on DossierSubmitted { dossierId logPosition }
    ... on InvalidInput { errorCode message } ... on NotAllowed { message }
  }
}
"""
RECEIVE_ONLINE = """
mutation A($id: ID!) {
  receiveDossier(input: {dossierId: $id}) {
    __typename ... on DossierReceived { code logPosition dueAt }
    ... on DossierNotFound { message } ... on NotAllowed { message }
  }
}
"""


def command(api: Api, mutation: str, token: str, **variables: Any) -> int:
    """Run one command on ``variables["code"]``; it must succeed, and the officer
    view read with ``after: logPosition`` must already show exactly one more event."""
    before = officer_view(api, variables["code"], 0)["version"]
    data = api.data(mutation, variables, token=token)
    (result,) = data.values()
    assert result["__typename"] == "DossierUpdated", result
    position: int = result["logPosition"]
    assert position > 0
    assert officer_view(api, variables["code"], position)["version"] == before + 1
    return position


def officer_view(api: Api, code: str, after: int) -> dict[str, Any]:
    dossier: dict[str, Any] = api.data(
        OFFICER_DOSSIER, {"code": code, "after": after}, token=api.tokens.desk()
    )["officerDossier"]
    return dossier


def public_completion(api: Api, code: str) -> str:
    status = api.data(STATUS, {"code": code})["dossierStatus"]
    return str(status["completion"])


class TestPaperDossierFlow:
    def test_a_paper_dossier_goes_from_reception_to_rating_over_http(
        self, stack_api: Api
    ) -> None:
        api, tokens = stack_api, stack_api.tokens
        received = receive_paper(api)
        code = received["code"]
        assert code.startswith("000.00.00.H34-")
        assert officer_view(api, code, received["logPosition"])["status"] == "RECEIVED"
        eventually(lambda: public_completion(api, code), "RECEIVED")

        for component in ("TP1", "TP2"):
            command(
                api,
                DIGITIZE,
                tokens.desk(),
                code=code,
                component=component,
                doc=document(component, api),
            )
            position = command(api, SIGN, tokens.desk(), code=code, component=component)
        assert officer_view(api, code, position)["version"] == 5

        position = command(api, FORWARD, tokens.desk(), code=code, to=JUSTICE)
        assert officer_view(api, code, position)["status"] == "IN_PROGRESS"
        eventually(lambda: public_completion(api, code), "IN_PROGRESS")

        position = command(api, REQUEST_SUPPLEMENT, tokens.specialist(), code=code)
        mine = api.data(MY_DOSSIERS, {"after": position}, token=tokens.citizen())
        (dossier,) = mine["myDossiers"]
        assert dossier["status"] == "AWAITING_SUPPLEMENT"
        assert dossier["supplements"] == [
            {"componentCodes": ["TP2"], "receivedAt": None}
        ]
        eventually(lambda: public_completion(api, code), "WAITING_FOR_APPLICANT")

        position = command(
            api,
            SUBMIT_SUPPLEMENT,
            tokens.citizen(),
            code=code,
            doc=document("TP2-again", api, tokens.citizen()),
        )
        mine = api.data(
            MY_DOSSIER, {"code": code, "after": position}, token=tokens.citizen()
        )
        assert mine["dossier"]["status"] == "IN_PROGRESS"
        eventually(lambda: public_completion(api, code), "IN_PROGRESS")

        position = command(
            api, RESOLVE, tokens.leader(), code=code, sha=result_file(api)
        )
        assert officer_view(api, code, position)["status"] == "RESOLVED"
        mine = api.data(
            MY_DOSSIER, {"code": code, "after": position}, token=tokens.citizen()
        )
        assert mine["dossier"]["results"] == []  # hidden until returned
        eventually(lambda: public_completion(api, code), "RESULT_READY")

        position = command(api, RETURN, tokens.desk(), code=code)
        mine = api.data(
            MY_DOSSIER, {"code": code, "after": position}, token=tokens.citizen()
        )
        assert mine["dossier"]["status"] == "RETURNED"
        assert mine["dossier"]["results"] == [{"resultCode": "KQ.H34.000001"}]
        eventually(lambda: public_completion(api, code), "RETURNED")

        position = command(api, RATE, tokens.citizen(), code=code)
        final = officer_view(api, code, position)
        assert final["status"] == "RETURNED"
        assert final["version"] == 11
        mine = api.data(MY_DOSSIERS, {"after": position}, token=tokens.citizen())
        assert [d["nationalStatusCode"] for d in mine["myDossiers"]] == [10]
        assert public_completion(api, code) == "RETURNED"

    def test_labels_are_vietnamese_by_default_and_english_on_request(
        self, api: Api
    ) -> None:
        code = receive_paper(api)["code"]
        vi = api.data(STATUS, {"code": code})["dossierStatus"]
        en = api.data(STATUS, {"code": code}, language="en")["dossierStatus"]
        assert (vi["label"], en["label"]) == ("Đã tiếp nhận", "Received")
        view = api.data(
            OFFICER_DOSSIER, {"code": code}, token=api.tokens.desk(), language="en-US"
        )["officerDossier"]
        assert view["statusLabel"] == "Received"
        assert officer_view(api, code, 0)["statusLabel"] == "Được tiếp nhận"


class TestOnlineSubmission:
    def test_a_citizen_submits_online_and_the_desk_receives_it_by_id(
        self, stack_api: Api
    ) -> None:
        api, tokens = stack_api, stack_api.tokens
        submitted = api.data(
            SUBMIT_ONLINE,
            {
                "procedure": BIRTH,
                "doc1": document("TP1", api, api.tokens.citizen()),
                "doc2": document("TP2", api, api.tokens.citizen()),
            },
            token=tokens.citizen(),
        )["submitDossier"]
        assert submitted["__typename"] == "DossierSubmitted", submitted
        mine = api.data(
            MY_DOSSIERS, {"after": submitted["logPosition"]}, token=tokens.citizen()
        )["myDossiers"]
        assert [(d["code"], d["status"]) for d in mine] == [(None, "SUBMITTED")]

        received = api.data(
            RECEIVE_ONLINE, {"id": submitted["dossierId"]}, token=tokens.desk()
        )["receiveDossier"]
        assert received["__typename"] == "DossierReceived", received
        code = received["code"]
        mine = api.data(
            MY_DOSSIER,
            {"code": code, "after": received["logPosition"]},
            token=tokens.citizen(),
        )["dossier"]
        assert mine["status"] == "RECEIVED"
        assert officer_view(api, code, received["logPosition"])["status"] == "RECEIVED"
        eventually(lambda: public_completion(api, code), "RECEIVED")
        assert APPLICANT.id not in str(api.data(STATUS, {"code": code}))
