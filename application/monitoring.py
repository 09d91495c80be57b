"""Indicator reports for monitors: one unit subtree and period, optionally split.

Figures are sums over dossiers, so any split (by unit, procedure, month…)
and the national pull's day buckets add up to the same numerators and
denominators as the whole period judged at the same period end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from domain.indicator_facts import END_RESOLVED, DossierFacts
from domain.indicators import (
    DEFINITIONS_VERSION,
    ComplaintFacts,
    Figure,
    GroupScore,
    Inputs,
    compute,
    group_scores,
    judge_dvcqg,
)
from domain.values import AgencyCode
from projections.indicators import VIETNAM, reception_day


class Grouping(Enum):
    NONE = "none"
    AGENCY = "agency"
    PROCEDURE = "procedure"
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def _child(agency: str, depth: int) -> str:
    """The unit at ``depth + 1`` that ``agency`` lies in (itself if higher)."""
    code = AgencyCode(agency)
    while code.depth > depth + 1:
        parent = code.parent
        if parent is None:
            break
        code = parent
    return str(code)


def _agency_key(scope: str) -> Callable[[DossierFacts], str]:
    depth = AgencyCode(scope).depth
    return lambda facts: _child(facts.competent_agency, depth)


def _day(facts: DossierFacts) -> str:
    return reception_day(facts) or ""


KEYS: dict[Grouping, Callable[[str], Callable[[DossierFacts], str]]] = {
    Grouping.NONE: lambda scope: lambda _f: scope,
    Grouping.AGENCY: _agency_key,
    Grouping.PROCEDURE: lambda _s: lambda f: f.procedure_code,
    Grouping.DAY: lambda _s: _day,
    Grouping.MONTH: lambda _s: lambda f: _day(f)[:7],
    Grouping.QUARTER: lambda _s: (
        lambda f: f"{_day(f)[:4]}-Q{(int(_day(f)[5:7]) - 1) // 3 + 1}"
    ),
    Grouping.YEAR: lambda _s: lambda f: _day(f)[:4],
}


@dataclass(frozen=True)
class Scorecard:
    key: str
    figures: list[Figure]
    groups: list[GroupScore]

    @property
    def score(self) -> float:
        return float(sum(g.points for g in self.groups))

    @property
    def computed_max(self) -> int:
        return sum(g.computed_max for g in self.groups)


@dataclass(frozen=True)
class Report:
    agency_code: str
    first_day: date
    last_day: date
    version: int
    total: Scorecard
    rows: list[Scorecard]


def scorecard(
    key: str,
    dossiers: Sequence[DossierFacts],
    end: datetime,
    synced: frozenset[str] = frozenset(),
    complaints: Sequence[ComplaintFacts] = (),
    complained: frozenset[str] = frozenset(),
) -> Scorecard:
    figures = compute(
        Inputs(
            dossiers,
            end,
            synced=synced,
            complaints=complaints,
            complained_dossiers=complained,
        )
    )
    return Scorecard(key, figures, group_scores(figures))


def report(
    agency_code: str,
    first_day: date,
    last_day: date,
    dossiers: Sequence[DossierFacts],
    end: datetime,
    grouping: Grouping = Grouping.NONE,
    synced: frozenset[str] = frozenset(),
    complaints: Sequence[ComplaintFacts] = (),
    complained: frozenset[str] = frozenset(),
) -> Report:
    """Complaints are split only by unit (they have no procedure); other splits
    leave 5.2 and 5.3 to the total."""
    split: dict[str, list[DossierFacts]] = defaultdict(list)
    key = KEYS[grouping](agency_code)
    for facts in dossiers:
        split[key(facts)].append(facts)
    by_unit: dict[str, list[ComplaintFacts]] = defaultdict(list)
    if grouping is Grouping.AGENCY:
        depth = AgencyCode(agency_code).depth
        for complaint in complaints:
            by_unit[_child(complaint.agency, depth)].append(complaint)
            split.setdefault(_child(complaint.agency, depth), [])
    rows = (
        [
            scorecard(k, split[k], end, synced, by_unit.get(k, ()), complained)
            for k in sorted(split)
        ]
        if grouping is not Grouping.NONE
        else []
    )
    return Report(
        agency_code,
        first_day,
        last_day,
        DEFINITIONS_VERSION,
        scorecard(agency_code, dossiers, end, synced, complaints, complained),
        rows,
    )


@dataclass(frozen=True)
class BehindFigure:
    """One dossier a figure did not count as passing, and why."""

    code: str
    procedure_code: str
    competent_agency: str
    received_on: str
    reason: str


def late_dossiers(
    dossiers: Sequence[DossierFacts], end: datetime
) -> list[BehindFigure]:
    """Indicator 2.1's drill-down: which dossiers were late, and why."""
    found = []
    for facts in dossiers:
        judged = judge_dvcqg(facts, end)
        if not judged.on_time:
            found.append(
                BehindFigure(
                    facts.code or facts.dossier_id,
                    facts.procedure_code,
                    facts.competent_agency,
                    _day(facts),
                    f"{judged.standing.value}: {judged.reason}",
                )
            )
    return found


def behind(
    dossiers: Sequence[DossierFacts], end: datetime, indicator: str
) -> list[BehindFigure]:
    """The dossiers behind the complement of any dossier-level figure."""
    if indicator in ("2.1",):
        return late_dossiers(dossiers, end)
    figure = next(
        (f for f in compute(Inputs(dossiers, end)) if f.definition.code == indicator),
        None,
    )
    if figure is None:
        return []
    by_code = {f.code or f.dossier_id: f for f in dossiers}
    return [
        BehindFigure(
            code,
            by_code[code].procedure_code,
            by_code[code].competent_agency,
            _day(by_code[code]),
            f"không đạt chỉ số {indicator}",
        )
        for code in dict.fromkeys(figure.dossiers)
        if code in by_code
    ]


def today() -> date:
    return datetime.now(VIETNAM).date()


@dataclass(frozen=True)
class Digitization:
    """R-27: what the provincial digitization plan reports, per unit and period."""

    received: int
    with_digitized_components: int
    with_reused_components: int
    from_national_warehouse: int
    components_digitized: int
    components_signed: int
    components_reused: int
    resolved: int
    results_electronic: int


def digitization(dossiers: Sequence[DossierFacts]) -> Digitization:
    received = [f for f in dossiers if f.accepted]
    resolved = [f for f in received if f.end_kind == END_RESOLVED]
    return Digitization(
        received=len(received),
        with_digitized_components=sum(f.digitized_components > 0 for f in received),
        with_reused_components=sum(f.reused_components > 0 for f in received),
        from_national_warehouse=sum(f.national_warehouse for f in received),
        components_digitized=sum(f.digitized_components for f in received),
        components_signed=sum(f.signed_components for f in received),
        components_reused=sum(f.reused_components for f in received),
        resolved=len(resolved),
        results_electronic=sum(f.electronic_result for f in resolved),
    )
