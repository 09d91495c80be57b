"""Issue 6 items 7, 8, 13, 14 over GraphQL: registered units, the control sheet,
the apology duty, the legal due instant as stored and as shown."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.deadline import TimeLimit, TimeUnit
from domain.dossier_values import Holder
from domain.values import Role
from tests.api.conftest import (
    OUTCOME,
    RECEIVE,
    Api,
    document,
    receive,
    receive_paper,
    result_file,
)
from tests.api.test_graphql_flow import DIGITIZE, RESOLVE, SIGN
from tests.factories import (
    ADMIN,
    APPLICANT,
    BIRTH,
    CRIMINAL_RECORD,
    JUSTICE,
    PROVINCE,
    birth_registration,
    desk,
    digitize_and_sign,
    leader,
    specialist,
    trace,
)

VN_OFFSET = "+07:00"
FORWARD = f"""
mutation F($code: String!, $to: String!, $department: String, $planned: DateTime) {{
  forwardDossier(dossier: {{code: $code}}, toAgencyCode: $to,
                 toDepartment: $department, plannedDueAt: $planned) {{ {OUTCOME} }}
}}"""
REAPPOINT = f"""
mutation A($code: String!, $due: DateTime!) {{
  reappointDossier(dossier: {{code: $code}}, dueAt: $due,
                   reason: "Cần xác minh thêm") {{ {OUTCOME} }}
}}"""
SHEET = """
query O($code: String!) {
  officerDossier(code: $code) {
    code dueAt dueAtShown timeliness needsApology reappointed lateWithoutApology
    controlSheet { step from to fromAgency fromDepartment fromOfficer toAgency
      toDepartment toOfficer handedOverAt plannedDueAt completedAt timeliness
      nationalStatusCode statusLabel }
  }
}"""
WORKLIST = """
query W($agency: String!, $needsApology: Boolean) {
  worklist(agencyCode: $agency, needsApology: $needsApology) {
    code needsApology reappointed dueAt
  }
}"""
APOLOGY_DUE = """
subscription S($agency: String) {
  apologyDue(agencyCode: $agency, intervalSeconds: 1) { code needsApology dueAt }
}"""


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sheet(api: Api, code: str, token: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = api.data(
        SHEET, {"code": code}, token=token or api.tokens.desk()
    )["officerDossier"]
    return view


def digitize_and_sign_over_http(api: Api, code: str) -> None:
    for component in ("TP1", "TP2"):
        done = api.data(
            DIGITIZE,
            {"code": code, "component": component, "doc": document(component, api)},
            token=api.tokens.desk(),
        )["digitizeComponent"]
        assert done["__typename"] == "DossierUpdated", done
        signed = api.data(
            SIGN,
            {"code": code, "component": component},
            token=api.tokens.desk(),
        )["signComponent"]
        assert signed["__typename"] == "DossierUpdated", signed


def forward(
    api: Api,
    code: str,
    to: str,
    department: str | None,
    token: str,
    planned: str | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = api.data(
        FORWARD,
        {"code": code, "to": to, "department": department, "planned": planned},
        token=token,
    )["forwardDossier"]
    return result


class TestOnlyRegisteredUnits:
    @pytest.mark.parametrize("unit", ["000.00.88.H34", "000.03.30.H34"])
    def test_a_desk_of_an_unregistered_unit_gets_no_code(
        self, api: Api, unit: str
    ) -> None:
        before = api.log_position()
        token = api.tokens.officer(Role.DESK, unit, "desk-x")
        result = api.data(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            token=token,
        )["receiveDossier"]
        assert result["__typename"] == "NotAllowed"
        assert unit in result["message"]
        assert "danh mục" in result["message"]
        english = api.gql(
            RECEIVE,
            {"procedure": BIRTH, "applicantId": APPLICANT.id, "name": APPLICANT.name},
            token=token,
            language="en",
        )["data"]["receiveDossier"]
        assert "catalogue" in english["message"]
        assert api.log_position() == before

    @pytest.mark.parametrize(
        ("to", "department", "error"),
        [
            ("000.00.00.H35", None, "CROSS_PROVINCE_FORWARD"),
            ("000.99.99.H99", None, "CROSS_PROVINCE_FORWARD"),
            ("000.00.12.H35", "PHC", "CROSS_PROVINCE_FORWARD"),
            ("000.00.77.H34", None, "UNREGISTERED_AGENCY"),
            ("000.05.30.H34", "PHC", "UNREGISTERED_AGENCY"),
        ],
    )
    def test_a_forward_outside_the_province_catalogue_is_refused(
        self, api: Api, to: str, department: str | None, error: str
    ) -> None:
        code = receive_paper(api)["code"]
        digitize_and_sign_over_http(api, code)
        before = api.log_position()
        result = forward(api, code, to, department, api.tokens.desk())
        assert result["__typename"] == "InvalidInput", result
        assert result["errorCode"] == error
        assert to in result["message"]
        assert api.log_position() == before
        api.settle()
        assert sheet(api, code)["controlSheet"][-1]["toAgency"] == PROVINCE


class TestControlSheet:
    def test_every_hand_over_of_a_multi_hop_flow_is_a_line(
        self, stack_api: Api
    ) -> None:
        api, tokens = stack_api, stack_api.tokens
        received = receive_paper(api)
        code, due = received["code"], received["dueAt"]
        digitize_and_sign_over_http(api, code)
        planned = (moment(due) - timedelta(minutes=30)).isoformat()
        assert forward(api, code, JUSTICE, "PHC", tokens.desk(), planned)[
            "__typename"
        ] == ("DossierUpdated")
        assert forward(api, code, JUSTICE, "PHT", tokens.specialist())[
            "__typename"
        ] == ("DossierUpdated")
        resolved = api.data(
            RESOLVE, {"code": code, "sha": result_file(api)}, token=tokens.leader()
        )["resolveDossier"]
        assert resolved["__typename"] == "DossierUpdated", resolved
        api.settle()

        lines = sheet(api, code)["controlSheet"]
        assert [line["step"] for line in lines] == [1, 2, 3]
        reception, to_phc, to_pht = lines
        assert reception["fromAgency"] is None
        assert reception["from"] == "Người nộp hồ sơ"
        assert (reception["toAgency"], reception["toOfficer"]) == (PROVINCE, "desk-1")
        assert reception["plannedDueAt"] == due
        assert reception["nationalStatusCode"] == 2
        assert (to_phc["fromAgency"], to_phc["fromOfficer"]) == (PROVINCE, "desk-1")
        assert (to_phc["toAgency"], to_phc["toDepartment"]) == (JUSTICE, "PHC")
        assert to_phc["to"] == f"{JUSTICE} / PHC"
        assert moment(to_phc["plannedDueAt"]) == moment(planned)
        assert to_phc["nationalStatusCode"] == 4
        assert (to_pht["fromAgency"], to_pht["fromDepartment"]) == (JUSTICE, "PHC")
        assert to_pht["fromOfficer"] == "spec-1"
        assert to_pht["plannedDueAt"] == due  # no plan given: the dossier's due
        assert to_pht["nationalStatusCode"] == 9
        assert to_pht["statusLabel"]
        # Each step ends when the next one begins; the last with the resolution.
        for before, after in itertools.pairwise(lines):
            assert before["completedAt"] == after["handedOverAt"]
        assert to_pht["completedAt"] is not None
        # Finished within minutes of a three-day limit: early at every step.
        assert [line["timeliness"] for line in lines] == ["early"] * 3

    def test_a_step_finished_after_its_planned_time_is_late(self, api: Api) -> None:
        onestop = api.services.onestop
        start = datetime.now().astimezone() - timedelta(days=20)
        reception = onestop.receive_dossier(
            trace=trace(desk(), start), applicant=APPLICANT, procedure_code=BIRTH
        )
        digitize_and_sign(onestop, reception.dossier_id, start)
        onestop.forward_dossier(
            reception.dossier_id,
            trace=trace(desk(), start + timedelta(minutes=5)),
            to=Holder(JUSTICE, "PHC"),
            planned_due_at=start + timedelta(hours=2),
        )
        api.settle()
        open_step = sheet(api, reception.code)["controlSheet"][-1]
        assert open_step["completedAt"] is None
        assert open_step["timeliness"] is None
        resolved = api.data(
            RESOLVE,
            {"code": reception.code, "sha": result_file(api)},
            token=api.tokens.leader(),
        )["resolveDossier"]
        assert resolved["__typename"] == "DossierUpdated"
        api.settle()
        view = sheet(api, reception.code)
        assert [line["timeliness"] for line in view["controlSheet"]] == [
            "early",
            "late",
        ]
        assert view["timeliness"] == "late"

    def test_a_step_planned_on_the_due_time_follows_a_pause(self, api: Api) -> None:
        onestop = api.services.onestop
        start = datetime.fromisoformat(f"2026-03-09T08:00:00{VN_OFFSET}")  # Monday
        reception = onestop.receive_dossier(
            trace=trace(desk(), start), applicant=APPLICANT, procedure_code=BIRTH
        )
        dossier_id = reception.dossier_id
        first_due = onestop.get_dossier(dossier_id).due_at
        digitize_and_sign(onestop, dossier_id, start)
        onestop.forward_dossier(
            dossier_id, trace=trace(desk(), start), to=Holder(JUSTICE, "PHC")
        )
        onestop.request_supplement(
            dossier_id,
            trace=trace(specialist(), start + timedelta(hours=1)),
            items=("TP2",),
            reason="Thiếu",
        )
        onestop.receive_supplement(
            dossier_id, trace=trace(desk(), start + timedelta(days=1))
        )
        new_due = onestop.get_dossier(dossier_id).due_at
        assert first_due is not None
        assert new_due is not None
        assert new_due > first_due
        planned = start + timedelta(days=1, hours=2)
        onestop.forward_dossier(
            dossier_id,
            trace=trace(specialist(), start + timedelta(days=1, minutes=10)),
            to=Holder(JUSTICE, "PHT"),
            planned_due_at=planned,
        )
        api.settle()
        reception_line, paused_line, planned_line = sheet(api, reception.code)[
            "controlSheet"
        ]
        # A finished step keeps its plan; the open one planned on the due time
        # followed the pause; the officer's own plan is the officer's.
        assert moment(reception_line["plannedDueAt"]) == first_due
        assert moment(paused_line["plannedDueAt"]) == new_due
        assert moment(planned_line["plannedDueAt"]) == planned
        assert planned_line["completedAt"] is None

    def test_a_plan_after_the_dossier_due_time_is_refused(self, api: Api) -> None:
        received = receive_paper(api)
        code = received["code"]
        digitize_and_sign_over_http(api, code)
        before = api.log_position()
        late = (moment(received["dueAt"]) + timedelta(days=3)).isoformat()
        result = forward(api, code, JUSTICE, "PHC", api.tokens.desk(), late)
        assert result["__typename"] == "InvalidInput"
        assert result["errorCode"] == "INVALID_PLANNED_DUE"
        assert api.log_position() == before


def short_birth_registration(api: Api, hours: int = 4) -> None:
    """Birth registration revised to ``hours`` working hours: due within a day."""
    limit = TimeLimit(TimeUnit.WORKING_HOURS, Decimal(hours))
    api.services.onestop.revise_procedure(
        trace=trace(ADMIN), definition=birth_registration(limit)
    )


def receive_over_http(api: Api, procedure: str) -> dict[str, Any]:
    result: dict[str, Any] = api.data(
        RECEIVE,
        {"procedure": procedure, "applicantId": APPLICANT.id, "name": APPLICANT.name},
        token=api.tokens.desk(),
    )["receiveDossier"]
    assert result["__typename"] == "DossierReceived", result
    return result


class TestApologyDuty:
    def test_dossiers_due_within_two_working_days_are_flagged_until_an_apology(
        self, stack_api: Api
    ) -> None:
        # Flagged one working day before the apology cut-off (itself one
        # working day before the due time), so the unit can still comply.
        api = stack_api
        far = receive_over_http(api, CRIMINAL_RECORD)["code"]  # 10 working days
        short_birth_registration(api, hours=12)
        near = receive_over_http(api, BIRTH)["code"]
        api.settle()
        for agency, token in (
            (PROVINCE, api.tokens.desk()),
            (JUSTICE, api.tokens.leader()),
        ):
            flagged = api.data(
                WORKLIST, {"agency": agency, "needsApology": True}, token=token
            )["worklist"]
            assert [d["code"] for d in flagged] == [near]
            assert flagged[0]["needsApology"] is True
            everything = api.data(WORKLIST, {"agency": agency}, token=token)["worklist"]
            flags = {d["code"]: d["needsApology"] for d in everything}
            assert flags == {near: True, far: False}
            calm = api.data(
                WORKLIST, {"agency": agency, "needsApology": False}, token=token
            )["worklist"]
            assert [d["code"] for d in calm] == [far]

        # A re-appointment lands on a working instant: the next one in 14 days.
        calendar = api.services.onestop.working_calendar("H34").calendar
        new_due = calendar.work_start(
            datetime.now().astimezone() + timedelta(days=14)
        ).isoformat()
        apologised = api.data(
            REAPPOINT, {"code": near, "due": new_due}, token=api.tokens.leader()
        )["reappointDossier"]
        assert apologised["__typename"] == "DossierUpdated", apologised
        api.settle()
        flagged = api.data(
            WORKLIST,
            {"agency": PROVINCE, "needsApology": True},
            token=api.tokens.desk(),
        )["worklist"]
        assert flagged == []
        view = sheet(api, near)
        assert (view["needsApology"], view["reappointed"]) == (False, True)

    def test_a_paused_dossier_is_not_flagged(self, api: Api) -> None:
        short_birth_registration(api)
        code = receive_over_http(api, BIRTH)["code"]
        supplement = f"""mutation R($code: String!) {{
          requestSupplement(dossier: {{code: $code}}, componentCodes: ["TP2"],
            reason: "Thiếu") {{ {OUTCOME} }} }}"""
        done = api.data(supplement, {"code": code}, token=api.tokens.desk())
        assert done["requestSupplement"]["__typename"] == "DossierUpdated"
        api.settle()
        flagged = api.data(
            WORKLIST,
            {"agency": PROVINCE, "needsApology": True},
            token=api.tokens.desk(),
        )["worklist"]
        assert flagged == []

    def test_holding_officers_and_the_desk_are_told_by_subscription(
        self, api: Api
    ) -> None:
        receive_over_http(api, CRIMINAL_RECORD)
        short_birth_registration(api)
        flagged = [receive_over_http(api, BIRTH)["code"]]
        api.settle()
        for token, agency in (
            (api.tokens.desk(), PROVINCE),
            (api.tokens.specialist(), JUSTICE),
        ):
            with api.client.websocket_connect(
                "/graphql",
                subprotocols=["graphql-transport-ws"],
                headers={"Authorization": f"Bearer {token}"},
            ) as session:
                session.send_json({"type": "connection_init"})
                assert receive(session)["type"] == "connection_ack"
                session.send_json(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": APOLOGY_DUE,
                            "variables": {"agency": agency},
                        },
                    }
                )
                announced = set()
                for _ in flagged:  # every dossier flagged now, once each
                    message = receive(session)
                    assert message["type"] == "next", message
                    dossier = message["payload"]["data"]["apologyDue"]
                    assert dossier["needsApology"] is True
                    announced.add(dossier["code"])
                assert announced == set(flagged)
                flagged.append(receive_over_http(api, BIRTH)["code"])
                later = receive(session)["payload"]["data"]["apologyDue"]
                assert later["code"] == flagged[-1]
                session.send_json({"id": "1", "type": "complete"})

    def test_the_subscription_is_for_officers_of_the_unit(self, api: Api) -> None:
        with api.client.websocket_connect(
            "/graphql",
            subprotocols=["graphql-transport-ws"],
            headers={"Authorization": f"Bearer {api.tokens.outsider()}"},
        ) as session:
            session.send_json({"type": "connection_init"})
            assert receive(session)["type"] == "connection_ack"
            session.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": APOLOGY_DUE, "variables": {"agency": JUSTICE}},
                }
            )
            refused = receive(session)
            assert refused["payload"]["data"] is None
            assert refused["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    @pytest.mark.parametrize("apologised", [False, True])
    def test_resolving_late_records_whether_an_apology_was_made(
        self, api: Api, apologised: bool
    ) -> None:
        onestop = api.services.onestop
        start = datetime.now().astimezone() - timedelta(days=30)
        reception = onestop.receive_dossier(
            trace=trace(desk(), start), applicant=APPLICANT, procedure_code=BIRTH
        )
        digitize_and_sign(onestop, reception.dossier_id, start)
        onestop.forward_dossier(
            reception.dossier_id, trace=trace(desk(), start), to=Holder(JUSTICE, "PHC")
        )
        if apologised:
            onestop.reappoint_dossier(
                reception.dossier_id,
                trace=trace(leader(), start + timedelta(hours=1)),
                due_at=onestop.working_calendar("H34").calendar.work_start(
                    start + timedelta(days=10)
                ),
                reason="Cần xác minh",
            )
        resolved = api.data(
            RESOLVE,
            {"code": reception.code, "sha": result_file(api)},
            token=api.tokens.leader(),
        )["resolveDossier"]
        assert resolved["__typename"] == "DossierUpdated"
        api.settle()
        view = sheet(api, reception.code)
        assert view["timeliness"] == "late"
        assert view["lateWithoutApology"] is not apologised
        assert view["reappointed"] is apologised
        assert onestop.get_dossier(reception.dossier_id).late_without_apology is (
            not apologised
        )


class TestTheLegalDueInstant:
    def test_the_stored_due_is_the_closing_and_the_shown_due_the_next_morning(
        self, make_api: Any
    ) -> None:
        for rolls_over, shown in (("y", "2026-03-13T07:00:00+07:00"), ("n", None)):
            api = make_api(options={"DUE_AT_CLOSE_ROLLS_OVER": rolls_over})
            received_at = datetime.fromisoformat(f"2026-03-09T17:30:00{VN_OFFSET}")
            reception = api.services.onestop.receive_dossier(
                trace=trace(desk(), received_at),
                applicant=APPLICANT,
                procedure_code=BIRTH,
            )
            api.settle()
            view = sheet(api, reception.code)
            assert view["dueAt"] == "2026-03-12T17:00:00+07:00"
            assert view["dueAtShown"] == (shown or view["dueAt"])

    def test_a_reappointment_to_year_9999_is_a_typed_error(self, api: Api) -> None:
        code = receive_paper(api)["code"]
        digitize_and_sign_over_http(api, code)
        assert forward(api, code, JUSTICE, "PHC", api.tokens.desk())["__typename"] == (
            "DossierUpdated"
        )
        before = api.log_position()
        result = api.data(
            REAPPOINT,
            {"code": code, "due": "9999-12-31T23:59:59-12:00"},
            token=api.tokens.leader(),
        )["reappointDossier"]
        assert result["__typename"] == "InvalidInput", result
        # Refused at the edge (domain.bounds) before the arithmetic bound is reached.
        assert result["errorCode"] == "INVALID_VALUE"
        assert api.log_position() == before
