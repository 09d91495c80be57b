"""Field exposure by access level (design §4): each level reaches only its types."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import AccessLevel
from tests.api.conftest import STATUS, Api, receive_paper
from tests.factories import APPLICANT, JUSTICE, desk, document, trace

LEVELS = ("anonymous", "citizen", "officer", "monitor", "reviewer")
EVERYONE = frozenset(LEVELS)
CITIZEN = frozenset({"citizen"})
STAFF = frozenset({"officer", "reviewer"})
REVIEWER = frozenset({"reviewer"})
ACTORS = frozenset({"citizen", "officer"})  # the others get NotAllowed
MONITORING = frozenset(
    {"monitor", "officer", "reviewer"}
)  # aggregates, no personal data

ROOT_ACCESS: dict[str, frozenset[str]] = {
    "Query.dossierStatus": EVERYONE,
    "Query.procedures": EVERYONE,
    "Query.myDossiers": CITIZEN,
    "Query.dossier": CITIZEN,
    "Query.worklist": STAFF,
    "Query.officerDossier": STAFF,
    "Query.myDocuments": CITIZEN,
    "Query.warehouseDocuments": frozenset({"officer"}),
    "Query.dossierHistory": REVIEWER,
    "Subscription.dossierStatusChanged": EVERYONE,
    "Subscription.apologyDue": frozenset({"officer"}),
    "Query.indicators": MONITORING,
    "Query.indicatorDossiers": MONITORING,
    "Query.indicatorChanges": MONITORING,
    "Query.indicatorUnits": MONITORING,
    "Query.citizenEvaluationDossiers": MONITORING,
    "Subscription.indicatorsChanged": MONITORING,
    "Query.myComplaints": CITIZEN,
}
"""Who may use each root field; every mutation is for citizens and officers."""

CATALOGUE = {
    "Procedure",
    "ProcedureComponent",
    "ProcedureResult",
    "ProcedureFee",
    "TimeLimit",
}
OUTCOMES = {
    "DossierUpdated",
    "DossierReceived",
    "DossierSubmitted",
    "DossierNotFound",
    "NotAllowed",
    "IllegalTransition",
    "VersionConflict",
    "InvalidInput",
}
TYPE_LEVELS: dict[str, frozenset[str]] = {
    "PublicDossierStatus": EVERYONE,
    **dict.fromkeys(CATALOGUE, EVERYONE),
    **dict.fromkeys(
        (
            "CitizenDossier",
            "DossierStep",
            "SupplementRequest",
            "FeeRequest",
            "FeeLine",
            "ResultDocument",
            "DossierAccess",  # who opened my dossier (design §4)
        ),
        CITIZEN,
    ),
    **dict.fromkeys(
        (
            "DossierHistory",
            "DueDerivation",
            "HistoryDocument",
            "HistoryPause",
            "HistoryReappointment",
            "HistoryStep",
        ),
        REVIEWER,
    ),
    "OfficerDossier": STAFF,
    "TimelineItem": STAFF,
    "ControlSheetLine": STAFF,
    "CrossBoundary": STAFF,
    "WarehouseDocument": ACTORS,  # the owner's own, and the desk's lookup
    "DocumentValidated": ACTORS,
    **dict.fromkeys(OUTCOMES, ACTORS),
    **dict.fromkeys(
        (
            "IndicatorReport",
            "IndicatorScorecard",
            "IndicatorGroup",
            "IndicatorFigure",
            "DigitizationFigures",
            "EvaluationIndex",
            "UnitEvaluationFigures",
            "IndicatorDossier",
            "IndicatorChanges",
            "IndicatorBucket",
            "IndicatorUnit",
            "CitizensAssessment",
            "CitizenIndexFigure",
            "SatisfactionCounts",
            "EvaluatedDossier",
        ),
        MONITORING,
    ),
    "MyComplaint": CITIZEN,
    "EvaluationRecorded": ACTORS,
    "EvaluationScoreEntry": ACTORS,
    "DossierEvaluated": ACTORS,
    "CitizenScore": ACTORS | MONITORING,
    "ComplaintRecorded": ACTORS,
    "ComplaintNotFound": ACTORS,
}
"""Every object type of the schema, and the levels that can reach it."""

PUBLIC_FIELDS = {"code", "completion", "label"}
CITIZEN_FIELDS = {
    "dossierId",
    "code",
    "procedureCode",
    "procedureName",
    "status",
    "nationalStatusCode",
    "statusLabel",
    "agencyCode",
    "agencyName",
    "department",
    "submittedAt",
    "receivedAt",
    "dueAt",
    "finishedAt",
    "returnedAt",
    "steps",
    "supplements",
    "fees",
    "results",
    "openedBy",
}
PERSONAL = {"applicantId", "applicantName", "actorId", "actorAgency", "actorDepartment"}

TYPES = """
{ __schema { types { name kind
    fields { name type { name kind ofType { name kind ofType { name kind
      ofType { name kind } } } } }
    possibleTypes { name } } } }
