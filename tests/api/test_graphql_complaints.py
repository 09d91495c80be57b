"""Complaints over GraphQL: the author's own view (R-54), officers' answers, and
what group 5 of the indicators makes of them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.values import Role
from tests.api.conftest import Api
from tests.factories import JUSTICE

SUBMIT = """
mutation S($agency: String!, $subject: String!, $content: String!) {
  submitComplaint(agencyCode: $agency, subject: $subject, content: $content) {
    __typename
    ... on ComplaintRecorded { complaintId version }
    ... on InvalidInput { errorCode message }
    ... on NotAllowed { message }
  }
}
"""
MINE = "{ myComplaints { complaintId subject status statusLabel satisfied } }"
ANSWER = """
mutation A($id: ID!) {
  answerComplaint(complaintId: $id, answer: "Đã chuyển xử lý, trả kết quả") {
    __typename ... on ComplaintRecorded { version } ... on ComplaintNotFound { message }
    ... on NotAllowed { message }
  }
}
"""
RATE = """
mutation R($id: ID!) {
  rateComplaint(complaintId: $id, satisfied: false) {
    __typename ... on ComplaintRecorded { version } ... on ComplaintNotFound { message }
  }
}
"""
GROUP_FIVE = """
query G($from: Date!, $to: Date!) {
  indicators(agencyCode: "000.00.00.H34", from: $from, to: $to) {
    total { indicators { code numerator denominator } }
  }
}
"""
VARIABLES = {"agency": JUSTICE, "subject": "Chậm trả kết quả", "content": "Quá hạn"}


class TestComplaints:
    def test_author_follows_and_rates_an_answered_complaint(self, api: Api) -> None:
        citizen = api.tokens.citizen()
        sent = api.data(SUBMIT, VARIABLES, token=citizen)["submitComplaint"]
        assert sent["__typename"] == "ComplaintRecorded"
        complaint_id = sent["complaintId"]

        outsider = api.tokens.outsider()
        refused = api.data(ANSWER, {"id": complaint_id}, token=outsider)
        assert refused["answerComplaint"]["__typename"] == "ComplaintNotFound"
        specialist = api.tokens.officer(Role.SPECIALIST, agency=JUSTICE)
        answered = api.data(ANSWER, {"id": complaint_id}, token=specialist)
        assert answered["answerComplaint"]["__typename"] == "ComplaintRecorded"

        other = api.data(RATE, {"id": complaint_id}, token=api.tokens.other_citizen())
        assert other["rateComplaint"]["__typename"] == "ComplaintNotFound"
        rated = api.data(RATE, {"id": complaint_id}, token=citizen)
        assert rated["rateComplaint"]["__typename"] == "ComplaintRecorded"
        api.settle()

        mine = api.data(MINE, token=citizen)["myComplaints"]
        assert [(m["complaintId"], m["status"], m["satisfied"]) for m in mine] == [
            (complaint_id, "answered", False)
        ]
        assert api.data(MINE, token=api.tokens.other_citizen())["myComplaints"] == []
        assert api.gql(MINE, token=api.tokens.monitor())["errors"]

        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
        figures = {
            f["code"]: f
            for f in api.data(
                GROUP_FIVE, {"from": today, "to": today}, token=api.tokens.monitor()
            )["indicators"]["total"]["indicators"]
        }
        assert (figures["5.2"]["numerator"], figures["5.2"]["denominator"]) == (1, 1)
        assert (figures["5.3"]["numerator"], figures["5.3"]["denominator"]) == (0, 1)

    def test_bad_input_is_refused_and_writes_nothing(self, api: Api) -> None:
        citizen = api.tokens.citizen()
        before = api.log_position()
        for bad in (
            {**VARIABLES, "agency": "H34"},
            {**VARIABLES, "subject": " "},
            {**VARIABLES, "content": "x" * 10_000},
            {**VARIABLES, "subject": "a\u202eb"},
        ):
            for language in ("vi", "en"):
                body = api.data(SUBMIT, bad, token=citizen, language=language)
                assert body["submitComplaint"]["__typename"] == "InvalidInput", bad
        officer = api.data(SUBMIT, VARIABLES, token=api.tokens.desk())
        assert officer["submitComplaint"]["__typename"] == "NotAllowed"
        assert api.log_position() == before
