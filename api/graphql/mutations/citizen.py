"""Citizen mutations: submit online, supplement, withdraw, rate."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import strawberry

from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.mutations.common import (
    DossierRef,
    Failures,
    Outcome,
    failure,
    run_command,
)
from api.graphql.mutations.officer_inputs import DocumentInput, reason_text
from api.graphql.types.outcomes import DossierSubmitted, NotAllowed
from application.clock import trace_for
from application.onestop import CommandOutcome, OneStop
from domain import bounds
from domain.dossier_rules import Command
from domain.dossier_values import Applicant, ApplicantKind, Satisfaction
from domain.errors import LabelledError
from domain.values import Role, Trace

Info = strawberry.Info[Context, None]
strawberry.enum(Satisfaction)

SubmitOutcome = Annotated[
    DossierSubmitted | Failures, strawberry.union("SubmitDossierResult")
]


@strawberry.input
class SubmittedDocument:
    component_code: str
    document: DocumentInput


@strawberry.input
class SubmitDossierInput:
    procedure_code: str
    applicant_name: str
    applicant_kind: ApplicantKind = ApplicantKind.CITIZEN
    documents: list[SubmittedDocument] = strawberry.field(default_factory=list)
    summary: str = ""


def _submit(context: Context, data: SubmitDossierInput) -> SubmitOutcome:
    principal = context.principal
    if principal.level is not AccessLevel.CITIZEN or principal.subject is None:
        return NotAllowed(
            message=context.text(
                "Cần đăng nhập bằng tài khoản công dân", "A citizen account is required"
            )
        )
    try:
        bounds.bounded(data.documents, "documents", bounds.MAX_DOCUMENTS)
        dossier_id, position = context.services.onestop.submit_dossier(
            trace=trace_for(
                principal.actor_for(Role.CITIZEN),
                correlation_id=context.correlation_id(),
            ),
            applicant=Applicant(
                principal.subject, data.applicant_name, data.applicant_kind
            ),
            procedure_code=data.procedure_code,
            documents={
                bounds.code(d.component_code, "componentCode"): d.document.metadata()
                for d in data.documents
            },
            summary=bounds.text(
                data.summary, "summary", bounds.SUMMARY_LENGTH, multiline=True
            ),
        )
    except LabelledError as error:
        result = failure(context, error)
        return result
    return DossierSubmitted(
        dossier_id=strawberry.ID(str(dossier_id)), log_position=position
    )


@strawberry.type
class CitizenMutation:
    @strawberry.mutation(description="Nộp hồ sơ trực tuyến")
    async def submit_dossier(
        self, info: Info, input: SubmitDossierInput
    ) -> SubmitOutcome:
        return await info.context.run(_submit, info.context, input)

    @strawberry.mutation(description="Nộp hồ sơ bổ sung")
    async def submit_supplement(
        self, info: Info, dossier: DossierRef, documents: list[SubmittedDocument]
    ) -> Outcome:
        def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
            bounds.bounded(documents, "documents", bounds.MAX_DOCUMENTS)
            given = {
                bounds.code(d.component_code, "componentCode"): d.document.metadata()
                for d in documents
            }
            return app.receive_supplement(
                i, trace=t, documents=given, expected_version=v
            )

        return await run_command(info.context, dossier, Command.RECEIVE_SUPPLEMENT, run)

    @strawberry.mutation(description="Rút hồ sơ")
    async def withdraw_dossier(
        self, info: Info, dossier: DossierRef, reason: str = ""
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.WITHDRAW,
            lambda app, i, t, v: app.withdraw_dossier(
                i, trace=t, reason=reason_text(reason), expected_version=v
            ),
        )

    @strawberry.mutation(description="Đánh giá mức độ hài lòng")
    async def rate_dossier(
        self,
        info: Info,
        dossier: DossierRef,
        satisfaction: Satisfaction,
        comment: str = "",
    ) -> Outcome:
        return await run_command(
            info.context,
            dossier,
            Command.RATE,
            lambda app, i, t, v: app.rate_dossier(
                i,
                trace=t,
                satisfaction=satisfaction,
                comment=reason_text(comment, "comment"),
                expected_version=v,
            ),
        )
