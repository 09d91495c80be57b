"""Figures in the structure of their time or mapped to today's successors.

Dossiers received by Kon Tum units before a reorganisation are reported under
the recorded units (HISTORICAL) or summed into the units carrying them on
(CURRENT): merged units into their successor, a split unit by procedure.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from application import monitoring, reorganisation
from domain.reorganisation import parse_plan
from projections.directory import DirectoryView
from projections.indicators import IndicatorView
from projections.registry import all_projections
from projections.runtime import Projector
from tests.application.test_reorganisation import (
    EFFECTIVE,
    NEW_CONSTRUCTION,
    NEW_JUSTICE,
    NEW_PROVINCE,
    PLAN,
)
from tests.factories import (
    BIRTH,
    BUILDING,
    CONSTRUCTION,
    CRIMINAL_RECORD,
    JUSTICE,
    MONDAY,
    PROVINCE,
    at,
    receive,
    seed_catalogue,
)
from tests.projections.conftest import Backend

FIRST = MONDAY.date()
LAST = FIRST + timedelta(days=6)
CIVIL_STATUS = "000.00.21.H34"
RECORDS = "000.00.22.H34"


def received(backend: Backend, counts: dict[str, int]) -> None:
    day = 0
    for procedure, count in counts.items():
        for _ in range(count):
            receive(backend.app, when=at(day % 5, 9), procedure=procedure)
            day += 1


def by_unit(
    backend: Backend, scope: str, structure: str, today: date
) -> dict[str, int]:
    """Dossiers received per unit one level below ``scope``."""
    projector = Projector(backend.app, backend.store, all_projections())
    projector.catch_up()
    unit_of = None
    if structure == "current":
        changes = DirectoryView(backend.store).changes()
        unit_of = monitoring.successor_units(changes, today)
    counted = IndicatorView(backend.store).tallies(scope, FIRST, LAST, unit_of=unit_of)
    report = monitoring.report(scope, FIRST, LAST, counted, monitoring.Grouping.AGENCY)
    rows = {row.key: row.figures[1].denominator for row in report.rows}
    assert sum(rows.values()) == report.total.figures[1].denominator
    return rows


def test_merged_units_are_summed_into_their_successors(backend: Backend) -> None:
    seed_catalogue(backend.app)
    received(backend, {BIRTH: 3, CRIMINAL_RECORD: 2, BUILDING: 4})
    reorganisation.apply(backend.app, parse_plan(PLAN))
    after = EFFECTIVE + timedelta(days=1)

    assert by_unit(backend, PROVINCE, "historical", after) == {
        JUSTICE: 5,
        CONSTRUCTION: 4,
    }
    assert by_unit(backend, NEW_PROVINCE, "historical", after) == {}
    assert by_unit(backend, NEW_PROVINCE, "current", after) == {
        NEW_JUSTICE: 5,
        NEW_CONSTRUCTION: 4,
    }
    assert by_unit(backend, PROVINCE, "current", after) == {}
    # Asked as of a day before the change, today's structure is the old one.
    assert by_unit(backend, PROVINCE, "current", EFFECTIVE - timedelta(days=1)) == {
        JUSTICE: 5,
        CONSTRUCTION: 4,
    }


SPLIT: dict[str, Any] = {
    "effective_on": EFFECTIVE.isoformat(),
    "legal_act": {"number": "01/NQ-HĐND", "issued_on": "2026-02-01"},
    "establish": [
        {"code": CIVIL_STATUS, "name": "Sở Hộ tịch", "level": "department"},
        {"code": RECORDS, "name": "Sở LLTP", "level": "department"},
    ],
    "split": [
        {
            "from": JUSTICE,
            "into": [CIVIL_STATUS, RECORDS],
            "procedures": {BIRTH: CIVIL_STATUS, CRIMINAL_RECORD: RECORDS},
        }
    ],
}


def test_a_split_unit_is_divided_by_procedure(backend: Backend) -> None:
    seed_catalogue(backend.app)
    received(backend, {BIRTH: 3, CRIMINAL_RECORD: 2, BUILDING: 1})
    reorganisation.apply(backend.app, parse_plan(SPLIT))
    after = EFFECTIVE + timedelta(days=1)
    assert by_unit(backend, PROVINCE, "historical", after) == {
        JUSTICE: 5,
        CONSTRUCTION: 1,
    }
    assert by_unit(backend, PROVINCE, "current", after) == {
        CIVIL_STATUS: 3,
        RECORDS: 2,
        CONSTRUCTION: 1,
    }
