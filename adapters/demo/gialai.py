"""A second demo province (H35, "Gia Lai") for cross-province forwarding.

The same TTHC as the Kon Tum demo where the competence lies with the province,
a department or a district (communes are left out): each unit of Kon Tum at
those levels has its counterpart here with the same level-2 code, so
``000.00.02.H34`` (Sở Tư pháp tỉnh Kon Tum) forwards to ``000.00.02.H35``. Codes
are invented like Kon Tum's; no reorganisation is simulated for this province.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime

from adapters.demo.kontum import AGENCIES, PROCEDURES, AgencySeed
from adapters.demo.seeding import SEEDER
from application.clock import trace_for
from application.errors import AlreadyExistsError
from application.onestop import OneStop
from domain.procedure import ProcedureDefinition
from domain.values import AgencyCode, AgencyLevel

PROVINCE = "H35"
SOURCE = "H34"
LEVELS = (AgencyLevel.PROVINCE, AgencyLevel.DEPARTMENT, AgencyLevel.DISTRICT)

# Level-2 district codes 20–29 of the demo, given Gia Lai's district-level units.
DISTRICT_NAMES = {
    "20": "thành phố Pleiku",
    "21": "thị xã An Khê",
    "22": "thị xã Ayun Pa",
    "23": "huyện Chư Păh",
    "24": "huyện Chư Prông",
    "25": "huyện Chư Sê",
    "26": "huyện Đak Đoa",
    "27": "huyện Đức Cơ",
    "28": "huyện Ia Grai",
    "29": "huyện Mang Yang",
}


def counterpart(code: str) -> str:
    """The H35 unit with the same sub-codes as an H34 unit."""
    return code.removesuffix(SOURCE) + PROVINCE


def _agency(seed: AgencySeed) -> AgencySeed:
    code = counterpart(seed.code)
    if seed.level is AgencyLevel.DISTRICT:
        name = f"UBND {DISTRICT_NAMES[code.split('.')[2]]}"
    else:
        name = seed.name.replace("Kon Tum", "Gia Lai")
    return dataclasses.replace(seed, code=code, name=name)


AGENCY_SEEDS: tuple[AgencySeed, ...] = tuple(
    _agency(seed) for seed in AGENCIES if seed.level in LEVELS
)
_OWN = {seed.code for seed in AGENCY_SEEDS}


def _procedure(definition: ProcedureDefinition) -> ProcedureDefinition | None:
    competent = counterpart(definition.competent_agency.value)
    if competent not in _OWN:
        return None
    return dataclasses.replace(
        definition,
        competent_agency=AgencyCode(competent),
        field_code=definition.field_code.replace(SOURCE, PROVINCE),
    )


PROCEDURE_SEEDS: tuple[ProcedureDefinition, ...] = tuple(
    found for found in map(_procedure, PROCEDURES) if found is not None
)


def seed_gialai(app: OneStop, *, at: datetime, years: range) -> None:
    """Register the H35 units, calendar and procedures (idempotent)."""
    trace = trace_for(SEEDER, at=at)
    for agency in AGENCY_SEEDS:
        with contextlib.suppress(AlreadyExistsError):
            app.register_agency(
                trace=trace, code=agency.code, name=agency.name, level=agency.level
            )
        for department_code, name in agency.departments:
            app.add_department(
                agency.code, trace=trace, department_code=department_code, name=name
            )
    try:
        app.define_calendar(trace=trace, province=PROVINCE, years=years)
    except AlreadyExistsError:
        for year in years:
            app.adopt_public_holidays(PROVINCE, trace=trace, year=year)
    for definition in PROCEDURE_SEEDS:
        try:
            app.publish_procedure(trace=trace, definition=definition)
        except AlreadyExistsError:
            app.revise_procedure(trace=trace, definition=definition)
