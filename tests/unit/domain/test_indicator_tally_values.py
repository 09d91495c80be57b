"""Tallies made without the dataclass ``__init__`` are the tallies it makes."""

from __future__ import annotations

import dataclasses
import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.indicator_tally import COLUMNS, Tally, _named, total

columns = st.lists(
    st.integers(min_value=-(2**40), max_value=2**40),
    min_size=len(COLUMNS),
    max_size=len(COLUMNS),
)


def _same(found: Tally, expected: Tally) -> None:
    assert type(found) is Tally
    assert found == expected
    assert hash(found) == hash(expected)
    assert repr(found) == repr(expected)
    assert dataclasses.astuple(found) == dataclasses.astuple(expected)
    assert vars(found) == vars(expected)


@given(columns, columns)
def test_sums_and_differences_are_the_dataclass_s(a: list[int], b: list[int]) -> None:
    left, right = Tally(*a), Tally(*b)
    _same(left + right, Tally(*map(operator.add, a, b)))
    _same(left - right, Tally(*map(operator.sub, a, b)))
    _same(
        total([left, right, left]),
        Tally(*(2 * x + y for x, y in zip(a, b, strict=True))),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        (left + right).received = 0  # type: ignore[misc]


@given(columns)
def test_named_columns_make_the_same_tally(values: list[int]) -> None:
    named = dict(zip(reversed(COLUMNS), reversed(values), strict=True))
    _same(_named(**named), Tally(**named))


def test_a_missing_or_unknown_column_is_refused() -> None:
    named = dict.fromkeys(COLUMNS, 0)
    del named["index7"]
    with pytest.raises(TypeError):
        _named(**named)
    with pytest.raises(TypeError):
        _named(**named, index8=0)
