"""Read models split into projector groups of similar cost."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.settings import InvalidSettingError, Settings
from api.wiring import projector_groups, projector_processes
from projections.groups import COSTS, TOGETHER, cost, split
from projections.registry import READ_MODELS

NAMES = list(READ_MODELS)


@given(
    names=st.lists(st.sampled_from(NAMES), unique=True, min_size=1),
    processes=st.integers(1, 16),
)
def test_every_read_model_in_exactly_one_group(
    names: list[str], processes: int
) -> None:
    groups = split(names, processes)
    flat = [n for g in groups for n in g]
    assert sorted(flat) == sorted(names)
    assert 1 <= len(groups) <= processes
    assert all(groups)
    order = {n: i for i, n in enumerate(names)}
    for group in groups:
        assert group == sorted(group, key=order.__getitem__)


@given(
    names=st.lists(st.sampled_from(NAMES), unique=True, min_size=1),
    processes=st.integers(1, 16),
)
def test_read_models_sharing_folds_stay_together(
    names: list[str], processes: int
) -> None:
    groups = split(names, processes)
    for together in TOGETHER:
        holding = [g for g in groups if together & set(g)]
        assert len(holding) <= 1


@given(
    names=st.lists(st.sampled_from(NAMES), unique=True, min_size=1),
    processes=st.integers(1, 16),
)
def test_groups_are_balanced(names: list[str], processes: int) -> None:
    """Heaviest first into the lightest group: no group exceeds the even share
    by more than the heaviest unit (the greedy schedule's bound)."""
    groups = split(names, processes)
    units = [list(t & set(names)) for t in TOGETHER if t & set(names)]
    units += [[n] for n in names if not any(n in t for t in TOGETHER)]
    heaviest = max(cost(u) for u in units)
    share = cost(names) / len(groups)
    assert max(cost(g) for g in groups) <= share + heaviest + 1e-9
    # and never more groups than units, nor an idle process when units remain
    assert len(groups) == min(processes, len(units))


def test_deterministic_and_known_costs() -> None:
    assert set(COSTS) == set(NAMES)
    assert split(NAMES, 2) == split(list(NAMES), 2)
    assert split(NAMES, 1) == [NAMES]


def test_processes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="processes"):
        split(NAMES, 0)


def test_processes_from_the_settings() -> None:
    postgres = "postgresql://u@localhost/db"
    assert projector_processes(Settings(options={"PROJECTOR_PROCESSES": "4"})) == 1
    assert (
        projector_processes(
            Settings(database_url=postgres, options={"PROJECTOR_PROCESSES": "3"})
        )
        == 3
    )
    default = projector_processes(Settings(database_url=postgres))
    assert 1 <= default <= 4
    assert projector_processes(Settings(), postgres=True) == default
    groups = projector_groups(
        Settings(database_url=postgres, options={"PROJECTOR_PROCESSES": "16"})
    )
    assert len(groups) == len(split(NAMES, 16))  # never more than the units


def test_a_bad_process_count_is_refused() -> None:
    with pytest.raises(InvalidSettingError, match="MOTCUA_PROJECTOR_PROCESSES"):
        Settings(options={"PROJECTOR_PROCESSES": "0"})
