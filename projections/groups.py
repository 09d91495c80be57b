"""Read models split into groups of similar cost, one projector process each.

A projector process pays for every event once per read model that takes it
(handlers, folds, writes) and once for selecting and decoding it, however many
of its read models take it. Each group is followed by its own process with its
own tracking positions (one row per read model, as always), so the groups
never wait for each other, and with a core each the rate is bound by the
heaviest group.

A group's cost is therefore its read models' own costs plus the decoding of
each kind of event it takes, paid once per group (:func:`cost`). The split is
the one whose heaviest group costs least (then the least in all, then the most
even), found by trying every split: with a handful of units that is a few thousand.
Read models that share a batch's folds stay together (:data:`TOGETHER`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

OWN: dict[str, float] = {
    "public_status": 6.0,
    "worklist": 6.0,
    "citizen": 6.5,
    "timeline": 9.0,
    "control_sheet": 2.0,
    "indicators": 20.0,
    "warehouse": 9.0,
    "catalogue": 0.5,
    "complaints": 0.5,
    "directory": 0.5,
}
"""Projector CPU (µs) per event of ``bench project``'s log (1,500 simulated
dossiers, 24,829 events, PostgreSQL) that each read model adds to a process
already decoding its events. Measured in session 9 (load 4–8, so about 15 %
high), each group rebuilt alone: the three status read models 33.5 together,
with the timeline +10, timeline and control sheet alone 23–26, control sheet
with the documents' read models +12, indicators 35, warehouse with the small
ones 15.5; the decoding in :data:`DECODING` taken off."""


DECODING: dict[str, float] = {"dossier": 15.0, "document": 6.0}
"""Selecting and decoding one kind of event (µs per event of the log), paid
once by each group that takes it: dossier events (12,353 of the 24,829, with
personal data opened) and digitized documents' (8,076)."""

DECODES: dict[str, frozenset[str]] = {
    "public_status": frozenset({"dossier"}),
    "worklist": frozenset({"dossier"}),
    "citizen": frozenset({"dossier"}),
    "timeline": frozenset({"dossier"}),
    "control_sheet": frozenset({"dossier"}),
    "indicators": frozenset({"dossier"}),
    "warehouse": frozenset({"document"}),
}
"""The costly kinds of event each read model takes (the warehouse's one
dossier topic and the indicators' few others weigh little)."""

TOGETHER: tuple[frozenset[str], ...] = (
    frozenset({"public_status", "worklist", "citizen"}),
)
"""Read models kept in one group: the worklist, citizen view and public lookup
fold each dossier event once for all three (``projections.dossier_rows``)."""


def cost(names: Iterable[str]) -> float:
    """Projector CPU per event of the log of one process following ``names``;
    a read model missing from :data:`OWN` weighs the mean."""
    chosen = list(names)
    mean = sum(OWN.values()) / len(OWN)
    kinds = set().union(*(DECODES.get(name, frozenset()) for name in chosen))
    return sum(OWN.get(name, mean) for name in chosen) + sum(
        DECODING[kind] for kind in kinds
    )


def _units(names: Sequence[str]) -> list[list[str]]:
    units: list[list[str]] = []
    placed: set[str] = set()
    for name in names:
        if name in placed:
            continue
        together = next((t for t in TOGETHER if name in t), frozenset({name}))
        unit = [n for n in names if n in together and n not in placed]
        placed.update(unit)
        units.append(unit)
    return units


def _partitions(count: int, most: int) -> Iterator[list[int]]:
    """Every split of ``count`` units into at most ``most`` groups, once each:
    a group number per unit, each new group numbered next."""
    labels = [0] * count

    def place(index: int, used: int) -> Iterator[list[int]]:
        if index == count:
            yield labels
            return
        for label in range(min(used + 1, most)):
            labels[index] = label
            yield from place(index + 1, max(used, label + 1))

    yield from place(0, 0)


def split(names: Sequence[str], processes: int) -> list[list[str]]:
    """At most ``processes`` non-empty groups: the split whose heaviest group
    costs least, then the least in all (decoding paid once more per group),
    then the most even (sum of squares: light read models go to the lightest
    groups), then fewest groups, then the first found; deterministic. Names keep their
    given order inside a group, groups the order of their first name."""
    if processes < 1:
        raise ValueError("processes must be ≥ 1")
    units = _units(names)
    if not units:
        return []
    best: tuple[float, float, float, int] | None = None
    chosen: list[list[str]] = []
    for labels in _partitions(len(units), min(processes, len(units))):
        groups: list[list[str]] = [[] for _ in range(max(labels) + 1)]
        for unit, label in zip(units, labels, strict=True):
            groups[label].extend(unit)
        costs = [cost(group) for group in groups]
        # Rounded: costs are estimates, and float noise must not pick a split.
        key = (
            round(max(costs), 6),
            round(sum(costs), 6),
            round(sum(c * c for c in costs), 6),
            len(groups),
        )
        if best is None or key < best:
            best, chosen = key, groups
    order = {name: index for index, name in enumerate(names)}
    return [sorted(group, key=order.__getitem__) for group in chosen]
