"""The review's domain defects over GraphQL: typed refusals, nothing written.

Messages in one language and clipped, supplements that bring what was asked,
a forward to the holder, a Saturday re-appointment, invisible characters in
names, and a 13-digit enterprise code that is one owner however it is spelt.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import OUTCOME, Api, document, receive_paper
from tests.api.test_graphql_flow import MY_DOSSIERS, REQUEST_SUPPLEMENT, command
from tests.api.test_graphql_values import REAPPOINT, in_progress, refused, send
from tests.factories import JUSTICE, VN

FORWARD_TO = f"""
mutation F($code: String!, $to: String!, $department: String) {{
  forwardDossier(dossier: {{code: $code}}, toAgencyCode: $to,
                 toDepartment: $department) {{ {OUTCOME} }}
}}"""
SUPPLEMENT = f"""
mutation U($code: String!, $documents: [SubmittedDocument!]!) {{
  submitSupplement(dossier: {{code: $code}}, documents: $documents) {{ {OUTCOME} }}
}}"""
DESK_SUPPLEMENT = f"""
mutation U($code: String!, $codes: [String!], $documents: [DocumentInput!]) {{
  receiveSupplement(dossier: {{code: $code}}, componentCodes: $codes,
                    documents: $documents) {{ {OUTCOME} }}
}}"""
RECEIVE_AS = """
mutation K($id: String!, $name: String!, $kind: ApplicantKind!) {
  receiveDossier(input: {procedureCode: "1.001193", applicantId: $id,
      applicantName: $name, applicantKind: $kind}) {
    __typename ... on DossierReceived { code }
    ... on InvalidInput { errorCode message field }
  }
}
"""
ENGLISH_DETAIL = ("must", "later", "items", "the ", "requested", "held")


def awaiting_supplement(api: Api, items: str = "TP2") -> str:
    code = in_progress(api)
    query = REQUEST_SUPPLEMENT.replace('["TP2"]', f'["{items}"]')
    command(api, query, api.tokens.specialist(), code=code)
    return code


def uploads(*codes: str) -> list[dict[str, Any]]:
    return [{"componentCode": c, "document": document(c)} for c in codes]


class TestSupplements:
    @pytest.mark.parametrize("brought", [(), ("TP1",), ("TP1", "TP2")])
    def test_a_citizen_supplement_without_exactly_the_request_is_refused(
        self, api: Api, brought: tuple[str, ...]
    ) -> None:
        code = awaiting_supplement(api)
        result = refused(
            api,
            SUPPLEMENT,
            {"code": code, "documents": uploads(*brought)},
            api.tokens.citizen(),
        )
        assert result["errorCode"] == "INVALID_SUPPLEMENT"
        assert not any(word in result["message"] for word in ENGLISH_DETAIL)
        english = refused(
            api,
            SUPPLEMENT,
            {"code": code, "documents": uploads(*brought)},
            api.tokens.citizen(),
            language="en",
        )
        assert "supplement" in english["message"]

    def test_the_requested_document_restarts_the_clock(self, api: Api) -> None:
        code = awaiting_supplement(api)
        command(
            api,
            SUPPLEMENT,
            api.tokens.citizen(),
            code=code,
            documents=[
                {
                    "componentCode": "TP2",
                    "document": document("TP2", api, api.tokens.citizen()),
                }
            ],
        )

    def test_the_desk_brings_only_requested_items(self, api: Api) -> None:
        code = awaiting_supplement(api)
        result = refused(
            api,
            DESK_SUPPLEMENT,
            {"code": code, "codes": ["TP1"], "documents": [document("TP1")]},
            api.tokens.desk(),
        )
        assert result["errorCode"] == "INVALID_SUPPLEMENT"
        command(api, DESK_SUPPLEMENT, api.tokens.desk(), code=code)


def test_a_forward_to_the_holder_is_a_typed_refusal(api: Api) -> None:
    code = in_progress(api)  # forwarded to JUSTICE / PHC
    result = refused(
        api,
        FORWARD_TO,
        {"code": code, "to": JUSTICE, "department": "PHC"},
        api.tokens.specialist(),
    )
    assert result["errorCode"] == "ALREADY_HELD"
    assert JUSTICE in result["message"]


def _non_working(due: datetime, kind: str) -> str:
    """An instant after ``due`` that is no working time (Kon Tum calendar)."""
    day = due.date() + timedelta(days=1)
    while day.weekday() != 5:  # the Saturday after the due date
        day += timedelta(days=1)
    saturday = datetime.combine(day, datetime.min.time(), due.tzinfo)
    moments = {
        "saturday": saturday.replace(hour=10),
        "sunday": saturday.replace(hour=9) + timedelta(days=1),
        "lunch": saturday.replace(hour=12, minute=15) + timedelta(days=2),
        "night": saturday.replace(hour=22) + timedelta(days=2),
    }
    return moments[kind].isoformat()


@pytest.mark.parametrize("kind", ["saturday", "sunday", "lunch", "night"])
def test_a_reappointment_to_a_non_working_instant_is_refused(
    api: Api, kind: str
) -> None:
    code = in_progress(api)
    due = api.services.onestop.find_dossier(code).due_at
    assert due is not None
    due_at = _non_working(due.astimezone(VN), kind)
    for language, words in (("vi", "giờ làm việc"), ("en", "working hours")):
        result = refused(
            api,
            REAPPOINT,
            {"code": code, "dueAt": due_at},
            api.tokens.leader(),
            language,
        )
        assert result["errorCode"] == "REAPPOINTMENT_REFUSED"
        assert words in result["message"]


@pytest.mark.parametrize("char", ["\u202e", "\u2028", "\u200b", "\ufeff", "\u2066"])
def test_an_applicant_name_with_invisible_characters_is_refused(
    api: Api, char: str
) -> None:
    result = refused(
        api,
        RECEIVE_AS,
        {"id": "062000000001", "name": f"Nguyễn{char}An", "kind": "CITIZEN"},
        api.tokens.desk(),
    )
    assert result["field"] == "applicantName"


@pytest.mark.parametrize("applicant_id", ["000123456789", "097123456789"])
def test_a_personal_id_without_a_province_code_is_refused(
    api: Api, applicant_id: str
) -> None:
    result = refused(
        api,
        RECEIVE_AS,
        {"id": applicant_id, "name": "Nguyễn An", "kind": "CITIZEN"},
        api.tokens.desk(),
    )
    assert result["field"] == "applicantId"


def test_a_huge_agency_code_is_not_echoed(api: Api) -> None:
    code = receive_paper(api)["code"]
    hostile = "000.00.00.H34\x00" + "9" * 500_000
    for language in ("vi", "en"):
        result = refused(
            api,
            FORWARD_TO,
            {"code": code, "to": hostile, "department": None},
            api.tokens.desk(),
            language,
        )
        assert result["errorCode"] == "INVALID_AGENCY_CODE"
        assert len(result["message"]) < 200
        assert "\x00" not in result["message"]


@pytest.mark.parametrize(
    ("stored_as", "subject"),
    [
        ("0101234567001", "0101234567-001"),
        ("0101234567-001", "0101234567001"),
        ("0101234567001", "0101234567001"),
    ],
)
def test_an_enterprise_owns_its_dossiers_under_either_spelling(
    api: Api, stored_as: str, subject: str
) -> None:
    received = send(
        api,
        RECEIVE_AS,
        {"id": stored_as, "name": "Chi nhánh Công ty An", "kind": "ENTERPRISE"},
        token=api.tokens.desk(),
        language="vi",
    )["receiveDossier"]
    assert received["__typename"] == "DossierReceived", received
    api.settle()
    mine = api.data(MY_DOSSIERS, token=api.tokens.citizen(subject))["myDossiers"]
    assert [d["code"] for d in mine] == [received["code"]]
    dossier = api.services.onestop.find_dossier(received["code"])
    assert dossier.applicant.id == "0101234567-001"
    other = api.data(MY_DOSSIERS, token=api.tokens.citizen("0101234567002"))
    assert other["myDossiers"] == []


FORWARD_PLANNED = f"""
mutation F($code: String!, $planned: DateTime!) {{
  forwardDossier(dossier: {{code: $code}}, toAgencyCode: "{JUSTICE}",
                 plannedDueAt: $planned) {{
    __typename ... on InvalidInput {{ errorCode message field }}
  }}
}}"""


@pytest.mark.parametrize(
    "planned", ["2026-12-10T10:00:00", "9999-12-10T10:00:00+07:00"], ids=repr
)
def test_a_planned_step_deadline_is_checked_at_the_edge(api: Api, planned: str) -> None:
    code = receive_paper(api)["code"]
    result = refused(
        api, FORWARD_PLANNED, {"code": code, "planned": planned}, api.tokens.desk()
    )
    assert (result["errorCode"], result["field"]) == ("INVALID_VALUE", "plannedDueAt")


REF_BOTH = f"""
mutation S($code: String!, $id: ID!) {{
  stopDossier(dossier: {{code: $code, dossierId: $id}}, reason: "Dừng") {{ {OUTCOME} }}
}}"""


def test_a_code_and_an_id_of_two_dossiers_name_none(api: Api) -> None:
    first = receive_paper(api)
    second = receive_paper(api)
    before = api.log_position()
    data = send(
        api,
        REF_BOTH,
        {"code": first["code"], "id": second["dossierId"]},
        token=api.tokens.leader(),
        language="vi",
    )
    assert data["stopDossier"]["__typename"] == "DossierNotFound"
    assert api.log_position() == before


RECEIVE_PARTIAL = """
mutation K($name: String) {
  receiveDossier(input: {procedureCode: "1.001193", applicantId: "062000000001",
                         applicantName: $name}) {
    __typename ... on InvalidInput { errorCode message field }
  }
}
"""


def test_a_reception_names_only_what_is_missing(api: Api) -> None:
    result = refused(api, RECEIVE_PARTIAL, {"name": ""}, api.tokens.desk())
    assert result["message"].endswith("applicantName")
    assert "procedureCode" not in result["message"]
