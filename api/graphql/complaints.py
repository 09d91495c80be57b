"""Complaints (PAKN) over GraphQL: citizens submit, follow and rate their own
(R-54); officers of the unit answer, refuse, ask for a supplement, publish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.auth import AccessLevel
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
from application.complaints import ComplaintNotFoundError, Complaints
from domain.errors import LabelledError
from domain.values import Role, Trace
from projections.complaints import ComplaintView


@strawberry.type(description="Phản ánh, kiến nghị của tôi")
class MyComplaint:
    complaint_id: strawberry.ID
    agency_code: str
    subject: str
    status: str
    status_label: str
    submitted_at: datetime
    answer_due: datetime
    dossier_code: str | None
    satisfied: bool | None


@strawberry.type
class ComplaintRecorded:
    complaint_id: strawberry.ID
    version: int
    log_position: int


@strawberry.type
class ComplaintNotFound:
    message: str


ComplaintOutcome = Annotated[
    ComplaintRecorded
    | ComplaintNotFound
    | NotAllowed
    | IllegalTransition
    | VersionConflict
    | InvalidInput,
    strawberry.union("ComplaintResult"),
]


def _citizen(context: Context) -> str | None:
    principal = context.principal
    if principal.level is AccessLevel.CITIZEN and principal.subject:
        return principal.subject
    return None


def _run(
    context: Context,
    step: Callable[[Complaints, Trace], tuple[UUID, int]],
    role: Role | None,
) -> ComplaintOutcome:
    try:
        actor = context.principal.actor_for(role)
    except LabelledError as error:
        return NotAllowed(message=error.message(context.language))
    services = context.services
    try:
        complaint_id, version = step(
            Complaints(services.onestop),
            trace_for(actor, correlation_id=context.correlation_id()),
        )
    except ComplaintNotFoundError as error:
        return ComplaintNotFound(message=error.message(context.language))
    except LabelledError as error:
        found = failure(context, error)
        if isinstance(found, DossierNotFound):
            return ComplaintNotFound(message=found.message)
        return found
    position = services.onestop.recorder.max_notification_id() or 0
    return ComplaintRecorded(
        complaint_id=strawberry.ID(str(complaint_id)),
        version=version,
        log_position=position,
    )


def _id(value: strawberry.ID) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ComplaintNotFoundError(str(value)[:40]) from None


@strawberry.type
class ComplaintQuery:
    @strawberry.field(description="Phản ánh, kiến nghị của tôi (công dân đã xác thực)")
    async def my_complaints(self, info: Info[Context, None]) -> list[MyComplaint]:
        context = info.context
        context.require(AccessLevel.CITIZEN)
        subject = _citizen(context)
        if subject is None:
            return []
        view = ComplaintView(context.services.store)
        items = await context.read(view.of_author, subject)
        return [
            MyComplaint(
                complaint_id=strawberry.ID(i.complaint_id),
                agency_code=i.agency_code,
                subject=i.subject,
                status=i.status.value,
                status_label=i.status.label(context.language),
                submitted_at=i.submitted_at,
                answer_due=i.answer_due,
                dossier_code=i.dossier_code,
                satisfied=i.satisfied,
            )
            for i in items
        ]


@strawberry.type
class ComplaintMutation:
    @strawberry.mutation(description="Gửi phản ánh, kiến nghị (công dân)")
    async def submit_complaint(
        self,
        info: Info[Context, None],
        agency_code: str,
        subject: str,
        content: str,
        dossier_code: str | None = None,
    ) -> ComplaintOutcome:
        def step(complaints: Complaints, trace: Trace) -> tuple[UUID, int]:
            found = complaints.submit(
                trace=trace,
                agency_code=agency_code,
                subject=subject,
                content=content,
                dossier_code=dossier_code,
            )
            return found, 1

        return await info.context.run(_run, info.context, step, Role.CITIZEN)

    @strawberry.mutation(description="Đánh giá việc xử lý phản ánh của tôi")
    async def rate_complaint(
        self, info: Info[Context, None], complaint_id: strawberry.ID, satisfied: bool
    ) -> ComplaintOutcome:
        def step(complaints: Complaints, trace: Trace) -> tuple[UUID, int]:
            key = _id(complaint_id)
            return key, complaints.rate(key, trace=trace, satisfied=satisfied)

        return await info.context.run(_run, info.context, step, Role.CITIZEN)

    @strawberry.mutation(description="Trả lời phản ánh, kiến nghị (cán bộ của đơn vị)")
    async def answer_complaint(
        self, info: Info[Context, None], complaint_id: strawberry.ID, answer: str
    ) -> ComplaintOutcome:
        def step(complaints: Complaints, trace: Trace) -> tuple[UUID, int]:
            key = _id(complaint_id)
            return key, complaints.answer(key, trace=trace, answer=answer)

        return await info.context.run(_run, info.context, step, None)

    @strawberry.mutation(description="Công khai câu trả lời (cán bộ của đơn vị)")
    async def publish_complaint(
        self, info: Info[Context, None], complaint_id: strawberry.ID
    ) -> ComplaintOutcome:
        def step(complaints: Complaints, trace: Trace) -> tuple[UUID, int]:
            key = _id(complaint_id)
            return key, complaints.publish(key, trace=trace)

        return await info.context.run(_run, info.context, step, None)
