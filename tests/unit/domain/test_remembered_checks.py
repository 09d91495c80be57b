"""What the domain remembers to save CPU per command changes no answer: ids of
catalogue aggregates are the name-based ids they always were, and an agency
code is refused or accepted the same the first time and every time after."""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, uuid5

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.agency import Agency
from domain.calendar import Calendar
from domain.errors import InvalidAgencyCodeError
from domain.procedure import Procedure
from domain.values import AgencyCode

PARTS = st.sampled_from(["000", "001", "012", "00", "01", "12", "30", "H34", "X99"])
CODES = (
    st.builds(".".join, st.lists(PARTS, min_size=4, max_size=4))
    | st.builds(str.__add__, st.sampled_from(["000.00.12.H34"]), st.text(max_size=2))
    | st.text(max_size=16)
)


def _valid(code: str) -> bool:
    # As the rule has always read (``$`` also matches before a final newline).
    match = re.match(r"^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})$", code)
    if match is None:
        return False
    v, z, y, _ = match.groups()
    return not ((z != "00" and y == "00") or (v != "000" and z == "00"))


def _accepted(code: str) -> bool:
    try:
        AgencyCode(code)
    except InvalidAgencyCodeError:
        return False
    return True


@given(CODES)
def test_an_agency_code_gets_the_same_answer_every_time(code: str) -> None:
    expected = _valid(code)
    assert [_accepted(code) for _ in range(3)] == [expected] * 3


def test_a_code_refused_stays_refused_after_valid_ones_were_seen() -> None:
    AgencyCode("000.00.12.H34")
    for bad in ("000.12.00.H34", " 000.00.12.H34", "000.00.12.h34", ""):
        with pytest.raises(InvalidAgencyCodeError):
            AgencyCode(bad)


@given(st.text(max_size=30))
def test_catalogue_ids_are_the_name_based_ids_they_always_were(name: str) -> None:
    assert Procedure.create_id(name) == uuid5(NAMESPACE_URL, f"/procedures/{name}")
    assert Procedure.create_id(name) == Procedure.create_id(name)


def test_agency_and_calendar_ids_are_unchanged() -> None:
    code = AgencyCode("000.00.12.H34")
    assert Agency.create_id(code) == uuid5(NAMESPACE_URL, "/agencies/000.00.12.H34")
    assert Calendar.create_id("H34") == uuid5(NAMESPACE_URL, "/calendars/H34")
