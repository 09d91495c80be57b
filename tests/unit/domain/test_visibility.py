"""The one visibility rule (``domain.visibility``) used by commands and reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidAgencyCodeError
from domain.values import Actor, AgencyCode, Role
from domain.visibility import may_see
from tests.factories import COMMUNE, CONSTRUCTION, DISTRICT, JUSTICE, PROVINCE

UNITS = [PROVINCE, JUSTICE, CONSTRUCTION, DISTRICT, COMMUNE, "000.00.12.H35"]
units = st.sampled_from(UNITS)
roles = st.sampled_from([Role.DESK, Role.SPECIALIST, Role.LEADER])


def officer(unit: str | None, role: Role = Role.SPECIALIST) -> Actor:
    return Actor("o-1", role, unit)


def sees(
    actor: Actor,
    competent: str = JUSTICE,
    receiving: str | None = PROVINCE,
    *others: str | None,
) -> bool:
    return may_see(
        actor,
        applicant_id="012345678901",
        competent_agency=competent,
        receiving_agency=receiving,
        units=others,
    )


def test_applicants_see_only_their_own() -> None:
    assert sees(Actor("012345678901", Role.CITIZEN))
    assert not sees(Actor("012345678902", Role.CITIZEN))


def test_officers_see_the_units_of_their_subtree_and_not_their_parents() -> None:
    assert sees(officer(JUSTICE))
    assert sees(officer(PROVINCE), COMMUNE, COMMUNE)
    assert not sees(officer(COMMUNE), DISTRICT, DISTRICT)
    assert not sees(officer(CONSTRUCTION), JUSTICE, PROVINCE, JUSTICE)
    assert sees(officer(CONSTRUCTION), JUSTICE, PROVINCE, JUSTICE, CONSTRUCTION)


def test_any_desk_of_the_province_sees_a_submission_before_reception() -> None:
    assert sees(officer(DISTRICT, Role.DESK), JUSTICE, None)
    assert not sees(officer("000.00.12.H35", Role.DESK), JUSTICE, None)
    assert not sees(officer(DISTRICT, Role.DESK), JUSTICE, PROVINCE)


@given(st.text(max_size=20), units, st.one_of(st.none(), units))
def test_a_malformed_or_missing_unit_sees_nothing_and_never_raises(
    unit: str, competent: str, receiving: str | None
) -> None:
    try:
        AgencyCode(unit)
    except InvalidAgencyCodeError:
        assert not sees(officer(unit), competent, receiving, unit)
    assert not sees(officer(None), competent, receiving, competent)


@given(units, units, st.one_of(st.none(), units), st.lists(units, max_size=3), roles)
def test_what_a_unit_sees_its_parent_sees(
    viewer: str,
    competent: str,
    receiving: str | None,
    others: list[str],
    role: Role,
) -> None:
    parent = AgencyCode(viewer).parent
    if sees(officer(viewer, role), competent, receiving, *others) and parent:
        assert sees(officer(parent.value, role), competent, receiving, *others)


@given(units, units, st.one_of(st.none(), units))
def test_the_system_sees_everything(
    competent: str, receiving: str | None, other: str
) -> None:
    assert sees(Actor("system", Role.SYSTEM), competent, receiving, other)
