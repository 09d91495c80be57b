"""The agency directory over time: pure folds of agency lifecycle changes.

``structure_as_of`` answers "which units existed on day D, under which name
and parent"; ``successors`` answers "who carries on unit X today" by
following merges, splits, code changes and dissolutions to living units.
Old codes are never reused or rewritten: they stay the identifiers of
their history, and these folds only add the way forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

ENDINGS = frozenset({"CodeChanged", "MergedInto", "Split", "Dissolved"})


@dataclass(frozen=True)
class UnitChange:
    """One recorded change of one unit, as the directory read model keeps it."""

    code: str
    kind: str
    """Registered, Renamed, Reparented, CodeChanged, MergedInto, Split, Dissolved."""
    effective_on: date
    sequence: int = 0
    """Order among the unit's own changes (its aggregate version)."""
    name: str | None = None
    level: str | None = None
    parent: str | None = None
    successors: tuple[str, ...] = ()
    procedure_successors: tuple[tuple[str, str], ...] = ()
    legal_act: str | None = None


@dataclass(frozen=True)
class UnitAsOf:
    code: str
    name: str
    level: str
    parent: str | None
    legal_act: str | None
    """The act of the unit's latest change up to that day (None: undated seed)."""


def _ordered(changes: Iterable[UnitChange]) -> list[UnitChange]:
    return sorted(changes, key=lambda c: (c.effective_on, c.code, c.sequence))


def structure_as_of(changes: Iterable[UnitChange], day: date) -> dict[str, UnitAsOf]:
    """Every unit that existed on ``day``: established on or before it and not
    ended on or before it (a unit merged on 1 July is gone on 1 July)."""
    units: dict[str, UnitAsOf] = {}
    for change in _ordered(changes):
        if change.effective_on > day:
            break
        current = units.get(change.code)
        if change.kind == "Registered":
            units[change.code] = UnitAsOf(
                change.code,
                change.name or change.code,
                change.level or "",
                change.parent,
                change.legal_act,
            )
        elif current is None:
            continue
        elif change.kind == "Renamed":
            units[change.code] = _with(current, change, name=change.name)
        elif change.kind == "Reparented":
            units[change.code] = _with(current, change, parent=change.parent)
        elif change.kind in ENDINGS:
            del units[change.code]
    return units


def _with(
    unit: UnitAsOf,
    change: UnitChange,
    *,
    name: str | None = None,
    parent: str | None = None,
) -> UnitAsOf:
    return UnitAsOf(
        unit.code,
        name or unit.name,
        unit.level,
        parent or unit.parent,
        change.legal_act or unit.legal_act,
    )


def successors(
    changes: Iterable[UnitChange],
    code: str,
    day: date,
    procedure: str | None = None,
) -> tuple[str, ...]:
    """The living units that carry on ``code`` on ``day`` (``code`` itself while
    it lives; empty for an unknown unit or one dissolved without successor).

    A split unit hands each procedure to the successor its plan named; without
    ``procedure`` (or for one the plan did not name) every successor is
    returned. Chains (merged, then merged again) are followed to the end.
    """
    endings, known = _index(changes, day)
    return _follow(code, endings, known, procedure, frozenset())


def _index(
    changes: Iterable[UnitChange], day: date
) -> tuple[dict[str, UnitChange], set[str]]:
    endings: dict[str, UnitChange] = {}
    known: set[str] = set()
    for change in changes:
        known.add(change.code)
        if change.kind in ENDINGS and change.effective_on <= day:
            endings[change.code] = change
    return endings, known


def _follow(
    code: str,
    endings: Mapping[str, UnitChange],
    known: set[str],
    procedure: str | None,
    seen: frozenset[str],
) -> tuple[str, ...]:
    if code not in known or code in seen:
        return ()
    ending = endings.get(code)
    if ending is None:
        return (code,)
    per_procedure = dict(ending.procedure_successors)
    if procedure is not None and procedure in per_procedure:
        nexts: tuple[str, ...] = (per_procedure[procedure],)
    else:
        nexts = ending.successors
    found: list[str] = []
    for unit in nexts:
        for living in _follow(unit, endings, known, procedure, seen | {code}):
            if living not in found:
                found.append(living)
    return tuple(found)


def successor_map(
    changes: Iterable[UnitChange], day: date
) -> dict[str, tuple[str, ...]]:
    """Every unit ever recorded → the living units carrying it on ``day``."""
    endings, known = _index(changes, day)
    return {
        code: _follow(code, endings, known, None, frozenset()) for code in sorted(known)
    }
