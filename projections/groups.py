"""Read models split into groups of similar cost, one projector process each.

A projector process pays for every event once per read model that takes it
(handlers, folds, writes) and once for decoding it; with the read models of
one process costing ~100 µs per event, one process cannot keep up with the
log on PostgreSQL. Each group is followed by its own process with its own
tracking positions (one row per read model, as always), so the groups never
wait for each other.

Read models that share work inside a batch stay together (:data:`TOGETHER`):
the worklist, the citizen view and the public lookup fold each dossier event
once for all three (``projections.dossier_rows``), and every process decodes
each event it takes once for all its read models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

COSTS: dict[str, float] = {
    "public_status": 10.0,
    "worklist": 10.0,
    "citizen": 12.0,
    "timeline": 4.0,
    "control_sheet": 4.0,
    "indicators": 44.0,
    "warehouse": 15.0,
    "catalogue": 1.0,
    "complaints": 0.5,
    "directory": 0.5,
}
"""Projector CPU (µs) per event of ``bench project``'s log (1,500 simulated
dossiers, 23,394 events, PostgreSQL, profiled with py-spy): each read model
rebuilt alone, decoding of the events it takes included (~15 µs per event of
the log for the dossier events, ~9 µs for the documents' events). Timeline and
control sheet weigh what they add to a process that decodes dossier events
anyway; the three that share folds weigh what they cost together (32 µs,
against 65 one by one). A read model missing here weighs the mean."""

TOGETHER: tuple[frozenset[str], ...] = (
    frozenset({"public_status", "worklist", "citizen", "timeline", "control_sheet"}),
)
"""Read models kept in one group: the worklist, citizen view and public lookup
share a batch's folds, and timeline and control sheet take the same dossier
events (decoding them costs more than their own handlers). The indicators take
them too, but alone they weigh as much as these five together, so they stand
apart and two processes can follow the dossier events in parallel."""


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
