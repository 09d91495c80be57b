"""QĐ 766 indicators over dossier facts: DVCQG's counting rules and scoring.

Each figure names the clock it uses: ``dvcqg`` (supplement time only
subtracted, more than one supplement request = late, unfinished dossiers
judged at the period end) or ``local`` (our clock, which also stops for
payment and honours one re-appointment). Periods are keyed by the
reception date. Ratios are exact fractions; points are rounded half-up
to 2 decimals; a zero denominator gives N/A, never a number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from fractions import Fraction

from domain.indicator_facts import (
    END_RESOLVED,
    END_RETURNED,
    END_STOPPED,
    END_WITHDRAWN,
    ONLINE_PAYMENT,
    DossierFacts,
    local_due,
    supplement_requests,
    supplement_time,
)

DEFINITIONS_VERSION = 1
"""Bump when a formula changes: the indicator read model is rebuilt under a new name."""


class Standing(Enum):
    """How a dossier stands for the on-time indicator at a period's end."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    PENDING_ON_TIME = "pending_on_time"
    PENDING_LATE = "pending_late"
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"

    @property
    def counts_on_time(self) -> bool:
        return self in (Standing.EARLY, Standing.ON_TIME, Standing.PENDING_ON_TIME)


@dataclass(frozen=True)
class Judgement:
    standing: Standing
    on_time: bool
    """What indicator 2.1 counts (stopped/withdrawn: judged by their end time)."""
    reason: str
    """Why, in words a monitor reads in the drill-down."""


def judge_dvcqg(facts: DossierFacts, period_end: datetime) -> Judgement:
    """DVCQG's rule for indicator 2.1 (domain.md §6.3, R-42)."""
    finished = facts.end_at is not None and facts.end_at <= period_end
    end = facts.end_at if finished and facts.end_at is not None else period_end
    effective = end - supplement_time(facts, end)
    if supplement_requests(facts, end) > 1:
        on_time, reason = False, "yêu cầu bổ sung hơn một lần"
    elif facts.due_at is None:
        on_time, reason = True, "thủ tục không có ngày hẹn trả"
    else:
        on_time = effective <= facts.due_at
        reason = "kết thúc trước hoặc đúng hạn" if on_time else "quá ngày hẹn trả"
    if finished and facts.end_kind == END_STOPPED:
        return Judgement(Standing.STOPPED, on_time, "dừng xử lý; " + reason)
    if finished and facts.end_kind == END_WITHDRAWN:
        return Judgement(Standing.WITHDRAWN, on_time, "công dân rút hồ sơ; " + reason)
    if not finished:
        standing = Standing.PENDING_ON_TIME if on_time else Standing.PENDING_LATE
        return Judgement(standing, on_time, "chưa kết thúc cuối kỳ; " + reason)
    if not on_time:
        return Judgement(Standing.LATE, False, reason)
    early = facts.due_at is not None and effective.date() < facts.due_at.date()
    return Judgement(Standing.EARLY if early else Standing.ON_TIME, True, reason)


def judge_local(facts: DossierFacts, period_end: datetime) -> Judgement | None:
    """Our own clock; stopped and withdrawn dossiers are not judged (None)."""
    finished = facts.end_at is not None and facts.end_at <= period_end
    if finished and facts.end_kind in (END_STOPPED, END_WITHDRAWN):
        return None
    if finished and facts.local_timeliness is not None:
        standing = Standing(facts.local_timeliness)
        return Judgement(standing, standing.counts_on_time, "theo đồng hồ địa phương")
    due = local_due(facts, period_end)
    on_time = due is None or period_end <= due
    standing = Standing.PENDING_ON_TIME if on_time else Standing.PENDING_LATE
    return Judgement(standing, on_time, "chưa kết thúc cuối kỳ (đồng hồ địa phương)")


@dataclass(frozen=True)
class Definition:
    code: str
    group: int
    name: str
    max_points: int
    target: Fraction | None = None
    """None: linear (points = ratio × max)."""
    clock: str = "dvcqg"


