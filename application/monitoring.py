"""Indicator reports for monitors: one unit subtree and period, optionally split.

Figures are sums over dossiers, so any split (by unit, procedure, month…)
and the national pull's day buckets add up to the same numerators and
denominators as the whole period judged at the same period end.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from domain.directory import ENDINGS, UnitChange, successors
from domain.evaluation import DEFAULT_THRESHOLDS, UnitEvaluation, evaluate_sums
from domain.indicator_facts import DossierFacts
from domain.indicator_tally import NOTHING, Tally, figures_of, tally_of, total
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
from projections.indicators import (
    VIETNAM,
    BucketKey,
    UnitOf,
    bucket_key,
    reception_day,
)


class Grouping(Enum):
    NONE = "none"
    AGENCY = "agency"
    PROCEDURE = "procedure"
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@functools.lru_cache(maxsize=65536)
def _child(agency: str, depth: int) -> str:
    """The unit at ``depth + 1`` that ``agency`` lies in (itself if higher)."""
    code = AgencyCode(agency)
    while code.depth > depth + 1:
        parent = code.parent
        if parent is None:
            break
        code = parent
    return str(code)


def _agency_key(scope: str) -> Callable[[BucketKey], str]:
    depth = AgencyCode(scope).depth
    return lambda key: _child(key.agency, depth)


def _day(facts: DossierFacts) -> str:
    return reception_day(facts) or ""


def _quarter(day: str) -> str:
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"


KEYS: dict[Grouping, Callable[[str], Callable[[BucketKey], str]]] = {
    Grouping.NONE: lambda scope: lambda _k: scope,
    Grouping.AGENCY: _agency_key,
    Grouping.PROCEDURE: lambda _s: lambda k: k.procedure,
    Grouping.DAY: lambda _s: lambda k: k.day,
    Grouping.MONTH: lambda _s: lambda k: k.day[:7],
    Grouping.QUARTER: lambda _s: lambda k: _quarter(k.day),
    Grouping.YEAR: lambda _s: lambda k: k.day[:4],
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
    tally: Tally
    """The whole period's counts (TT 01/2018 evaluation, R-27 statistics)."""


def scorecard(
    key: str,
    dossiers: Sequence[DossierFacts],
    end: datetime,
    complaints: Sequence[ComplaintFacts] = (),
    complained: frozenset[str] = frozenset(),
) -> Scorecard:
    figures = compute(
        Inputs(
            dossiers,
            end,
            complaints=complaints,
            complained_dossiers=complained,
        )
    )
    return Scorecard(key, figures, group_scores(figures))


def tally_scorecard(
    key: str, tally: Tally, complaints: Sequence[ComplaintFacts] = ()
) -> Scorecard:
    figures = figures_of(tally, complaints)
    return Scorecard(key, figures, group_scores(figures))


def entries(
    dossiers: Sequence[DossierFacts],
    end: datetime,
    complained: frozenset[str] = frozenset(),
) -> list[tuple[BucketKey, Tally]]:
    """Dossier by dossier what the read model's buckets hold pre-summed."""
    found = []
    for facts in dossiers:
        key = bucket_key(facts)
        if key is not None:
            tally = tally_of(facts, end, complained=facts.code in complained)
            found.append((key, tally))
    return found


DAYS = {
    Grouping.DAY: "day",
    Grouping.MONTH: "month",
    Grouping.QUARTER: "month",
    Grouping.YEAR: "month",
}


def detail(grouping: Grouping, mapped: bool = False) -> tuple[str, bool]:
    """How finely ``IndicatorView.tallies`` must sum for ``grouping``: its
    ``days`` and ``procedures`` (by procedure too when units are mapped: a
    split unit's successor depends on it)."""
    return DAYS.get(grouping, "all"), mapped or grouping is Grouping.PROCEDURE


def report(
    agency_code: str,
    first_day: date,
    last_day: date,
    counted: Sequence[tuple[BucketKey, Tally]],
    grouping: Grouping = Grouping.NONE,
    complaints: Sequence[ComplaintFacts] = (),
) -> Report:
    """Complaints are split only by unit (they have no procedure); other splits
    leave 5.2 and 5.3 to the total."""
    parts: dict[str, list[Tally]] = defaultdict(list)
    key = KEYS[grouping](agency_code)
    for bucket, tally in counted:
        parts[key(bucket)].append(tally)
    split = {k: total(v) for k, v in parts.items()}
    by_unit: dict[str, list[ComplaintFacts]] = defaultdict(list)
    if grouping is Grouping.AGENCY:
        depth = AgencyCode(agency_code).depth
        for complaint in complaints:
            by_unit[_child(complaint.agency, depth)].append(complaint)
            split.setdefault(_child(complaint.agency, depth), NOTHING)
    rows = (
        [tally_scorecard(k, split[k], by_unit.get(k, ())) for k in sorted(split)]
        if grouping is not Grouping.NONE
        else []
    )
    whole = total(tally for _, tally in counted)
    return Report(
        agency_code,
        first_day,
        last_day,
        DEFINITIONS_VERSION,
        tally_scorecard(agency_code, whole, complaints),
        rows,
        whole,
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


def successor_units(changes: Sequence[UnitChange], day: date) -> UnitOf:
    """Report each unit under the living unit carrying it on ``day``: a split
    unit's procedure goes to the successor the plan named for it (the first
    successor when the plan named none, so a dossier still counts once); a
    unit dissolved without successor stays under its own code."""
    endings = {c.code for c in changes if c.kind in ENDINGS and c.effective_on <= day}

    @functools.cache
    def unit_of(agency: str, procedure: str) -> str:
        if agency not in endings:
            return agency
        found = successors(changes, agency, day, procedure or None)
        return found[0] if found else agency

    return unit_of


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


def digitization(tally: Tally) -> Digitization:
    return Digitization(
        received=tally.received,
        with_digitized_components=tally.with_digitized,
        with_reused_components=tally.reused,
        from_national_warehouse=tally.national,
        components_digitized=tally.components_digitized,
        components_signed=tally.components_signed,
        components_reused=tally.components_reused,
        resolved=tally.resolved,
        results_electronic=tally.electronic_result,
    )


def evaluation(
    tally: Tally,
    entered: Mapping[int, int] | None = None,
    thresholds: Sequence[tuple[Decimal, str]] = DEFAULT_THRESHOLDS,
) -> UnitEvaluation:
    """TT 01/2018 for the period from the summed per-dossier indices."""
    sums = {1: tally.index1, 3: tally.index3, 4: tally.index4, 7: tally.index7}
    return evaluate_sums(tally.received, sums, entered, thresholds)
