"""A reorganisation plan applied to a living province: agencies, procedures,
in-flight dossiers; bad plans refused whole; the same plan recorded once."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from application import reorganisation
from application.onestop import OneStop
from domain.dossier_events import TransferredToSuccessor
from domain.dossier_status import DossierStatus
from domain.dossier_values import Holder, ReturnMethod
from domain.errors import AgencyNotInForceError
from domain.reorganisation import PlanRejectedError, parse_plan
from domain.values import AgencyLevel, LegalAct
from tests.factories import (
    APPLICANT,
    BIRTH,
    BUILDING,
    COMMUNE,
    CONSTRUCTION,
    CRIMINAL_RECORD,
    DISTRICT,
    JUSTICE,
    PROVINCE,
    at,
    citizen,
    desk,
    document,
    in_progress,
    leader,
    receive,
    result,
    specialist,
    trace,
)

NEW_PROVINCE = "000.00.00.H48"
NEW_JUSTICE = "000.00.12.H48"
NEW_CONSTRUCTION = "000.00.15.H48"
NEW_COMMUNE = "000.00.41.H48"
EFFECTIVE = date(2026, 3, 9)

PLAN: dict[str, Any] = {
    "effective_on": EFFECTIVE.isoformat(),
    "legal_act": {"number": "202/2025/QH15", "issued_on": "2025-06-12"},
    "title": "Sắp xếp thử nghiệm",
    "establish": [
        {
            "code": NEW_PROVINCE,
            "name": "UBND tỉnh Quảng Ngãi",
            "level": "province",
            "departments": [["TTPVHCC", "Trung tâm Phục vụ hành chính công"]],
        },
        {
            "code": NEW_JUSTICE,
            "name": "Sở Tư pháp tỉnh Quảng Ngãi",
            "level": "department",
            "departments": [["PHC", "Phòng Hành chính tư pháp"]],
        },
        {"code": NEW_CONSTRUCTION, "name": "Sở Xây dựng", "level": "department"},
        {
            "code": NEW_COMMUNE,
            "name": "UBND xã Hà Mòn",
            "level": "commune",
            "parent": NEW_PROVINCE,
        },
    ],
    "merge": [
        {"from": [PROVINCE], "into": NEW_PROVINCE},
        {"from": [JUSTICE], "into": NEW_JUSTICE},
        {"from": [CONSTRUCTION], "into": NEW_CONSTRUCTION},
        {"from": [COMMUNE], "into": NEW_COMMUNE},
    ],
    "dissolve": [{"unit": DISTRICT, "reason": "Không tổ chức cấp huyện"}],
}


def positions(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


def paused_dossier(app: OneStop) -> Any:
    """In progress at the Justice department, then paused for a supplement."""
    dossier_id = in_progress(app, when=at(0, 8))
    app.request_supplement(
        dossier_id,
        trace=trace(specialist(), at(0, 9)),
        items=("TP2",),
        reason="Giấy chứng sinh bị mờ",
    )
    return dossier_id


class TestTransfer:
    def test_keeps_code_due_time_pause_and_history(self, app: OneStop) -> None:
        dossier_id = paused_dossier(app)
        before = app.get_dossier(dossier_id)
        history = list(app.events.get(dossier_id))

        applied = reorganisation.apply(app, parse_plan(PLAN))

        assert applied.recorded
        dossier = app.get_dossier(dossier_id)
        assert dossier.code == before.code
        assert dossier.due_at == before.due_at == at(3, 8)
        assert dossier.received_at == before.received_at
        assert dossier.status is DossierStatus.AWAITING_SUPPLEMENT
        assert dossier.paused_at == before.paused_at == at(0, 9)
        assert dossier.competent_agency == NEW_JUSTICE
        assert dossier.holder == Holder(NEW_JUSTICE, "PHC")
        after = list(app.events.get(dossier_id))
        assert after[: len(history)] == history  # nothing before it changed
        (transfer,) = after[len(history) :]
        assert isinstance(transfer, TransferredToSuccessor)
        assert transfer.from_agency == JUSTICE
        assert transfer.from_holder == Holder(JUSTICE, "PHC")
        assert transfer.to_holder == Holder(NEW_JUSTICE, "PHC")
        assert transfer.legal_act == LegalAct("202/2025/QH15", date(2025, 6, 12))
        assert transfer.effective_on == EFFECTIVE
        assert transfer.trace.actor.id == reorganisation.REORGANISER.id
        assert app.find_dossier(str(before.code)).id == dossier_id

    def test_the_clock_runs_on_from_where_it_stopped(self, app: OneStop) -> None:
        dossier_id = paused_dossier(app)
        reorganisation.apply(app, parse_plan(PLAN))
        # Paused Mon 2 Mar 09:00 → Tue 10 Mar 09:00: 6 working days (48 h),
        # so the due time moves from Thu 5 Mar 08:00 to Fri 13 Mar 08:00.
        app.receive_supplement(
            dossier_id,
            trace=trace(citizen(), at(8, 9)),
            documents={"TP2": document("new", app, citizen())},
        )
        dossier = app.get_dossier(dossier_id)
        assert dossier.paused_seconds == 48 * 3600
        assert dossier.due_at == at(11, 8)
        assert dossier.status is DossierStatus.IN_PROGRESS

    def test_successor_officers_handle_it_and_the_old_unit_no_longer_acts(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app, when=at(0, 8))
        reorganisation.apply(app, parse_plan(PLAN))
        app.resolve_dossier(
            dossier_id,
            trace=trace(leader(NEW_JUSTICE), at(8, 10)),
            results=(result(app),),
            decision="Đồng ý",
        )
        assert app.get_dossier(dossier_id).status is DossierStatus.RESOLVED
        with pytest.raises(AgencyNotInForceError):
            receive(app, when=at(8, 9))  # the old provincial desk ended on 9 Mar
        with pytest.raises(AgencyNotInForceError):
            receive(app, when=at(9, 9), officer=desk(COMMUNE))
        new = receive(app, when=at(8, 9), officer=desk(NEW_PROVINCE)).dossier_id
        with pytest.raises(AgencyNotInForceError):
            app.forward_dossier(
                new, trace=trace(desk(NEW_PROVINCE), at(8, 10)), to=Holder(JUSTICE)
            )

    def test_new_dossiers_go_to_the_successors_own_procedure_version(
        self, app: OneStop
    ) -> None:
        reorganisation.apply(app, parse_plan(PLAN))
        procedure = app.get_procedure(BIRTH)
        assert procedure.version == 2
        assert procedure.definition.competent_agency.value == NEW_JUSTICE
        assert procedure.definition.field_code == "H48-HT"
        assert app.get_procedure(
            BIRTH, version=1
        ).definition.competent_agency.value == (JUSTICE)
        reception = receive(app, when=at(8, 9), officer=desk(NEW_PROVINCE))
        dossier = app.get_dossier(reception.dossier_id)
        assert dossier.competent_agency == NEW_JUSTICE
        assert reception.code.startswith(f"{NEW_PROVINCE}-260310-")

    def test_finished_dossiers_stay_with_their_old_units(self, app: OneStop) -> None:
        dossier_id = in_progress(app, when=at(0, 8))
        app.resolve_dossier(
            dossier_id,
            trace=trace(leader(), at(1, 10)),
            results=(result(app),),
            decision="Đồng ý",
        )
        app.return_result(
            dossier_id, trace=trace(desk(), at(1, 15)), method=ReturnMethod.DESK
        )
        version = app.get_dossier(dossier_id).version
        reorganisation.apply(app, parse_plan(PLAN))
        dossier = app.get_dossier(dossier_id)
        assert dossier.version == version
        assert dossier.competent_agency == JUSTICE


class TestSplit:
    def test_each_procedure_goes_to_the_successor_the_plan_names(
        self, app: OneStop
    ) -> None:
        birth = in_progress(app, when=at(0, 8))
        plan = {
            "effective_on": EFFECTIVE.isoformat(),
            "legal_act": {"number": "01/NQ-HĐND", "issued_on": "2026-02-01"},
            "establish": [
                {"code": "000.00.21.H34", "name": "Sở Hộ tịch", "level": "department"},
                {"code": "000.00.22.H34", "name": "Sở LLTP", "level": "department"},
            ],
            "split": [
                {
                    "from": JUSTICE,
                    "into": ["000.00.21.H34", "000.00.22.H34"],
                    "procedures": {
                        BIRTH: "000.00.21.H34",
                        CRIMINAL_RECORD: "000.00.22.H34",
                    },
                }
            ],
        }
        review = reorganisation.preview(app, parse_plan(plan))
        assert review.counts["split"] == 1
        assert review.counts["dossiersTransferred"] == 1
        reorganisation.apply(app, parse_plan(plan))
        assert app.get_dossier(birth).competent_agency == "000.00.21.H34"
        moved = app.get_procedure(CRIMINAL_RECORD).definition.competent_agency
        assert moved.value == "000.00.22.H34"


class TestBadPlans:
    def test_every_problem_is_listed_and_nothing_is_recorded(
        self, app: OneStop
    ) -> None:
        in_progress(app, when=at(0, 8))
        receive(app, procedure=BUILDING)
        plan = {
            "effective_on": "2026-03-01",  # before the units' recorded changes
            "legal_act": {"number": "99/NQ", "issued_on": "2026-01-01"},
            "establish": [
                {"code": "000.00.31.H34", "name": "UBND huyện mới", "level": "district"}
            ],
            "merge": [
                {"from": ["000.00.77.H34"], "into": PROVINCE},  # unknown
                {"from": [JUSTICE], "into": DISTRICT},  # cycle with the next
                {"from": [DISTRICT], "into": JUSTICE},
                {"from": [COMMUNE], "into": PROVINCE},  # overlaps the dissolution
            ],
            "dissolve": [
                {"unit": COMMUNE, "reason": "x"},
                {"unit": CONSTRUCTION, "reason": "no successor"},  # orphans
            ],
        }
        before = positions(app)
        with pytest.raises(PlanRejectedError) as raised:
            reorganisation.apply(app, parse_plan(plan))
        kinds = {p.kind for p in raised.value.problems}
        assert kinds >= {
            "unknown",
            "cycle",
            "overlap",
            "effective_date",
            "orphan",
            "rules",
        }
        orphans = [p.en for p in raised.value.problems if p.kind == "orphan"]
        assert any(BUILDING in o for o in orphans)  # the procedure
        assert any("dossier" in o for o in orphans)  # and its open dossier
        message = raised.value.message("en")
        assert "000.00.77.H34" in message
        assert "cycle" in message
        assert positions(app) == before

    def test_a_dossier_handled_on_or_after_the_effective_date_is_a_problem(
        self, app: OneStop
    ) -> None:
        late = in_progress(app, when=at(8, 8))  # 10 March, after 9 March
        before = positions(app)
        with pytest.raises(PlanRejectedError) as raised:
            reorganisation.apply(app, parse_plan(PLAN))
        (problem,) = raised.value.problems
        assert problem.kind == "effective_date"
        assert str(app.get_dossier(late).code) in problem.en
        assert positions(app) == before

    def test_format_problems_are_listed_together(self) -> None:
        with pytest.raises(PlanRejectedError) as raised:
            parse_plan(
                {
                    "effective_on": "1 July",
                    "legal_act": {"number": "", "issued_on": "2025-06-12"},
                    "merge": [{"from": ["H34"], "into": "nowhere"}],
                    "surprise": 1,
                }
            )
        wheres = " ".join(p.en for p in raised.value.problems)
        for fragment in ("effective_on", "legalAct.number", "merge[0]", "surprise"):
            assert fragment in wheres

    def test_a_procedure_moved_to_an_unknown_unit_is_refused(
        self, app: OneStop
    ) -> None:
        plan = copy.deepcopy(PLAN)
        plan["procedures"] = {BIRTH: "000.00.99.H48", "1.999999": NEW_JUSTICE}
        with pytest.raises(PlanRejectedError) as raised:
            reorganisation.preview(app, parse_plan(plan))
        text = raised.value.message("en")
        assert "000.00.99.H48" in text
        assert "1.999999" in text


class TestIdempotence:
    def test_applying_the_same_plan_twice_records_nothing_the_second_time(
        self, app: OneStop
    ) -> None:
        in_progress(app, when=at(0, 8))
        plan = parse_plan(PLAN)
        first = reorganisation.apply(app, plan)
        after_first = positions(app)
        second = reorganisation.apply(app, parse_plan(copy.deepcopy(PLAN)))
        assert first.recorded
        assert not second.recorded
        assert second.plan_id == first.plan_id
        assert second.counts == first.counts
        assert positions(app) == after_first

    def test_a_different_plan_has_a_different_id(self) -> None:
        other = copy.deepcopy(PLAN)
        other["title"] = "khác"
        assert parse_plan(other).plan_id != parse_plan(PLAN).plan_id


def test_new_units_carry_their_lifecycle(app: OneStop) -> None:
    reorganisation.apply(app, parse_plan(PLAN))
    old = app.get_agency(JUSTICE)
    assert old.ended_on == EFFECTIVE
    assert old.successors == (NEW_JUSTICE,)
    new = app.get_agency(NEW_COMMUNE)
    assert new.level is AgencyLevel.COMMUNE
    assert new.established_on == EFFECTIVE
    assert new.parent_code is not None
    assert new.parent_code.value == NEW_PROVINCE
    assert app.get_agency(DISTRICT).end == "Dissolved"
    assert app.working_calendar("H48").calendar.is_working_day(EFFECTIVE)
    assert APPLICANT.id  # the applicant's own data is untouched by the plan


def test_rename_reparent_and_code_change_are_dated_events(app: OneStop) -> None:
    dossier_id = in_progress(app, when=at(0, 8))
    recoded = "000.00.13.H34"
    plan = {
        "effective_on": EFFECTIVE.isoformat(),
        "legal_act": {"number": "12/QĐ-UBND", "issued_on": "2026-02-20"},
        "establish": [
            {
                "code": recoded,
                "name": "Sở Tư pháp",
                "level": "department",
                "departments": [["PHC", "Phòng Hành chính tư pháp"]],
            }
        ],
        "change_code": {JUSTICE: recoded},
        "rename": {CONSTRUCTION: "Sở Xây dựng và Giao thông"},
        "reparent": {COMMUNE: PROVINCE},
    }
    review = reorganisation.preview(app, parse_plan(plan))
    assert review.counts["codeChanged"] == 1
    assert review.counts["renamed"] == 1
    assert review.counts["reparented"] == 1
    reorganisation.apply(app, parse_plan(plan))
    assert app.get_agency(JUSTICE).end == "CodeChanged"
    assert app.get_agency(recoded).predecessors == (JUSTICE,)
    assert app.get_agency(CONSTRUCTION).name == "Sở Xây dựng và Giao thông"
    commune = app.get_agency(COMMUNE)
    assert commune.parent_code is not None
    assert commune.parent_code.value == PROVINCE
    dossier = app.get_dossier(dossier_id)
    assert dossier.competent_agency == recoded
    assert dossier.holder == Holder(recoded, "PHC")  # its department goes along
