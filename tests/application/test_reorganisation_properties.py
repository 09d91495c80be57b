"""Hypothesis: random plans on random structures never orphan a dossier or a
procedure, and never change an event recorded before the effective date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.settings import persistence_env
from application import reorganisation
from application.onestop import OneStop
from domain.dossier_rules import LEGAL_FROM, Command
from domain.dossier_values import Applicant, Holder, ReturnMethod
from domain.reorganisation import PlanRejectedError, parse_plan
from domain.values import AgencyCode, AgencyLevel
from tests.factories import (
    ADMIN,
    PROVINCE,
    at,
    birth_registration,
    desk,
    digitize_and_sign,
    leader,
    result,
    trace,
)

IN_FLIGHT = LEGAL_FROM[Command.TRANSFER_TO_SUCCESSOR]
NEW_PROVINCE = "000.00.00.H48"


def old_unit(i: int) -> str:
    return f"000.00.{i + 1:02d}.H34"


def new_unit(i: int) -> str:
    return f"000.00.{i + 1:02d}.H48"


def procedure_code(i: int) -> str:
    return f"1.{900000 + i:06d}"


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    units = draw(st.integers(1, 5))
    # each dossier: (department, how far it got)
    dossiers = draw(
        st.lists(
            st.tuples(
                st.integers(0, units - 1),
                st.sampled_from(["received", "in_progress", "resolved", "returned"]),
            ),
            max_size=6,
        )
    )
    new_units = draw(st.integers(1, 3))
    fates = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["keep", "merge", "merge", "split", "dissolve"]),
                st.integers(0, new_units - 1),
                st.integers(0, new_units - 1),
                st.booleans(),  # name the per-procedure successor / the move
            ),
            min_size=units,
            max_size=units,
        )
    )
    province_fate = draw(st.sampled_from(["keep", "merge"]))
    # Mostly after the recorded history (2 March), sometimes before it.
    effective = draw(st.sampled_from([date(2026, 3, 9)] * 4 + [date(2026, 3, 1)]))
    return {
        "units": units,
        "dossiers": dossiers,
        "new_units": new_units,
        "fates": fates,
        "province": province_fate,
        "effective": effective,
    }


def build(app: OneStop, world: dict[str, Any]) -> list[UUID]:
    t = trace(ADMIN)
    app.register_agency(
        trace=t, code=PROVINCE, name="UBND tỉnh", level=AgencyLevel.PROVINCE
    )
    app.define_calendar(trace=t, province="H34", years=(2026,))
    for i in range(world["units"]):
        app.register_agency(
            trace=t, code=old_unit(i), name=f"Sở {i}", level=AgencyLevel.DEPARTMENT
        )
        app.publish_procedure(
            trace=t,
            definition=replace(
                birth_registration(),
                code=procedure_code(i),
                competent_agency=AgencyCode(old_unit(i)),
            ),
        )
    ids = []
    for n, (unit, stage) in enumerate(world["dossiers"]):
        when = at(0, 8, n)
        dossier_id = app.receive_dossier(
            trace=trace(desk(), when),
            applicant=Applicant(f"0620000{n:05d}", f"Người {n}"),
            procedure_code=procedure_code(unit),
        ).dossier_id
        ids.append(dossier_id)
        if stage == "received":
            continue
        digitize_and_sign(app, dossier_id, when)
        app.forward_dossier(
            dossier_id, trace=trace(desk(), when), to=Holder(old_unit(unit))
        )
        if stage == "in_progress":
            continue
        app.resolve_dossier(
            dossier_id,
            trace=trace(leader(old_unit(unit)), at(1, 9)),
            results=(result(app),),
            decision="ok",
        )
        if stage == "returned":
            app.return_result(
                dossier_id, trace=trace(desk(), at(1, 10)), method=ReturnMethod.DESK
            )
    return ids


def plan_of(world: dict[str, Any]) -> dict[str, Any]:
    establish = [
        {"code": NEW_PROVINCE, "name": "UBND tỉnh mới", "level": "province"}
    ] + [
        {"code": new_unit(j), "name": f"Sở mới {j}", "level": "department"}
        for j in range(world["new_units"])
    ]
    merges, splits, dissolutions, procedures = [], [], [], {}
    for i, (fate, a, b, named) in enumerate(world["fates"]):
        if fate == "merge":
            merges.append({"from": [old_unit(i)], "into": new_unit(a)})
        elif fate == "split":
            into = sorted({new_unit(a), new_unit(b)})
            split: dict[str, Any] = {"from": old_unit(i), "into": into}
            if named:
                split["procedures"] = {procedure_code(i): into[-1]}
            splits.append(split)
        elif fate == "dissolve":
            dissolutions.append({"unit": old_unit(i), "reason": "giải thể"})
            if named:
                procedures[procedure_code(i)] = new_unit(a)
    if world["province"] == "merge":
        merges.append({"from": [PROVINCE], "into": NEW_PROVINCE})
    return {
        "effective_on": world["effective"].isoformat(),
        "legal_act": {"number": "01/NQ", "issued_on": "2026-01-05"},
        "establish": establish,
        "merge": merges,
        "split": splits,
        "dissolve": dissolutions,
        "procedures": procedures,
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(world=worlds())
def test_random_plans_never_orphan_and_never_rewrite_history(
    world: dict[str, Any],
) -> None:
    app = OneStop(env=persistence_env("memory://"))
    try:
        ids = build(app, world)
        histories = {i: list(app.events.get(i)) for i in ids}
        before = app.recorder.max_notification_id()
        plan = parse_plan(plan_of(world))
        problems: tuple[object, ...] = ()
        try:
            applied = reorganisation.apply(app, plan)
        except PlanRejectedError as rejected:
            problems = rejected.problems
        if problems:
            event("rejected")
            assert app.recorder.max_notification_id() == before  # nothing at all
            return
        event("applied")
        assert applied.recorded
        for dossier_id, history in histories.items():
            events = list(app.events.get(dossier_id))
            assert events[: len(history)] == history
            dossier = app.get_dossier(dossier_id)
            if dossier.status in IN_FLIGHT:
                for unit in (dossier.competent_agency, dossier.holder.agency_code):
                    assert not app.get_agency(unit).is_ended, unit
            else:
                assert len(events) == len(history)  # finished: left alone
        for i in range(world["units"]):
            competent = app.get_procedure(procedure_code(i)).definition
            assert not app.get_agency(competent.competent_agency.value).is_ended
    finally:
        app.close()
