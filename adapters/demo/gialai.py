"""A second demo province (H35, "Gia Lai") for cross-province forwarding.

The same TTHC as the Kon Tum demo where the competence lies with the province,
a department or a district (communes are left out): each unit of Kon Tum at
those levels has its counterpart here with the same level-2 code, so
``000.00.02.H34`` (Sở Tư pháp tỉnh Kon Tum) forwards to ``000.00.02.H35``. Codes
are invented like Kon Tum's; no reorganisation is simulated for this province.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from adapters.demo.kontum import AGENCIES, PROCEDURES, AgencySeed
from adapters.demo.seeding import seed_catalogue
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
    seed_catalogue(
        app,
        province=PROVINCE,
        agencies=AGENCY_SEEDS,
        procedures=PROCEDURE_SEEDS,
        at=at,
        years=years,
    )
