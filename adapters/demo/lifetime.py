"""The demo province's life: Kon Tum before 2025, the 1 July 2025 reorganisation,
the merged Quảng Ngãi after it — with dossiers in flight across the date.

The plans are the JSON files in ``adapters/demo/reorganisation/`` (applied in
name order); a province replaces them with its own (see README).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from uuid import UUID

from adapters.demo.kontum import PROCEDURES
from adapters.demo.simulation import (
    KON_TUM_BEFORE_2025,
    VN,
    Simulation,
    Structure,
    Summary,
)
from application import reorganisation
from application.onestop import OneStop
from domain.reorganisation import Plan, parse_plan

PLANS_DIR = Path(__file__).with_name("reorganisation")
REORGANISED_ON = date(2025, 7, 1)
RUSH_DAYS = 30


def plans() -> list[Plan]:
    """The demo's reorganisation plans, in the order they are applied."""
    return [
        parse_plan(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(PLANS_DIR.glob("*.json"))
    ]


def reorganise(app: OneStop) -> list[UUID]:
    """Apply the demo plans (each at most once); ids of the dossiers transferred."""
    transferred: list[UUID] = []
    for plan in plans():
        if reorganisation.already_applied(app, plan):
            continue
        review = reorganisation.preview(app, plan)
        reorganisation.apply(app, plan)
        transferred.extend(t.dossier_id for t in review.transfers)
    return list(dict.fromkeys(transferred))


def structure_after(app: OneStop) -> Structure:
    """Today's units and procedures, read back from the catalogue."""
    procedures = tuple(app.published_procedure(p.code).definition for p in PROCEDURES)
    established = [u for plan in plans() for u in plan.establish]
    desks = tuple(
        u.code for u in established if u.level.value in ("province", "commune")
    )
    departments = {
        p.competent_agency.value: sorted(
            app.get_agency(p.competent_agency.value).departments
        )
        for p in procedures
    }
    province = procedures[0].competent_agency.level1
    return Structure(procedures, desks, departments, province)


def live(
    app: OneStop,
    *,
    seed: int,
    start: date,
    end: date,
    dossiers: int,
    progress: Callable[[int], None],
) -> Summary:
    """Simulate ``dossiers`` over ``start``…``end``; a period that spans
    1 July 2025 is cut there, the plans applied, and life goes on."""
    simulation = Simulation(app, seed=seed, start=start, end=end)
    if end <= REORGANISED_ON:
        return simulation.run(dossiers, progress)
    if start >= REORGANISED_ON:
        reorganise(app)
        simulation.period(start, end, structure_after(app))
        return simulation.run(dossiers, progress)
    before = round(dossiers * (REORGANISED_ON - start).days / (end - start).days)
    simulation.period(start, REORGANISED_ON, KON_TUM_BEFORE_2025)
    simulation.rush_from = REORGANISED_ON - timedelta(days=RUSH_DAYS)
    simulation.run(before, progress)
    transferred = reorganise(app)
    simulation.rush_from = None
    simulation.period(REORGANISED_ON, end, structure_after(app))
    simulation.carry_on(
        transferred, datetime.combine(REORGANISED_ON, time(7, 30), tzinfo=VN)
    )
    simulation.summary.transferred = len(transferred)
    return simulation.run(dossiers - before, progress)
