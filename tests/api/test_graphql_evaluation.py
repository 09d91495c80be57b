"""enterEvaluationIndices: a unit's TT 01/2018 indices over GraphQL, then in the
unit's evaluation of the period (indicators { evaluation })."""

from __future__ import annotations

from domain.values import Role
from tests.api.conftest import Api
from tests.factories import JUSTICE

ENTER = """
mutation E($agency: String!, $scores: [EvaluationScoreInput!]!, $appraised: Boolean! = false) {
  enterEvaluationIndices(agencyCode: $agency, from: "2026-03-01", to: "2026-03-31",
                         scores: $scores, appraised: $appraised) {
    __typename
    ... on EvaluationRecorded { scores { index score } }
    ... on InvalidInput { errorCode message field }
    ... on NotAllowed { message }
  }
}
"""
EVALUATION = """
query { indicators(agencyCode: "000.00.12.H34", from: "2026-03-01", to: "2026-03-31") {
  evaluation { maximum indices { index score } } } }
"""
FIVE = [{"index": i, "score": s} for i, s in ((2, 1), (5, 2), (6, 2), (8, 1), (9, 0))]


def test_a_unit_enters_its_indices_and_they_count(api: Api) -> None:
    leader = api.tokens.officer(Role.LEADER, JUSTICE)
    before = api.log_position()
    refused = api.data(
        ENTER, {"agency": JUSTICE, "scores": [{"index": 3, "score": 1}]}, token=leader
    )["enterEvaluationIndices"]
    assert refused["__typename"] == "InvalidInput"
    assert refused["errorCode"] == "EVALUATION_INDEX_INVALID"
    english = api.gql(
        ENTER,
        {"agency": JUSTICE, "scores": [{"index": 2, "score": 7}]},
        token=leader,
        language="en",
    )["data"]["enterEvaluationIndices"]
    assert english["message"] == "The score of index 2 must be 0, 1 or 2, not 7"
    twice = api.data(
        ENTER,
        {"agency": JUSTICE, "scores": [FIVE[0], FIVE[0]]},
        token=leader,
    )["enterEvaluationIndices"]
    assert twice["__typename"] == "InvalidInput"
    citizen = api.data(
        ENTER, {"agency": JUSTICE, "scores": FIVE}, token=api.tokens.citizen()
    )["enterEvaluationIndices"]
    assert citizen["__typename"] == "NotAllowed"
    assert api.log_position() == before  # nothing written

    done = api.data(ENTER, {"agency": JUSTICE, "scores": FIVE}, token=leader)
    assert done["enterEvaluationIndices"]["scores"] == FIVE
    api.settle()
    evaluation = api.data(EVALUATION, token=api.tokens.monitor())["indicators"][
        "evaluation"
    ]
    assert evaluation["maximum"] == 18
    shown = {i["index"]: i["score"] for i in evaluation["indices"]}
    assert {i: shown[i] for i in (2, 5, 6, 8, 9)} == {2: 1, 5: 2, 6: 2, 8: 1, 9: 0}
