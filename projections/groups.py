"""Read models split into groups of similar cost, one projector process each.

A projector process pays for every event once per read model that takes it
(handlers, folds, writes) and once for decoding it; with the read models of
one process costing ~100 µs per event, one process cannot keep up with the
log on PostgreSQL. Each group is followed by its own process with its own
tracking positions (one row per read model, as always), so the groups never
wait for each other.

Read models that share work inside a batch stay together: the worklist, the
citizen view and the public lookup fold each dossier event once for all three
(``projections.dossier_rows``), so splitting them would fold it three times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

COSTS: dict[str, float] = {
    "public_status": 10.0,
    "worklist": 10.0,
    "citizen": 12.0,
    "timeline": 18.0,
    "catalogue": 1.0,
    "control_sheet": 9.0,
    "indicators": 43.0,
    "complaints": 0.5,
    "directory": 0.5,
    "warehouse": 15.0,
}
"""Projector CPU (µs) per event of ``bench project``'s log (1,500 simulated
dossiers, 23,394 events, PostgreSQL) for each read model rebuilt alone,
decoding included; the three that share folds weigh what they cost together
(32 µs, against 65 one by one). The weights the groups are balanced by; a
read model missing here weighs the mean."""

TOGETHER: tuple[frozenset[str], ...] = (
    frozenset({"public_status", "worklist", "citizen"}),
)
"""Read models kept in one group because they share a batch's folds."""


def cost(names: Iterable[str]) -> float:
    known = list(COSTS.values())
    mean = sum(known) / len(known)
    return sum(COSTS.get(name, mean) for name in names)


def split(names: Sequence[str], processes: int) -> list[list[str]]:
    """At most ``processes`` non-empty groups of similar cost, deterministic:
    units (a read model, or the members of a :data:`TOGETHER` set present in
    ``names``) heaviest first, each into the lightest group so far (ties to
    the first). Names keep their given order inside a group."""
    if processes < 1:
        raise ValueError("processes must be ≥ 1")
    units: list[list[str]] = []
    placed: set[str] = set()
    for name in names:
        if name in placed:
            continue
        together = next((t for t in TOGETHER if name in t), frozenset({name}))
        unit = [n for n in names if n in together and n not in placed]
        placed.update(unit)
        units.append(unit)
    units.sort(key=cost, reverse=True)  # stable: equal costs keep their order
    groups: list[list[str]] = [[] for _ in range(min(processes, len(units)))]
    for unit in units:
        lightest = min(range(len(groups)), key=lambda i: (cost(groups[i]), i))
        groups[lightest].extend(unit)
    order = {name: index for index, name in enumerate(names)}
    return [sorted(group, key=order.__getitem__) for group in groups if group]
