"""TT 01/2018 evaluation (R-30, R-31): per-dossier indices and a unit's total of 18.

Indices 1, 3, 4 and 7 follow from a dossier's own history (domain.md §2.6);
2 (each unit's step deadline), 5, 6, 8 and 9 are entered for the period by
the unit (self-score and appraised score), so a unit's total here is the
average of the per-dossier indices plus whatever of those was entered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from domain.indicator_facts import DossierFacts, supplement_requests
from domain.indicators import Judgement, Standing, judge_dvcqg

PER_DOSSIER = (1, 3, 4, 7)
DEFAULT_THRESHOLDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(15), "Xuất sắc"),
    (Decimal(12), "Tốt"),
    (Decimal(9), "Khá"),
    (Decimal(6), "Trung bình"),
)
"""(lower bound, class), highest first: > 15 Xuất sắc, 12–<15 Tốt, … , < 6 Yếu."""
LOWEST = "Yếu"


def dossier_indices(
    facts: DossierFacts,
    end: datetime,
    complained: bool,
    judged: Judgement | None = None,
) -> dict[int, int]:
    """Scores 0/1/2 of indices 1, 3, 4 and 7 for one finished or pending dossier
    (``judged``: ``judge_dvcqg(facts, end)`` when the caller has it already)."""
    if judged is None:
        judged = judge_dvcqg(facts, end)
    timing = {Standing.EARLY: 2, Standing.ON_TIME: 1}.get(judged.standing, 0)
    if judged.standing in (Standing.PENDING_ON_TIME,):
        timing = 1
    asked = supplement_requests(facts, end)
    contacts = 2 if asked == 0 else 1 if asked == 1 else 0
    units = 2 if asked == 0 else 1
    attitude = 0 if complained or not judged.on_time else min(timing, 2)
    return {1: timing, 3: contacts, 4: units, 7: attitude}


@dataclass(frozen=True)
class UnitEvaluation:
    dossiers: int
    averages: dict[int, Decimal]
    """Per-dossier indices averaged over the unit's dossiers (2 decimals)."""
    entered: dict[int, int]
    """Indices 2, 5, 6, 8, 9 as entered for the period."""
    total: Decimal
    maximum: int
    classification: str | None
    """Only when every index has a score (the total is then out of 18)."""


def classify(
    total: Decimal, thresholds: Sequence[tuple[Decimal, str]] = DEFAULT_THRESHOLDS
) -> str:
    top, top_name = thresholds[0]
    if total > top:
        return top_name
    for bound, name in thresholds[1:]:
        if total >= bound:
            return name
    return LOWEST


def evaluate(
    dossiers: Sequence[DossierFacts],
    end: datetime,
    complained: frozenset[str] = frozenset(),
    entered: Mapping[int, int] | None = None,
    thresholds: Sequence[tuple[Decimal, str]] = DEFAULT_THRESHOLDS,
) -> UnitEvaluation:
    received = [f for f in dossiers if f.accepted]
    sums = dict.fromkeys(PER_DOSSIER, 0)
    for facts in received:
        for index, score in dossier_indices(
            facts, end, facts.code in complained
        ).items():
            sums[index] += score
    return evaluate_sums(len(received), sums, entered, thresholds)


def evaluate_sums(
    received: int,
    sums: Mapping[int, int],
    entered: Mapping[int, int] | None = None,
    thresholds: Sequence[tuple[Decimal, str]] = DEFAULT_THRESHOLDS,
) -> UnitEvaluation:
    """The unit's evaluation from the per-dossier indices summed over its
    ``received`` dossiers (what the read model's buckets keep)."""
    averages = {
        index: _two(Fraction(sums.get(index, 0), received))
        if received
        else Decimal("0.00")
        for index in PER_DOSSIER
    }
    given = {
        i: max(0, min(2, s)) for i, s in (entered or {}).items() if i not in averages
    }
    total = sum(averages.values(), Decimal(0)) + sum(given.values())
    maximum = 2 * (len(averages) + len(given))
    complete = maximum == 18 and received > 0
    return UnitEvaluation(
        received,
        averages,
        given,
        total,
        maximum,
        classify(total, thresholds) if complete else None,
    )


def _two(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
