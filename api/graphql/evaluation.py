"""TT 01/2018 indices a unit enters for a period (2, 5, 6, 8, 9) over GraphQL:
its own staff self-score, a unit above appraises (R-30, R-32)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.mutations.common import failure
from api.graphql.types.outcomes import (
    DossierNotFound,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    VersionConflict,
)
from application.clock import trace_for
from application.evaluation_sheets import EvaluationSheets
from domain.errors import LabelledError


@strawberry.input(description="Điểm một chỉ số (0, 1 hoặc 2)")
class EvaluationScoreInput:
    index: int
    score: int


@strawberry.type
class EvaluationRecorded:
    sheet_id: strawberry.ID
    scores: list[EvaluationScoreEntry]
    log_position: int


@strawberry.type
class EvaluationScoreEntry:
    index: int
    score: int


EvaluationOutcome = Annotated[
    EvaluationRecorded
    | NotAllowed
    | IllegalTransition
    | VersionConflict
    | InvalidInput,
    strawberry.union("EvaluationResult"),
]
MAX_SCORES = 10


def _enter(
    context: Context,
    agency_code: str,
    first: date,
    last: date,
    scores: list[EvaluationScoreInput],
    appraised: bool,
) -> EvaluationOutcome:
    try:
        actor = context.principal.actor_for(None)
    except LabelledError as error:
        return NotAllowed(message=error.message(context.language))
    services = context.services
    sheets = EvaluationSheets(services.onestop)
    given = {s.index: s.score for s in scores[: MAX_SCORES + 1]}
    if len(scores) != len(given) or len(scores) > MAX_SCORES:
        return InvalidInput(
            error_code="EVALUATION_INDEX_INVALID",
            message=context.text(
                "Mỗi chỉ số chỉ nhập một lần", "Each index may be given once"
            ),
            field="scores",
        )
    try:
        found = sheets.enter(
            trace=trace_for(actor, correlation_id=context.correlation_id()),
            agency_code=agency_code,
            first_day=first,
            last_day=last,
            scores=given,
            appraised=appraised,
        )
    except LabelledError as error:
        outcome = failure(context, error)
        if isinstance(outcome, DossierNotFound):  # no dossier is involved here
            return InvalidInput(
                error_code=error.code, message=error.message(context.language)
            )
        return outcome
    now = sheets.scores(agency_code, first, last)
    return EvaluationRecorded(
        sheet_id=strawberry.ID(str(found)),
        scores=[EvaluationScoreEntry(index=i, score=now[i]) for i in sorted(now)],
        log_position=services.onestop.recorder.max_notification_id() or 0,
    )


@strawberry.type
class EvaluationMutation:
    @strawberry.mutation(
        description="Đơn vị nhập điểm các chỉ số 2, 5, 6, 8, 9 (TT 01/2018) cho một kỳ; "
        "appraised: điểm thẩm định của đơn vị cấp trên"
    )
    async def enter_evaluation_indices(
        self,
        info: Info[Context, None],
        agency_code: str,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        scores: list[EvaluationScoreInput],
        appraised: bool = False,
    ) -> EvaluationOutcome:
        context = info.context
        return await context.run(
            _enter, context, agency_code, from_, to, scores, appraised
        )
