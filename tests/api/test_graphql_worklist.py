from __future__ import annotations

from domain.dossier_values import Holder
from domain.values import Role
from tests.api.conftest import Api
from tests.factories import JUSTICE, at, desk, digitize_and_sign, receive, trace

WORKLIST = """
query W($department: String, $overdue: Boolean!, $status: DossierStatus) {
  worklist(agencyCode: "000.00.12.H34", department: $department, overdue: $overdue,
           status: $status) { code holderDepartment status dueAt }
}
"""


def forwarded(api: Api, department: str, day: int) -> str:
    onestop = api.services.onestop
    reception = receive(onestop, when=at(day, 8))
    digitize_and_sign(onestop, reception.dossier_id, at(day, 8))
    onestop.forward_dossier(
        reception.dossier_id,
        trace=trace(desk(), at(day, 9)),
        to=Holder(JUSTICE, department),
    )
    return reception.code


class TestWorklist:
    def test_filters_by_department_and_overdue(self, api: Api) -> None:
        first = forwarded(api, "PHC", 0)
        second = forwarded(api, "PHT", 1)
        api.settle()
        token = api.tokens.officer(Role.SPECIALIST, agency=JUSTICE)
        everything = api.data(WORKLIST, {"overdue": False}, token=token)["worklist"]
        assert {w["code"] for w in everything} == {first, second}
        only_phc = api.data(
            WORKLIST, {"overdue": True, "department": "PHC"}, token=token
        )
        assert [w["code"] for w in only_phc["worklist"]] == [first]
        waiting = api.data(
            WORKLIST, {"overdue": False, "status": "AWAITING_SUPPLEMENT"}, token=token
        )
        assert waiting["worklist"] == []
