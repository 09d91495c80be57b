"""Read models split into projector groups of similar cost."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.settings import InvalidSettingError, Settings
from api.wiring import projector_groups, projector_processes
from projections.groups import DECODES, DECODING, OWN, TOGETHER, cost, split
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


def _every_split(units: list[list[str]], processes: int) -> list[list[list[str]]]:
    """Every assignment of units to group numbers (independent of ``split``)."""
    found = []
    for labels in itertools.product(range(processes), repeat=len(units)):
        groups = [
            [
                n
                for unit, label in zip(units, labels, strict=True)
                if label == g
                for n in unit
            ]
            for g in range(processes)
        ]
        found.append([g for g in groups if g])
    return found


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.sampled_from(NAMES), unique=True, min_size=1, max_size=7),
    processes=st.integers(1, 4),
)
def test_the_heaviest_group_is_as_light_as_any_split_allows(
    names: list[str], processes: int
) -> None:
    """Against brute force over every assignment: no split has a lighter
    heaviest group, and among those none costs less in all."""
    groups = split(names, processes)
    units = [[n for n in names if n in t] for t in TOGETHER if t & set(names)]
    units += [[n] for n in names if not any(n in t for t in TOGETHER)]
    splits = _every_split(units, processes)
    lightest = min(max(cost(g) for g in s) for s in splits)
    assert max(cost(g) for g in groups) == pytest.approx(lightest)
    least = min(
        sum(cost(g) for g in s)
        for s in splits
        if max(cost(g) for g in s) <= lightest + 1e-6
    )
    assert sum(cost(g) for g in groups) == pytest.approx(least)


def test_decoding_is_paid_once_per_group() -> None:
    """Read models decoding the same events cost less together than apart."""
    both = cost(["timeline", "control_sheet"])
    assert both == pytest.approx(
        OWN["timeline"] + OWN["control_sheet"] + DECODING["dossier"]
    )
    assert cost(["timeline"]) + cost(["control_sheet"]) == pytest.approx(
        both + DECODING["dossier"]
    )


def test_declared_decoding_matches_the_topics() -> None:
    """A read model declared to decode a kind takes such events, and every read
    model taking many dossier events is declared (a new one is not forgotten)."""
    for name, kinds in DECODES.items():
        topics = READ_MODELS[name]().topics
        for kind in kinds:
            module = {
                "dossier": "domain.dossier:",
                "document": "domain.digitized_document:",
            }[kind]
            assert any(t.startswith(module) for t in topics), (name, kind)
    for name, model in READ_MODELS.items():
        dossier_topics = [t for t in model().topics if t.startswith("domain.dossier:")]
        if len(dossier_topics) >= 5:
            assert "dossier" in DECODES.get(name, frozenset()), name
    assert set().union(*DECODES.values()) <= set(DECODING)


def test_the_four_process_split_of_every_read_model() -> None:
    """With a core each: the status folds, timeline + control sheet, the
    indicators, the documents' read models with the small ones."""
    assert sorted(map(sorted, split(NAMES, 4))) == sorted(
        map(
            sorted,
            [
                ["public_status", "worklist", "citizen"],
                ["timeline", "control_sheet"],
                ["indicators"],
                ["warehouse", "catalogue", "complaints", "directory"],
            ],
        )
    )


def test_deterministic_and_known_costs() -> None:
    assert set(OWN) == set(NAMES)
    assert set(DECODES) <= set(NAMES)
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
