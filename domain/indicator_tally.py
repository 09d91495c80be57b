"""Indicator counts as sums: what one dossier adds to every figure at a period end.

A ``Tally`` is additive, so the read model can keep day buckets pre-summed
and a province-quarter query reads buckets instead of dossiers. A dossier's
tally stops depending on the period end once it has *settled* (``settled_at``):
from then on every figure judges it the same way, whatever period end is
asked for, so its contribution can be summed into a bucket for good.
``figures_of`` turns a tally into the same figures ``compute`` gives.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from fractions import Fraction

from domain.evaluation import dossier_indices
from domain.indicator_facts import (
    END_RESOLVED,
    END_RETURNED,
    END_STOPPED,
    END_WITHDRAWN,
    ONLINE_PAYMENT,
    DossierFacts,
    supplement_time,
)
from domain.indicators import (
    BY_CODE,
    ComplaintFacts,
    Figure,
    judge_dvcqg,
    judge_local,
)


@dataclass(frozen=True)
class Tally:
    """Counts over accepted dossiers (integers only, so sums are exact)."""

    received: int = 0
    synced: int = 0
    on_time: int = 0
    local_judged: int = 0
    local_on_time: int = 0
    completed: int = 0
    handling_seconds: int = 0
    online: int = 0
    with_fees: int = 0
    paid_online: int = 0
    resolved: int = 0
    electronic_result: int = 0
    digitized_ok: int = 0
    reused: int = 0
    national: int = 0
    unhappy: int = 0
    with_digitized: int = 0
    components_digitized: int = 0
    components_signed: int = 0
    components_reused: int = 0
    index1: int = 0
    index3: int = 0
    index4: int = 0
    index7: int = 0

    def __add__(self, other: Tally) -> Tally:
        return _tally(map(operator.add, _values(self), _values(other)))

    def __sub__(self, other: Tally) -> Tally:
        return _tally(map(operator.sub, _values(self), _values(other)))

    def values(self) -> tuple[int, ...]:
        return _values(self)

    @property
    def empty(self) -> bool:
        return not any(_values(self))


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Tally))
_COLUMN_SET = frozenset(COLUMNS)
_values: Callable[[Tally], tuple[int, ...]] = operator.attrgetter(*COLUMNS)
NOTHING = Tally()


def _tally(values: Iterable[int]) -> Tally:
    """``Tally(*values)`` without the frozen dataclass's ``__init__``: its 24
    ``object.__setattr__`` calls were most of what adding two tallies cost
    (9 → 3 µs), and a rebuild adds and judges tallies for every event. The
    same instance (no ``__post_init__`` to run)."""
    tally = _NEW(Tally)
    _SET(tally, "__dict__", dict(zip(COLUMNS, values, strict=True)))
    return tally


def _named(**values: int) -> Tally:
    """``Tally(**values)`` for every column, the same way."""
    if values.keys() != _COLUMN_SET:
        raise TypeError(f"a tally has columns {COLUMNS}, not {tuple(values)}")
    tally = _NEW(Tally)
    _SET(tally, "__dict__", values)
    return tally


_NEW = object.__new__
_SET = object.__setattr__


def total(tallies: Iterable[Tally]) -> Tally:
    """The column sums (one pass: a province-quarter adds thousands of buckets)."""
    columns = [0] * len(COLUMNS)
    for tally in tallies:
        columns = list(map(operator.add, columns, _values(tally)))
    return _tally(columns)


def settled_at(facts: DossierFacts) -> datetime | None:
    """From when the dossier's tally no longer depends on the period end; None
    while it may still change with it (unfinished, or finished without a
    verdict of the local clock, which then keeps judging it at each period end)."""
    if facts.end_at is None or facts.received_at is None:
        return None
    if facts.end_kind not in (END_STOPPED, END_WITHDRAWN) and (
        facts.local_timeliness is None
    ):
        return None
    moments = [facts.end_at, facts.received_at]
    for requested, answered in facts.supplements:
        moments.append(requested)
        if answered is not None:
            moments.append(answered)
    moments.extend(since for since, _ in facts.local_dues)
    if facts.synced_at is not None:
        moments.append(facts.synced_at)
    return max(moments)


_TICK = timedelta(microseconds=1)


def _changes(facts: DossierFacts) -> set[datetime]:
    """Every moment from which ``tally_of(facts, end)`` may differ from just
    before it: the facts' own moments, the local clock's due times passing,
    and where DVCQG's effective time (the end minus supplement time, linear
    between the supplement moments) crosses the appointment."""
    assert facts.received_at is not None
    found = {facts.received_at}
    if facts.end_at is not None:
        found.add(facts.end_at)
    if facts.synced_at is not None:
        found.add(facts.synced_at)
    for requested, answered in facts.supplements:
        found.add(requested)
        if answered is not None:
            found.add(answered)
    for since, due in facts.local_dues:
        found.add(since)
        if due is not None:
            found.update((due, due + _TICK))
    if facts.due_at is not None:
        bounds = sorted(found)
        for start, stop in zip(bounds, [*bounds[1:], None], strict=True):
            open_at = sum(
                requested <= start and (answered is None or answered > start)
                for requested, answered in facts.supplements
            )
            slope = 1 - open_at
            if slope == 0:
                continue
            effective = start - supplement_time(facts, start)
            crossing = start + (facts.due_at - effective) / slope
            if crossing >= start and (stop is None or crossing < stop):
                found.update((crossing - _TICK, crossing, crossing + _TICK))
    return found


def tally_segments(facts: DossierFacts) -> list[tuple[datetime, Tally]]:
    """The dossier's tally as a step function of the period end: ``(from,
    tally)`` pairs in time order, each holding from its moment until the next
    one's (the last one for good once the dossier has settled). What a
    period end before the reception would give is left out: no period that
    counts the dossier ends before it was received."""
    if not facts.accepted or facts.received_at is None:
        return []
    received = facts.received_at
    fixed = _fixed(facts)  # the same at every moment: made once
    steps: list[tuple[datetime, Tally]] = []
    for moment in sorted(m for m in _changes(facts) if m >= received):
        tally = _judged(facts, moment, False, fixed)
        if not steps or steps[-1][1] != tally:
            steps.append((moment, tally))
    return steps


def tally_of(
    facts: DossierFacts,
    end: datetime,
    *,
    complained: bool = False,
) -> Tally:
    """What one dossier adds to every figure judged at period end ``end``."""
    if not facts.accepted or facts.received_at is None:
        return NOTHING
    return _judged(facts, end, complained, _fixed(facts))


def _fixed(facts: DossierFacts) -> dict[str, int]:
    """The columns that do not depend on the period end (nor on complaints)."""
    resolved = facts.end_kind == END_RESOLVED
    used = facts.digitized_components + facts.reused_components
    return {
        "online": int(facts.channel == "online"),
        "with_fees": int(facts.fees_due),
        "paid_online": int(facts.fees_due and facts.paid_channel in ONLINE_PAYMENT),
        "resolved": int(resolved),
        "electronic_result": int(resolved and facts.electronic_result),
        "digitized_ok": int(used > 0 and (not resolved or facts.electronic_result)),
        "reused": int(facts.reused_components > 0),
        "national": int(facts.national_warehouse),
        "with_digitized": int(facts.digitized_components > 0),
        "components_digitized": facts.digitized_components,
        "components_signed": facts.signed_components,
        "components_reused": facts.reused_components,
    }


def _judged(
    facts: DossierFacts, end: datetime, complained: bool, fixed: dict[str, int]
) -> Tally:
    assert facts.received_at is not None
    judged = judge_dvcqg(facts, end)
    local = judge_local(facts, end)
    seconds, completed = 0, 0
    if (
        facts.end_kind in (END_RESOLVED, END_RETURNED)
        and facts.end_at is not None
        and facts.end_at <= end
    ):
        spent = facts.end_at - facts.received_at - supplement_time(facts, facts.end_at)
        seconds, completed = int(spent.total_seconds()), 1
    indices = dossier_indices(facts, end, complained, judged)
    return _named(
        received=1,
        synced=int(facts.synced_at is not None and facts.synced_at <= end),
        on_time=int(judged.on_time),
        local_judged=int(local is not None),
        local_on_time=int(local is not None and local.on_time),
        completed=completed,
        handling_seconds=seconds,
        unhappy=int(facts.satisfaction == "dissatisfied" or complained),
        index1=indices[1],
        index3=indices[3],
        index4=indices[4],
        index7=indices[7],
        **fixed,
    )


def _figure(code: str, numerator: int, denominator: int) -> Figure:
    return Figure(BY_CODE[code], Fraction(numerator), denominator)


def figures_of(tally: Tally, complaints: Sequence[ComplaintFacts] = ()) -> list[Figure]:
    """The figures of ``compute`` (same order, same numbers) from a tally."""
    t = tally
    late = t.received - t.on_time
    satisfied = max(0, t.received - late - t.unhappy) if t.received else 0
    return [
        _figure("1.4", t.synced, t.received),
        _figure("2.1", t.on_time, t.received),
        _figure("2.1L", t.local_on_time, t.local_judged),
        Figure(BY_CODE["2.2"], Fraction(t.handling_seconds, 3600), t.completed),
        _figure("3.3", t.online, t.received),
        _figure("3.6", t.paid_online, t.with_fees),
        _figure("4.1", t.electronic_result, t.resolved),
        _figure("4.2", t.digitized_ok, t.received),
        _figure("4.3", t.reused, t.received),
        _figure("4.4", t.national, t.received),
        _figure("5.2", sum(c.on_time for c in complaints), len(complaints)),
        _figure(
            "5.3",
            sum(c.on_time and not c.dissatisfied for c in complaints),
            len(complaints),
        ),
        _figure("5.4", satisfied, t.received),
    ]