"""
FIELDS_OF = "query F($name: String!) { __type(name: $name) { fields { name } } }"

QUERIES = {
    "dossierStatus": "query Q($code: String!) { dossierStatus(code: $code) { code } }",
    "procedures": '{ procedures(search: "khai sinh") { code } }',
    "myDossiers": "{ myDossiers { code } }",
    "dossier": "query Q($code: String!) { dossier(code: $code) { code } }",
    "worklist": "{ worklist { code } }",
    "officerDossier": "query Q($code: String!) { officerDossier(code: $code) { code } }",
    "myDocuments": "{ myDocuments { documentId } }",
    "warehouseDocuments": '{ warehouseDocuments(ownerId: "%s") { documentId } }'.replace(
        "%s", APPLICANT.id
    ),
}


def named(ref: dict[str, Any]) -> str:
    while ref.get("ofType"):
        ref = ref["ofType"]
    return str(ref["name"])


def reachable_types(api: Api) -> dict[str, set[str]]:
    """Object type -> the levels whose root fields lead to it."""
    types = {t["name"]: t for t in api.data(TYPES)["__schema"]["types"]}

    def walk(name: str, seen: set[str]) -> None:
        kind = types[name]["kind"]
        if name in seen or name.startswith("__") or kind not in ("OBJECT", "UNION"):
            return
        if kind == "OBJECT":
            seen.add(name)
        for member in types[name]["possibleTypes"] or []:
            walk(member["name"], seen)
        for field in types[name]["fields"] or []:
            walk(named(field["type"]), seen)

    levels: dict[str, set[str]] = {}
    for root in ("Query", "Mutation", "Subscription"):
        for field in types[root]["fields"]:
            access = ROOT_ACCESS.get(f"{root}.{field['name']}", ACTORS)
            seen: set[str] = set()
            walk(named(field["type"]), seen)
            for name in seen:
                levels.setdefault(name, set()).update(access)
    return levels


def fields_of(api: Api, name: str) -> set[str]:
    found = api.data(FIELDS_OF, {"name": name})["__type"]
    return {f["name"] for f in found["fields"]}


class TestExposureMatrix:
    def test_every_object_type_is_reachable_by_exactly_its_levels(
        self, api: Api
    ) -> None:
        observed = {
            name: frozenset(levels) for name, levels in reachable_types(api).items()
        }
        unclassified = sorted(set(observed) - set(TYPE_LEVELS))
        assert not unclassified, (
            f"classify the new types in TYPE_LEVELS: {unclassified}"
        )
        assert observed == TYPE_LEVELS

    def test_each_level_type_has_exactly_its_fields(self, api: Api) -> None:
        assert fields_of(api, "PublicDossierStatus") == PUBLIC_FIELDS
        assert fields_of(api, "CitizenDossier") == CITIZEN_FIELDS
        assert {"applicantId", "applicantName", "timeline"} <= fields_of(
            api, "OfficerDossier"
        )

    def test_personal_fields_are_reachable_only_by_staff(self, api: Api) -> None:
        for name, levels in reachable_types(api).items():
            if fields_of(api, name) & PERSONAL:
                assert levels <= STAFF, name
        anonymous = {
            n for n, levels in reachable_types(api).items() if "anonymous" in levels
        }
        assert anonymous == {"PublicDossierStatus"} | CATALOGUE

    def test_each_level_gets_exactly_the_root_fields_it_may_use(self, api: Api) -> None:
        code = receive_paper(api)["code"]
        onestop = api.services.onestop
        onestop.digitize_component(
            onestop.dossier_id_for(code),
            trace=trace(desk()),
            component_code="TP1",
            document=document("TP1", onestop),
        )
        api.settle()
        tokens = {
            "anonymous": None,
            "citizen": api.tokens.citizen(),
            "officer": api.tokens.desk(),
            "monitor": api.tokens.monitor(),
            "reviewer": api.tokens.reviewer(),
        }
        observed: dict[tuple[str, str], str] = {}
        for level, token in tokens.items():
            for field, query in QUERIES.items():
                variables = {"code": code} if "$code" in query else {}
                body = api.gql(query, variables, token=token)
                if "errors" in body:
                    assert body["data"] is None or body["data"][field] is None, body
                    observed[level, field] = body["errors"][0]["extensions"]["code"]
                else:
                    assert body["data"][field], (level, field, body)
                    observed[level, field] = "ok"
        expected = {
            (level, field): "ok"
            if level in ROOT_ACCESS[f"Query.{field}"]
            else ("UNAUTHENTICATED" if level == "anonymous" else "FORBIDDEN")
            for level in LEVELS
            for field in QUERIES
        }
        assert observed == expected

    def test_an_anonymous_token_is_treated_exactly_as_no_token(self, api: Api) -> None:
        token = api.tokens.issuer.issue(AccessLevel.ANONYMOUS)
        for field in ("myDossiers", "worklist"):
            with_token = api.gql(QUERIES[field], token=token)
            without = api.gql(QUERIES[field])
            assert with_token == without
            assert with_token["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    @pytest.mark.parametrize("level", ["anonymous", "monitor", "reviewer"])
    def test_levels_without_commands_get_not_allowed_and_nothing_is_written(
        self, api: Api, level: str
    ) -> None:
        code = receive_paper(api)["code"]
        token = {
            "anonymous": None,
            "monitor": api.tokens.monitor(),
            "reviewer": api.tokens.reviewer(),
        }[level]
        before = api.log_position()
        forward = api.data(
            "mutation M($code: String!, $to: String!) { forwardDossier("
            "dossier: {code: $code}, toAgencyCode: $to) { __typename } }",
            {"code": code, "to": JUSTICE},
            token=token,
        )
        assert forward == {"forwardDossier": {"__typename": "NotAllowed"}}
        assert api.log_position() == before


class TestAnonymousLookup:
    def test_the_answer_holds_the_code_and_completion_and_nothing_else(
        self, api: Api
    ) -> None:
        code = receive_paper(api)["code"]
        response = api.post(STATUS, {"code": code})
        assert response.json() == {
            "data": {
                "dossierStatus": {
                    "code": code,
                    "completion": "RECEIVED",
                    "label": "Đã tiếp nhận",
                }
            }
        }
        for secret in (APPLICANT.id, APPLICANT.name, "desk-1", JUSTICE, "TTPVHCC"):
            assert secret not in response.text

    def test_asking_for_applicant_fields_is_refused_without_data(
        self, api: Api
    ) -> None:
        code = receive_paper(api)["code"]
        body = api.gql(
            "query S($code: String!) { dossierStatus(code: $code) { code applicantName } }",
            {"code": code},
        )
        assert body.get("data") is None
        assert "applicantName" in body["errors"][0]["message"]
        assert APPLICANT.name not in str(body)
