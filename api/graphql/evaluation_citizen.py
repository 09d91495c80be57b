"""Citizens' evaluation of a dossier over GraphQL (TT 01/2018, R-32).

``evaluateDossier``: the applicant evaluates their own dossier online; a desk
officer enters a paper form on the citizen's behalf (channel ``PAPER``). The
monitoring types show the answers summed per unit beside the TT 01/2018
indices the system computes.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.mutations.common import DossierRef, dossier_id_of, failure
from api.graphql.types.outcomes import (
    DossierNotFound,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    VersionConflict,
)
from application.citizen_evaluations import CitizenEvaluations
from application.clock import trace_for
from domain.citizen_evaluation import (
    CITIZEN_INDICES,
    INDEX_TEXTS,
    CitizenAssessment,
    Question,
)
from domain.dossier_values import Satisfaction
from domain.errors import LabelledError
from domain.values import Role
from projections.indicators import CitizenRow

MAX_SCORES = 10


@strawberry.enum(description="Kênh đánh giá: trực tuyến (người dân) hoặc phiếu giấy")
class EvaluationChannelKind(Enum):
    ONLINE = "online"
    PAPER = "paper"


@strawberry.input(description="Điểm người dân chấm một chỉ số (0, 1 hoặc 2)")
class CitizenScoreInput:
    index: int
    score: int


@strawberry.type
class CitizenScore:
    index: int
    score: int


@strawberry.type(description="Phiếu đánh giá đã ghi nhận (phiếu sau thay phiếu trước)")
class DossierEvaluated:
    dossier_id: strawberry.ID
    code: str | None
    channel: EvaluationChannelKind
    scores: list[CitizenScore]
    satisfaction: Satisfaction | None
    convenience: Satisfaction | None
    log_position: int


EvaluateOutcome = Annotated[
    DossierEvaluated
    | DossierNotFound
    | NotAllowed
    | IllegalTransition
    | VersionConflict
    | InvalidInput,
    strawberry.union("EvaluateDossierResult"),
]


def _evaluate(
    context: Context,
    dossier: DossierRef,
    scores: list[CitizenScoreInput],
    satisfaction: Satisfaction | None,
    convenience: Satisfaction | None,
) -> EvaluateOutcome:
    principal = context.principal
    if principal.level not in (AccessLevel.CITIZEN, AccessLevel.OFFICER):
        return NotAllowed(message=context.text("Không có quyền", "Not allowed"))
    given = {s.index: s.score for s in scores[: MAX_SCORES + 1]}
    if len(scores) != len(given) or len(scores) > MAX_SCORES:
        return InvalidInput(
            error_code="CITIZEN_EVALUATION_INDEX_INVALID",
            message=context.text(
                "Mỗi chỉ số chỉ chấm một lần", "Each index may be scored once"
            ),
            field="scores",
        )
    onestop = context.services.onestop
    role = Role.CITIZEN if principal.level is AccessLevel.CITIZEN else None
    if role is None and Role.DESK in principal.roles:
        role = Role.DESK
    try:
        actor = principal.actor_for(role)
        done = CitizenEvaluations(onestop).give(
            dossier_id_of(onestop, dossier),
            trace=trace_for(actor, correlation_id=context.correlation_id()),
            scores=given,
            satisfaction=satisfaction,
            convenience=convenience,
        )
    except LabelledError as error:
        return failure(context, error)
    return DossierEvaluated(
        dossier_id=strawberry.ID(str(done.dossier_id)),
        code=done.code,
        channel=EvaluationChannelKind(done.channel.value),
        scores=[CitizenScore(index=i, score=s) for i, s in sorted(done.scores.items())],
        satisfaction=done.satisfaction,
        convenience=done.convenience,
        log_position=done.log_position,
    )


@strawberry.type
class CitizenEvaluationMutation:
    @strawberry.mutation(
        description="Đánh giá việc giải quyết hồ sơ (TT 01/2018): người nộp chấm các "
        "chỉ số 1, 3, 4, 6, 7 và trả lời mức độ hài lòng; cán bộ một cửa nhập phiếu "
        "giấy thay người dân. Phiếu sau thay phiếu trước"
    )
    async def evaluate_dossier(
        self,
        info: Info[Context, None],
        dossier: DossierRef,
        scores: list[CitizenScoreInput],
        satisfaction: Satisfaction | None = None,
        convenience: Satisfaction | None = None,
    ) -> EvaluateOutcome:
        context = info.context
        return await context.run(
            _evaluate, context, dossier, scores, satisfaction, convenience
        )


# -- monitoring ---------------------------------------------------------------


@strawberry.type
class CitizenIndexFigure:
    index: int
    name: str
    answers: int = strawberry.field(description="Số phiếu đã chấm chỉ số này")
    average: float | None = strawberry.field(description="Điểm bình quân (0–2)")


@strawberry.type(
    description="Số phiếu theo mức: rất hài lòng, hài lòng, không hài lòng"
)
class SatisfactionCounts:
    question: str
    very_satisfied: int
    satisfied: int
    dissatisfied: int


@strawberry.type(
    description="Đánh giá của người dân (phiếu mới nhất của mỗi hồ sơ tiếp nhận "
    "trong kỳ), bên cạnh các chỉ số hệ thống tính; không cộng vào tổng điểm"
)
class CitizensAssessment:
    evaluations: int
    online: int
    paper: int
    indices: list[CitizenIndexFigure]
    satisfaction: list[SatisfactionCounts]


def citizens_figures(found: CitizenAssessment) -> CitizensAssessment:
    return CitizensAssessment(
        evaluations=found.evaluations,
        online=found.online,
        paper=found.paper,
        indices=[
            CitizenIndexFigure(
                index=i,
                name=INDEX_TEXTS[i][0],
                answers=found.answers[n],
                average=found.average(i),
            )
            for n, i in enumerate(CITIZEN_INDICES)
        ],
        satisfaction=[
            SatisfactionCounts(
                question=question.label("vi"),
                very_satisfied=counts[0],
                satisfied=counts[1],
                dissatisfied=counts[2],
            )
            for question, counts in (
                (Question.OVERALL, found.satisfaction),
                (Question.CONVENIENCE, found.convenience),
            )
        ],
    )


@strawberry.type(
    description="Một hồ sơ người dân đã đánh giá (không có dữ liệu cá nhân)"
)
class EvaluatedDossier:
    code: str
    procedure_code: str
    competent_agency: str
    received_on: str
    channel: EvaluationChannelKind
    scores: list[CitizenScore]
    satisfaction: Satisfaction | None
    convenience: Satisfaction | None


def evaluated_dossier(row: CitizenRow) -> EvaluatedDossier:
    return EvaluatedDossier(
        code=row.code,
        procedure_code=row.procedure_code,
        competent_agency=row.competent_agency,
        received_on=row.received_on,
        channel=EvaluationChannelKind(row.channel),
        scores=[CitizenScore(index=i, score=s) for i, s in sorted(row.scores.items())],
        satisfaction=Satisfaction(row.satisfaction) if row.satisfaction else None,
        convenience=Satisfaction(row.convenience) if row.convenience else None,
    )
