"""Monitoring queries: QĐ 766 indicators, their drill-down and the national pull.

Aggregates and dossier codes only — no applicant data. A monitor token without
an agency sees the whole country's figures held here; with one, its subtree;
officers and reviewers see their own subtree.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import date
from enum import Enum
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from api.auth import AccessLevel, Principal
from api.graphql.context import Context
from api.graphql.evaluation_citizen import (
    CitizensAssessment,
    EvaluatedDossier,
    citizens_figures,
    evaluated_dossier,
)
from application import monitoring
from domain.errors import InvalidAgencyCodeError
from domain.evaluation import UnitEvaluation
from domain.indicators import Figure, GroupScore, percent
from domain.values import AgencyCode
from domain.visibility import unit_sees
from projections.complaints import ComplaintView
from projections.directory import DirectoryView
from projections.indicators import CitizenView, IndicatorView, UnitOf, period_end

MAX_DAYS = 3 * 366
AVERAGE = "2.2"
MAX_CHANGES = 1000
#: A period's first day: ``from`` in GraphQL, a Python keyword.
FromDay = Annotated[date, strawberry.argument(name="from")]


@strawberry.enum(description="Chia số liệu theo đơn vị con, thủ tục hoặc kỳ")
class IndicatorGrouping(Enum):
    NONE = "none"
    AGENCY = "agency"
    PROCEDURE = "procedure"
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@strawberry.enum(
    description="Cơ cấu đơn vị của số liệu: như khi tiếp nhận, hoặc quy về đơn vị "
    "kế thừa hiện nay (sau sắp xếp)"
)
class IndicatorStructure(Enum):
    HISTORICAL = "historical"
    CURRENT = "current"


@strawberry.type(description="Một chỉ số QĐ 766 trong một kỳ")
class IndicatorFigure:
    code: str
    name: str
    group: int
    clock: str = strawberry.field(
        description="dvcqg: như Cổng DVCQG tính; local: đồng hồ của hệ thống"
    )
    numerator: float
    denominator: int
    percent: float | None = strawberry.field(
        description="null: N/A (mẫu số 0) hoặc chỉ số không phải tỷ lệ (2.2)"
    )
    average: float | None = strawberry.field(
        description="2.2: số giờ giải quyết trung bình (tử số / mẫu số)"
    )
    points: float | None
    max_points: int
    target_percent: float | None

    @classmethod
    def of(cls, figure: Figure) -> IndicatorFigure:
        d = figure.definition
        ratio = figure.ratio
        return cls(
            code=d.code,
            name=d.name,
            group=d.group,
            clock=d.clock,
            numerator=float(figure.numerator),
            denominator=figure.denominator,
            percent=None
            if ratio is None or d.code == AVERAGE
            else float(percent(ratio)),
            average=None
            if ratio is None or d.code != AVERAGE
            else round(float(ratio), 2),
            points=None if figure.points is None else float(figure.points),
            max_points=d.max_points,
            target_percent=None if d.target is None else float(d.target * 100),
        )


@strawberry.type(description="Một nhóm chỉ số (18/20/22/22/18 điểm)")
class IndicatorGroup:
    number: int
    name: str
    max_points: int
    points: float
    computed_max: int = strawberry.field(
        description="Điểm tối đa các chỉ số tính được từ dữ liệu hồ sơ của hệ thống"
    )

    @classmethod
    def of(cls, group: GroupScore) -> IndicatorGroup:
        return cls(
            number=group.number,
            name=group.name,
            max_points=group.max_points,
            points=float(group.points),
            computed_max=group.computed_max,
        )


@strawberry.type
class IndicatorScorecard:
    key: str
    score: float
    computed_max: int
    groups: list[IndicatorGroup]
    indicators: list[IndicatorFigure]

    @classmethod
    def of(cls, card: monitoring.Scorecard) -> IndicatorScorecard:
        return cls(
            key=card.key,
            score=round(card.score, 2),
            computed_max=card.computed_max,
            groups=[IndicatorGroup.of(g) for g in card.groups],
            indicators=[IndicatorFigure.of(f) for f in card.figures],
        )


@strawberry.type(description="Thống kê số hóa (R-27): hồ sơ, thành phần, kết quả")
class DigitizationFigures:
    received: int
    with_digitized_components: int
    with_reused_components: int
    from_national_warehouse: int
    components_digitized: int
    components_signed: int
    components_reused: int
    resolved: int
    results_electronic: int


@strawberry.type
class EvaluationIndex:
    index: int
    score: float


@strawberry.type(description="Đánh giá theo TT 01/2018: chỉ số bình quân trên hồ sơ")
class UnitEvaluationFigures:
    dossiers: int
    indices: list[EvaluationIndex]
    total: float
    maximum: int = strawberry.field(
        description="18 khi đã có đủ 9 chỉ số; chỉ số 2, 5, 6, 8, 9 do đơn vị nhập"
    )
    classification: str | None
    citizens: CitizensAssessment | None = strawberry.field(
        default=None,
        description="Đánh giá của người dân theo từng chỉ số, bên cạnh điểm hệ thống",
    )


@strawberry.type(description="Bộ chỉ số QĐ 766 của một đơn vị (và cấp dưới) trong kỳ")
class IndicatorReport:
    agency_code: str
    from_day: date
    to_day: date
    definition_version: int
    total: IndicatorScorecard
    rows: list[IndicatorScorecard]
    digitization: DigitizationFigures
    evaluation: UnitEvaluationFigures


@strawberry.type(description="Một hồ sơ đứng sau một con số (không có dữ liệu cá nhân)")
class IndicatorDossier:
    code: str
    procedure_code: str
    competent_agency: str
    received_on: str
    reason: str


@strawberry.type(description="Một đơn vị đang hoạt động (cơ cấu hôm nay)")
class IndicatorUnit:
    code: str
    name: str
    level: str
    parent: str | None


@strawberry.type
class IndicatorBucket:
    agency_code: str
    day: str
    indicators: list[IndicatorFigure]


@strawberry.type(
    description="Thay đổi từ con trỏ: các ô (đơn vị, ngày tiếp nhận) đã đổi"
)
class IndicatorChanges:
    cursor: int
    as_of: date
    definition_version: int
    buckets: list[IndicatorBucket]


def _evaluation(
    found: UnitEvaluation, citizens: CitizensAssessment | None = None
) -> UnitEvaluationFigures:
    scores: dict[int, float] = {i: float(v) for i, v in found.averages.items()}
    scores.update({i: float(v) for i, v in found.entered.items()})
    return UnitEvaluationFigures(
        dossiers=found.dossiers,
        indices=[EvaluationIndex(index=i, score=scores[i]) for i in sorted(scores)],
        total=float(found.total),
        maximum=found.maximum,
        classification=found.classification,
        citizens=citizens,
    )


def _refuse(context: Context, vi: str, en: str, code: str = "INVALID_INPUT") -> None:
    raise GraphQLError(context.text(vi, en), extensions={"code": code})


def _principal(context: Context) -> Principal:
    return context.require(
        AccessLevel.MONITOR, AccessLevel.OFFICER, AccessLevel.REVIEWER
    )


def _scope(context: Context, agency_code: str) -> str:
    principal = _principal(context)
    try:
        code = str(AgencyCode(agency_code))
    except InvalidAgencyCodeError:
        _refuse(
            context,
            f"Mã đơn vị không hợp lệ: {agency_code[:40]}",
            f"Invalid agency code: {agency_code[:40]}",
        )
    allowed = (
        principal.level is AccessLevel.MONITOR and principal.agency_code is None
    ) or (principal.agency_code is not None and unit_sees(principal.agency_code, code))
    if principal.level is AccessLevel.REVIEWER and principal.agency_code is None:
        allowed = True
    if not allowed:
        _refuse(context, "Không có quyền truy cập", "Forbidden", "FORBIDDEN")
    return code


def _period(context: Context, first: date, last: date) -> None:
    if last < first:
        _refuse(
            context,
            "Ngày kết thúc kỳ trước ngày bắt đầu",
            "The period ends before it starts",
        )
    if (last - first).days >= MAX_DAYS:
        _refuse(
            context,
            f"Kỳ dài quá {MAX_DAYS} ngày",
            f"The period is longer than {MAX_DAYS} days",
        )


def _scoped(context: Context, agency_code: str, first: date, last: date) -> str:
    """The unit a period query may read, the period checked too."""
    scope = _scope(context, agency_code)
    _period(context, first, last)
    return scope


async def _unit_of(context: Context, structure: IndicatorStructure) -> UnitOf | None:
    if structure is IndicatorStructure.HISTORICAL:
        return None
    changes = await context.read(DirectoryView(context.services.store).changes)
    return monitoring.successor_units(changes, monitoring.today())


async def _report(
    context: Context,
    scope: str,
    from_: date,
    to: date,
    group_by: IndicatorGrouping = IndicatorGrouping.NONE,
    structure: IndicatorStructure = IndicatorStructure.HISTORICAL,
) -> IndicatorReport:
    view = IndicatorView(context.services.store)
    unit_of = await _unit_of(context, structure)
    complaints, complained = await context.read(
        ComplaintView(context.services.store).facts,
        scope,
        from_,
        to,
        period_end(to),
        unit_of,
    )
    grouping = monitoring.Grouping(group_by.value)
    days, procedures = monitoring.detail(grouping, unit_of is not None)
    counted = await context.read(
        view.tallies,
        scope,
        from_,
        to,
        complained,
        unit_of,
        days,
        procedures,
    )
    entered = await context.read(view.entered, scope, from_, to)
    citizens = await context.read(
        CitizenView(view).assessment, scope, from_, to, unit_of
    )
    built = monitoring.report(
        scope,
        from_,
        to,
        counted,
        monitoring.Grouping(group_by.value),
        complaints,
    )
    return IndicatorReport(
        agency_code=scope,
        from_day=from_,
        to_day=to,
        definition_version=view.definitions,
        total=IndicatorScorecard.of(built.total),
        rows=[IndicatorScorecard.of(r) for r in built.rows],
        digitization=DigitizationFigures(**vars(monitoring.digitization(built.tally))),
        evaluation=_evaluation(
            monitoring.evaluation(built.tally, entered), citizens_figures(citizens)
        ),
    )


@strawberry.type
class MonitoringQuery:
    @strawberry.field(
        description="Bộ chỉ số QĐ 766 (theo ngày tiếp nhận) của đơn vị và cấp dưới; "
        "groupBy chia theo đơn vị con, thủ tục hoặc kỳ"
    )
    async def indicators(
        self,
        info: Info[Context, None],
        agency_code: str,
        from_: FromDay,
        to: date,
        group_by: IndicatorGrouping = IndicatorGrouping.NONE,
        structure: Annotated[
            IndicatorStructure,
            strawberry.argument(
                description="HISTORICAL: theo đơn vị ghi trên hồ sơ; CURRENT: quy "
                "về đơn vị kế thừa hôm nay (đơn vị bị chia: theo thủ tục)"
            ),
        ] = IndicatorStructure.HISTORICAL,
    ) -> IndicatorReport:
        context = info.context
        scope = _scoped(context, agency_code, from_, to)
        return await _report(context, scope, from_, to, group_by, structure)

    @strawberry.field(
        description="Các đơn vị đang hoạt động vào ngày day (mặc định hôm nay) trong "
        "phạm vi được xem, đơn vị cấp trên trước: đơn vị gốc hiện nay của bảng theo dõi"
    )
    async def indicator_units(
        self, info: Info[Context, None], day: date | None = None
    ) -> list[IndicatorUnit]:
        principal = _principal(info.context)
        directory = DirectoryView(info.context.services.store)
        units = await info.context.read(
            directory.structure_as_of, day or monitoring.today()
        )
        seen = [
            u
            for u in units
            if principal.agency_code is None or unit_sees(principal.agency_code, u.code)
        ]
        codes = {u.code for u in seen}
        seen.sort(key=lambda u: (u.parent in codes, AgencyCode(u.code).depth, u.code))
        return [
            IndicatorUnit(code=u.code, name=u.name, level=u.level, parent=u.parent)
            for u in seen
        ]

    @strawberry.field(
        description="Các hồ sơ đứng sau một chỉ số (vd. 2.1: hồ sơ trễ hạn và lý do)"
    )
    async def indicator_dossiers(
        self,
        info: Info[Context, None],
        agency_code: str,
        indicator: str,
        from_: FromDay,
        to: date,
        limit: int = 200,
        structure: IndicatorStructure = IndicatorStructure.HISTORICAL,
    ) -> list[IndicatorDossier]:
        context = info.context
        scope = _scoped(context, agency_code, from_, to)
        view = IndicatorView(context.services.store)
        unit_of = await _unit_of(context, structure)
        facts = await context.read(view.facts, scope, from_, to, unit_of)
        found = monitoring.behind(facts, period_end(to), indicator[:10])
        return [
            IndicatorDossier(
                code=b.code,
                procedure_code=b.procedure_code,
                competent_agency=b.competent_agency,
                received_on=b.received_on,
                reason=b.reason,
            )
            for b in found[: max(1, min(limit, 1000))]
        ]

    @strawberry.field(
        description="Các hồ sơ người dân đã đánh giá trong kỳ (index: chỉ những hồ "
        "sơ người dân chấm chỉ số này dưới 2 điểm)"
    )
    async def citizen_evaluation_dossiers(
        self,
        info: Info[Context, None],
        agency_code: str,
        from_: FromDay,
        to: date,
        index: int | None = None,
        limit: int = 200,
        structure: IndicatorStructure = IndicatorStructure.HISTORICAL,
    ) -> list[EvaluatedDossier]:
        context = info.context
        scope = _scoped(context, agency_code, from_, to)
        view = CitizenView(IndicatorView(context.services.store))
        unit_of = await _unit_of(context, structure)
        rows = await context.read(view.dossiers_of, scope, from_, to, unit_of, index)
        return [evaluated_dossier(r) for r in rows[: max(1, min(limit, 1000))]]

    @strawberry.field(
        description="Kéo dữ liệu tăng dần cho hệ thống tổng hợp quốc gia: các ô "
        "(đơn vị, ngày tiếp nhận) đổi sau con trỏ, với tử số và mẫu số tính đến asOf"
    )
    async def indicator_changes(
        self,
        info: Info[Context, None],
        since: int = 0,
        as_of: date | None = None,
        limit: int = 200,
    ) -> IndicatorChanges:
        context = info.context
        principal = _principal(context)
        end_day = as_of or monitoring.today()
        view = IndicatorView(context.services.store)
        cursor, buckets = await context.read(
            view.changes, max(0, since), max(1, min(limit, MAX_CHANGES))
        )
        found = []
        for agency, day in buckets:
            if principal.agency_code and not unit_sees(principal.agency_code, agency):
                continue
            dossiers = await context.read(view.bucket, agency, day)
            card = monitoring.scorecard(agency, dossiers, period_end(end_day))
            found.append(
                IndicatorBucket(
                    agency_code=agency,
                    day=day,
                    indicators=[IndicatorFigure.of(f) for f in card.figures],
                )
            )
        return IndicatorChanges(
            cursor=cursor,
            as_of=end_day,
            definition_version=view.definitions,
            buckets=found,
        )


@strawberry.type
class MonitoringSubscription:
    @strawberry.subscription(
        description="Bộ chỉ số của đơn vị trong kỳ, gửi lại mỗi khi số liệu của kỳ đổi"
    )
    async def indicators_changed(
        self,
        info: Info[Context, None],
        agency_code: str,
        from_: FromDay,
        to: date,
        interval_seconds: float = 5.0,
    ) -> AsyncGenerator[IndicatorReport, None]:
        context = info.context
        scope = _scoped(context, agency_code, from_, to)
        view = IndicatorView(context.services.store)
        pause = max(0.5, min(interval_seconds, 300.0))
        cursor = await context.read(view.head)
        ends = time.monotonic() + context.services.subscription_seconds
        yield await _report(context, scope, from_, to)
        first, last = from_.isoformat(), to.isoformat()
        while time.monotonic() < ends:
            await asyncio.sleep(pause)
            cursor, buckets = await context.read(view.changes, cursor, MAX_CHANGES)
            if any(
                first <= day <= last and unit_sees(scope, agency)
                for agency, day in buckets
            ):
                yield await _report(context, scope, from_, to)