DEFINITIONS: tuple[Definition, ...] = (
    Definition("1.4", 1, "Hồ sơ đồng bộ lên Cổng DVCQG", 6),
    Definition("2.1", 2, "Hồ sơ xử lý trước hạn, đúng hạn", 20),
    Definition("2.1L", 2, "Hồ sơ đúng hạn theo đồng hồ địa phương", 0, clock="local"),
    Definition("2.2", 2, "Thời gian giải quyết trung bình (giờ)", 0),
    Definition("3.3", 3, "Hồ sơ nộp trực tuyến", 4, Fraction(1, 2)),
    Definition("3.6", 3, "Hồ sơ thanh toán trực tuyến", 6),
    Definition("4.1", 4, "Hồ sơ có kết quả giải quyết điện tử", 6),
    Definition("4.2", 4, "Hồ sơ thực hiện số hóa", 4, Fraction(4, 5)),
    Definition(
        "4.3", 4, "Hồ sơ khai thác, sử dụng lại dữ liệu số hóa", 2, Fraction(4, 5)
    ),
    Definition("4.4", 4, "Hồ sơ lấy từ kho dữ liệu DVCQG", 4),
    Definition("5.2", 5, "Phản ánh, kiến nghị xử lý đúng hạn", 6),
    Definition("5.3", 5, "Hài lòng trong xử lý phản ánh, kiến nghị", 6),
    Definition(
        "5.4", 5, "Hài lòng trong tiếp nhận, giải quyết TTHC", 6, Fraction(9, 10)
    ),
)
BY_CODE = {d.code: d for d in DEFINITIONS}
GROUPS: dict[int, tuple[str, int]] = {
    1: ("Công khai, minh bạch", 18),
    2: ("Tiến độ, kết quả giải quyết", 20),
    3: ("Cung cấp dịch vụ trực tuyến", 22),
    4: ("Số hóa hồ sơ", 22),
    5: ("Mức độ hài lòng", 18),
}


