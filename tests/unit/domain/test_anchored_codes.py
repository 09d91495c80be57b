"""Codes are whole ASCII strings: a trailing newline (``$`` matches before
one) or digits of another script (``\\d`` matches them) never pass."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.dossier_code import is_dossier_code
from domain.errors import DomainError
from domain.values import AgencyCode, validate_field_code

GOOD_AGENCY = "000.00.12.H34"
GOOD_FIELD = "G09-TP"
GOOD_CODE = "000.00.12.H34-260302-0001"
# Arabic-Indic, Devanagari and fullwidth digits: all \d in Python's re.
FOREIGN_DIGITS = st.sampled_from(["٠", "١", "५", "０", "９"])
SUFFIXES = st.sampled_from(["\n", "\r\n", " ", "\t", "\x00"])


def _foreign(text: str, digit: str, index: int) -> str:
    positions = [i for i, c in enumerate(text) if c.isdigit()]
    at = positions[index % len(positions)]
    return text[:at] + digit + text[at + 1 :]


def test_the_good_ones_pass() -> None:
    assert AgencyCode(GOOD_AGENCY).value == GOOD_AGENCY
    assert validate_field_code(GOOD_FIELD) == GOOD_FIELD
    assert is_dossier_code(GOOD_CODE)


@given(SUFFIXES)
def test_a_trailing_character_is_refused(suffix: str) -> None:
    with pytest.raises(DomainError):
        AgencyCode(GOOD_AGENCY + suffix)
    with pytest.raises(DomainError):
        validate_field_code(GOOD_FIELD + suffix)
    assert not is_dossier_code(GOOD_CODE + suffix)


@given(FOREIGN_DIGITS, st.integers(0, 30))
def test_digits_of_another_script_are_refused(digit: str, index: int) -> None:
    with pytest.raises(DomainError):
        AgencyCode(_foreign(GOOD_AGENCY, digit, index))
    with pytest.raises(DomainError):
        validate_field_code(_foreign(GOOD_FIELD.replace("TP", "T1"), digit, index))
    assert not is_dossier_code(_foreign(GOOD_CODE, digit, index))
