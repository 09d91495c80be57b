"""The one-stop rulebook by date: history is judged by the rules of its time."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.reorganisation import (
    PlanRejectedError,
    UnitFacts,
    World,
    parse_plan,
    review,
)
from domain.rules_in_force import DECREE_61_2018, DECREE_118_2025, RULES, rules_on
from domain.values import AgencyLevel

SWITCH = date(2025, 7, 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_each_day_has_exactly_the_rules_that_began_last(day: date) -> None:
    rules = rules_on(day)
    assert rules is (DECREE_118_2025 if day >= SWITCH else DECREE_61_2018)
    started = [r for r in RULES if r.in_force_from <= day]
    assert rules is (started[-1] if started else RULES[0])


def test_the_district_level_ends_with_decree_61() -> None:
    assert AgencyLevel.DISTRICT in rules_on(SWITCH - timedelta(days=1)).receiving_levels
    assert AgencyLevel.DISTRICT not in rules_on(SWITCH).receiving_levels
    assert rules_on(SWITCH).reception_regardless_of_boundary


def plan_establishing_a_district(day: date) -> dict[str, object]:
    return {
        "effective_on": day.isoformat(),
        "legal_act": {"number": "1/NQ", "issued_on": "2025-01-02"},
        "establish": [
            {"code": "000.00.31.H34", "name": "UBND huyện", "level": "district"}
        ],
    }


def test_a_plan_is_judged_by_the_rules_of_its_effective_date() -> None:
    world = World(
        {
            "000.00.00.H34": UnitFacts(
                "000.00.00.H34", AgencyLevel.PROVINCE, False, date(2024, 1, 1)
            )
        },
        {},
        [],
    )
    earlier = review(parse_plan(plan_establishing_a_district(date(2025, 6, 30))), world)
    assert earlier.counts["established"] == 1
    try:
        review(parse_plan(plan_establishing_a_district(SWITCH)), world)
    except PlanRejectedError as rejected:
        kinds = [p.kind for p in rejected.problems]
    else:
        kinds = []
    assert kinds == ["rules"]