def points(ratio: Fraction, definition: Definition) -> Decimal:
    """§6.2: Pmax at or above the target, else proportional; 2 decimals half-up."""
    if definition.target is None:
        raw = ratio * definition.max_points
    else:
        raw = min(Fraction(1), ratio / definition.target) * definition.max_points
    exact = Decimal(raw.numerator) / Decimal(raw.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent(ratio: Fraction) -> Decimal:
    exact = Decimal(ratio.numerator * 100) / Decimal(ratio.denominator)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figure:
    definition: Definition
    numerator: Fraction
    denominator: int
    dossiers: tuple[str, ...] = ()
    """Codes behind the numerator's complement (late, not digitized, …)."""

    @property
    def ratio(self) -> Fraction | None:
        if self.denominator == 0:
            return None
        return self.numerator / self.denominator

    @property
    def points(self) -> Decimal | None:
        ratio = self.ratio
        return None if ratio is None else points(ratio, self.definition)


@dataclass(frozen=True)
class ComplaintFacts:
    agency: str
    on_time: bool
    dissatisfied: bool


@dataclass
class Inputs:
    """What one unit and period gives the indicators."""

    dossiers: Sequence[DossierFacts]
    period_end: datetime
    complaints: Sequence[ComplaintFacts] = ()
    complained_dossiers: frozenset[str] = field(default_factory=frozenset)
    """Codes of dossiers a complaint was made about (5.4)."""


def _ratio(
    definition: Definition,
    population: Iterable[DossierFacts],
    passes: Iterable[bool],
) -> Figure:
    pop = list(population)
    flags = list(passes)
    missed = tuple(
        f.code or f.dossier_id for f, ok in zip(pop, flags, strict=True) if not ok
    )
    return Figure(definition, Fraction(sum(flags)), len(pop), missed)


def compute(inputs: Inputs) -> list[Figure]:
    """Every indicator computable from our own data for one unit and period."""
    end = inputs.period_end
    received = [f for f in inputs.dossiers if f.accepted]
    figures: list[Figure] = []
    figures.append(
        _ratio(
            BY_CODE["1.4"],
            received,
            (f.synced_at is not None and f.synced_at <= end for f in received),
        )
    )
    judged = [judge_dvcqg(f, end) for f in received]
    figures.append(_ratio(BY_CODE["2.1"], received, (j.on_time for j in judged)))
    local = [(f, judge_local(f, end)) for f in received]
    local_judged = [(f, j) for f, j in local if j is not None]
    figures.append(
        _ratio(
            BY_CODE["2.1L"],
            [f for f, _ in local_judged],
            (j.on_time for _, j in local_judged),
        )
    )
    hours, completed = Fraction(0), 0
    for f in received:
        if f.end_kind not in (END_RESOLVED, END_RETURNED):
            continue
        if f.end_at is None or f.end_at > end or f.received_at is None:
            continue
        spent = f.end_at - f.received_at - supplement_time(f, f.end_at)
        hours += Fraction(int(spent.total_seconds()), 3600)
        completed += 1
    figures.append(Figure(BY_CODE["2.2"], hours, completed))
    figures.append(
        _ratio(BY_CODE["3.3"], received, (f.channel == "online" for f in received))
    )
    with_fees = [f for f in received if f.fees_due]
    figures.append(
        _ratio(
            BY_CODE["3.6"],
            with_fees,
            (f.paid_channel in ONLINE_PAYMENT for f in with_fees),
        )
    )
    resolved = [f for f in received if f.end_kind == END_RESOLVED]
    figures.append(
        _ratio(BY_CODE["4.1"], resolved, (f.electronic_result for f in resolved))
    )
    figures.append(
        _ratio(
            BY_CODE["4.2"],
            received,
            (
                (f.digitized_components + f.reused_components) > 0
                and (f.end_kind != END_RESOLVED or f.electronic_result)
                for f in received
            ),
        )
    )
    figures.append(
        _ratio(BY_CODE["4.3"], received, (f.reused_components > 0 for f in received))
    )
    figures.append(
        _ratio(BY_CODE["4.4"], received, (f.national_warehouse for f in received))
    )
    complaints = list(inputs.complaints)
    figures.append(
        Figure(
            BY_CODE["5.2"],
            Fraction(sum(c.on_time for c in complaints)),
            len(complaints),
        )
    )
    figures.append(
        Figure(
            BY_CODE["5.3"],
            Fraction(sum(c.on_time and not c.dissatisfied for c in complaints)),
            len(complaints),
        )
    )
    figures.append(_satisfaction(received, judged, inputs.complained_dossiers))
    return figures


def _satisfaction(
    received: Sequence[DossierFacts],
    judged: Sequence[Judgement],
    complained: frozenset[str],
) -> Figure:
    """5.4 = 100 % − (late ratio + ratio disliked or complained about)."""
    total = len(received)
    late = [f for f, j in zip(received, judged, strict=True) if not j.on_time]
    unhappy = [
        f for f in received if f.satisfaction == "dissatisfied" or f.code in complained
    ]
    if total == 0:
        return Figure(BY_CODE["5.4"], Fraction(0), 0)
    numerator = Fraction(total - len(late) - len(unhappy))
    missed = tuple(f.code or f.dossier_id for f in (*late, *unhappy))
    return Figure(BY_CODE["5.4"], max(Fraction(0), numerator), total, missed)


@dataclass(frozen=True)
class GroupScore:
    number: int
    name: str
    max_points: int
    points: Decimal
    computed_max: int
    """Points our own data can earn in this group (the rest come from the catalogue)."""


def group_scores(figures: Sequence[Figure]) -> list[GroupScore]:
    scores = []
    for number, (name, maximum) in GROUPS.items():
        own = [f for f in figures if f.definition.group == number]
        scores.append(
            GroupScore(
                number,
                name,
                maximum,
                sum((f.points or Decimal(0) for f in own), Decimal("0.00")),
                sum(f.definition.max_points for f in own),
            )
        )
    return scores
