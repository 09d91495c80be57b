"""evaluateDossier (R-32) over GraphQL: the applicant online on their own
dossier only, a desk officer entering the paper form, typed bilingual refusals
that write nothing, and the answers in the unit's figures and drill-down."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium

from domain.values import Role
from tests.api.conftest import Api, MakeApi, receive_paper
from tests.factories import JUSTICE, PROVINCE

EVALUATE = """
mutation E($code: String!, $scores: [CitizenScoreInput!]!,
           $satisfaction: Satisfaction, $convenience: Satisfaction) {
  evaluateDossier(dossier: {code: $code}, scores: $scores,
                  satisfaction: $satisfaction, convenience: $convenience) {
    __typename
    ... on DossierEvaluated { code channel scores { index score } satisfaction
                              convenience logPosition }
    ... on InvalidInput { errorCode message field }
    ... on NotAllowed { message }
    ... on DossierNotFound { message }
  }
}
"""
FIGURES = """
query F($agency: String!, $day: Date!) {
  indicators(agencyCode: $agency, from: $day, to: $day) {
    evaluation { dossiers total indices { index score }
      citizens { evaluations online paper
        indices { index answers average }
        satisfaction { question verySatisfied satisfied dissatisfied } } } }
}
"""
DRILL = """
query D($agency: String!, $day: Date!, $index: Int) {
  citizenEvaluationDossiers(agencyCode: $agency, from: $day, to: $day, index: $index) {
    code channel competentAgency scores { index score } satisfaction
  }
}
"""


def today() -> str:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


def evaluate(api: Api, token: str, language: str = "vi", **given: Any) -> Any:
    return api.gql(EVALUATE, given, token=token, language=language)["data"][
        "evaluateDossier"
    ]


def test_own_dossier_only_and_nothing_written_on_refusal(api: Api) -> None:
    code = receive_paper(api)["code"]
    before = api.log_position()
    other = evaluate(
        api, api.tokens.other_citizen(), code=code, scores=[{"index": 1, "score": 2}]
    )
    assert other["__typename"] == "DossierNotFound"
    outsider = evaluate(
        api, api.tokens.outsider(), code=code, scores=[{"index": 1, "score": 2}]
    )
    assert outsider["__typename"] == "DossierNotFound"
    specialist = evaluate(
        api,
        api.tokens.officer(Role.SPECIALIST, PROVINCE),
        code=code,
        scores=[{"index": 1, "score": 2}],
    )
    assert specialist["__typename"] == "NotAllowed"
    monitor = evaluate(
        api, api.tokens.monitor(), code=code, scores=[{"index": 1, "score": 2}]
    )
    assert monitor["__typename"] == "NotAllowed"
    for scores, error in (
        ([{"index": 2, "score": 1}], "CITIZEN_EVALUATION_INDEX_INVALID"),
        ([{"index": 7, "score": 3}], "CITIZEN_EVALUATION_SCORE_INVALID"),
        ([{"index": 3, "score": -1}], "CITIZEN_EVALUATION_SCORE_INVALID"),
        ([], "CITIZEN_EVALUATION_EMPTY"),
        ([{"index": 1, "score": 1}] * 2, "CITIZEN_EVALUATION_INDEX_INVALID"),
    ):
        refused = evaluate(api, api.tokens.citizen(), code=code, scores=scores)
        assert refused["__typename"] == "InvalidInput", scores
        assert refused["errorCode"] == error
    english = evaluate(
        api,
        api.tokens.citizen(),
        language="en",
        code=code,
        scores=[{"index": 9, "score": 1}],
    )
    assert english["message"] == (
        "Index 9 is not one a citizen evaluates (only 1, 3, 4, 6, 7)"
    )
    vietnamese = evaluate(
        api, api.tokens.citizen(), code=code, scores=[{"index": 9, "score": 1}]
    )
    assert vietnamese["message"].startswith("Chỉ số 9 không do người dân đánh giá")
    assert api.log_position() == before


def test_online_then_paper_and_the_figures(api: Api) -> None:
    first = receive_paper(api)["code"]
    second = receive_paper(api)["code"]
    online = evaluate(
        api,
        api.tokens.citizen(),
        code=first,
        scores=[{"index": 3, "score": 2}, {"index": 7, "score": 1}],
        satisfaction="VERY_SATISFIED",
    )
    assert online["__typename"] == "DossierEvaluated"
    assert online["channel"] == "ONLINE"
    assert online["scores"] == [{"index": 3, "score": 2}, {"index": 7, "score": 1}]
    assert online["logPosition"] == api.log_position()
    paper = evaluate(
        api,
        api.tokens.desk(),
        code=second,
        scores=[{"index": 1, "score": 0}, {"index": 7, "score": 0}],
        satisfaction="DISSATISFIED",
        convenience="SATISFIED",
    )
    assert paper["channel"] == "PAPER"
    assert paper["convenience"] == "SATISFIED"
    api.settle()
    day = today()
    figures = api.data(
        FIGURES, {"agency": JUSTICE, "day": day}, token=api.tokens.monitor()
    )["indicators"]["evaluation"]
    assert figures["dossiers"] == 2
    citizens = figures["citizens"]
    assert (citizens["evaluations"], citizens["online"], citizens["paper"]) == (
        2,
        1,
        1,
    )
    by_index = {i["index"]: i for i in citizens["indices"]}
    assert by_index[7] == {"index": 7, "answers": 2, "average": 0.5}
    assert by_index[1] == {"index": 1, "answers": 1, "average": 0.0}
    assert by_index[4] == {"index": 4, "answers": 0, "average": None}
    overall = citizens["satisfaction"][0]
    assert (overall["verySatisfied"], overall["satisfied"]) == (1, 0)
    assert overall["dissatisfied"] == 1
    # Beside, not inside: the system-computed indices are the citizens'-free ones.
    assert sorted(i["index"] for i in figures["indices"]) == [1, 3, 4, 7]

    listed = api.data(
        DRILL, {"agency": JUSTICE, "day": day}, token=api.tokens.monitor()
    )["citizenEvaluationDossiers"]
    assert sorted(r["code"] for r in listed) == sorted([first, second])
    low = api.data(
        DRILL, {"agency": JUSTICE, "day": day, "index": 1}, token=api.tokens.monitor()
    )["citizenEvaluationDossiers"]
    assert [r["code"] for r in low] == [second]
    assert low[0]["channel"] == "PAPER"
    assert low[0]["satisfaction"] == "DISSATISFIED"
    assert "applicant" not in str(listed).lower()


def test_the_downloaded_receipt_carries_the_form_of_the_configured_portal(
    make_api: MakeApi,
) -> None:
    portal = "https://dichvucong.example.gov.vn/danh-gia"
    api = make_api(options={"EVALUATION_FORM_URL": portal})
    code = receive_paper(api)["code"]
    response = api.client.get(
        f"/api/dossiers/{code}/slips/receipt",
        headers={"Authorization": f"Bearer {api.tokens.citizen()}"},
    )
    assert response.status_code == 200, response.text
    opened = pdfium.PdfDocument(response.content)
    try:
        last = " ".join(opened[len(opened) - 1].get_textpage().get_text_range().split())
    finally:
        opened.close()
    assert "PHIẾU ĐÁNH GIÁ VIỆC GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in last
    assert f"{portal}?ma={code}" in last
    # What the portal then submits for the citizen:
    done = evaluate(
        api, api.tokens.citizen(), code=code, scores=[{"index": 6, "score": 2}]
    )
    assert done["__typename"] == "DossierEvaluated"
