"""The officer's dossier commands as plain functions of the context.

Each is what its mutation does, argument for argument (same names, types and
defaults as the resolver in ``api.graphql.mutations.officer``, which only
hands ``info.context`` and its arguments on): the strawberry path and a
planned mutation (``api.graphql.planned``) call the same function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Any, Final
from uuid import UUID

import strawberry

from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.mutations.common import (
    DossierRef,
    Failures,
    Outcome,
    actor_of,
    dossier_id_of,
    failure,
    run_command,
)
from api.graphql.mutations.officer_inputs import (
    DocumentInput,
    FeeInput,
    ReceiveDossierInput,
    ResultInput,
    component_list,
    missing,
    reason_text,
)
from api.graphql.types.outcomes import DossierReceived, NotAllowed
from application.clock import trace_for
from application.onestop import CommandOutcome, OneStop
from domain import bounds
from domain.dossier_rules import Command
from domain.dossier_values import (
    Applicant,
    DigitalAccount,
    Holder,
    PaymentChannel,
    ReturnMethod,
)
from domain.errors import InvalidValueError, LabelledError
from domain.values import Role, Trace

ReceiveOutcome = Annotated[
    DossierReceived | Failures, strawberry.union("ReceiveDossierResult")
]


def _receive(context: Context, data: ReceiveDossierInput) -> ReceiveOutcome:
    onestop: OneStop = context.services.onestop
    principal = context.principal
    if principal.level is not AccessLevel.OFFICER or Role.DESK not in principal.roles:
        return NotAllowed(
            message=context.text(
                "Chỉ cán bộ một cửa được tiếp nhận",
                "Only one-stop desk officers receive",
            )
        )
    trace = trace_for(
        actor_of(context, Role.DESK), correlation_id=context.correlation_id()
    )
    try:
        if data.dossier_id:
            dossier_id = dossier_id_of(onestop, DossierRef(dossier_id=data.dossier_id))
            reception = onestop.receive_submitted_dossier(dossier_id, trace=trace)
        else:
            absent = [
                name
                for name, value in (
                    ("procedureCode", data.procedure_code),
                    ("applicantId", data.applicant_id),
                    ("applicantName", data.applicant_name),
                )
                if not value
            ]
            if absent or not (
                data.procedure_code and data.applicant_id and data.applicant_name
            ):
                raise missing(", ".join(absent))
            reception = onestop.receive_dossier(
                trace=trace,
                procedure_code=data.procedure_code,
                applicant=Applicant(
                    data.applicant_id, data.applicant_name, data.applicant_kind
                ),
                channel=data.channel,
                summary=bounds.text(
                    data.summary, "summary", bounds.SUMMARY_LENGTH, multiline=True
                ),
            )
    except LabelledError as error:
        return failure(context, error)
    return DossierReceived(
        dossier_id=strawberry.ID(str(reception.dossier_id)),
        code=reception.code,
        due_at=reception.due_at,
        log_position=reception.notification_id,
    )


async def receive_dossier(
    context: Context, input: ReceiveDossierInput
) -> ReceiveOutcome:
    return await context.run(_receive, context, input)


async def refuse_dossier(context: Context, dossier: DossierRef, reason: str) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.REFUSE,
        lambda app, i, t, v: app.refuse_dossier(
            i, trace=t, reason=reason_text(reason), expected_version=v
        ),
    )


async def check_digital_account(
    context: Context,
    dossier: DossierRef,
    has_account: bool | None = None,
    verified_with_vneid: bool = False,
    eid_level: int = 0,
) -> Outcome:
    def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
        entered = (
            None
            if has_account is None
            else DigitalAccount(has_account, verified_with_vneid, eid_level, "officer")
        )
        return app.check_digital_account(
            i, trace=t, account=entered, expected_version=v
        )

    return await run_command(context, dossier, Command.CHECK_DIGITAL_ACCOUNT, run)


async def digitize_component(
    context: Context,
    dossier: DossierRef,
    component_code: str,
    document: DocumentInput,
) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.DIGITIZE_COMPONENT,
        lambda app, i, t, v: app.digitize_component(
            i,
            trace=t,
            component_code=bounds.code(component_code, "componentCode"),
            document=document.metadata(),
            expected_version=v,
        ),
    )


async def reuse_component(
    context: Context,
    dossier: DossierRef,
    component_code: str,
    document_id: strawberry.ID,
) -> Outcome:
    def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
        return app.reuse_component(
            i,
            trace=t,
            component_code=bounds.code(component_code, "componentCode"),
            document_id=bounds.uuid(str(document_id), "documentId"),
            expected_version=v,
        )

    return await run_command(context, dossier, Command.REUSE_COMPONENT, run)


async def reuse_from_national_warehouse(
    context: Context,
    dossier: DossierRef,
    component_code: str,
    result_code: str,
    number_symbol: str = "",
) -> Outcome:
    def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
        return app.reuse_from_national_warehouse(
            i,
            trace=t,
            component_code=bounds.code(component_code, "componentCode"),
            result_code=result_code,
            number_symbol=number_symbol,
            expected_version=v,
        )

    return await run_command(context, dossier, Command.REUSE_COMPONENT, run)


async def sign_component(
    context: Context, dossier: DossierRef, component_code: str
) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.SIGN_COMPONENT,
        lambda app, i, t, v: app.sign_component(
            i,
            trace=t,
            component_code=bounds.code(component_code, "componentCode"),
            expected_version=v,
        ),
    )


async def forward_dossier(
    context: Context,
    dossier: DossierRef,
    to_agency_code: str,
    to_department: str | None = None,
    note: str = "",
    planned_due_at: datetime | None = None,
) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.FORWARD,
        lambda app, i, t, v: app.forward_dossier(
            i,
            trace=t,
            to=Holder(to_agency_code, to_department),
            note=reason_text(note, "note"),
            planned_due_at=(
                None
                if planned_due_at is None
                else bounds.instant(planned_due_at, "plannedDueAt")
            ),
            expected_version=v,
        ),
    )


async def request_supplement(
    context: Context, dossier: DossierRef, component_codes: list[str], reason: str
) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.REQUEST_SUPPLEMENT,
        lambda app, i, t, v: app.request_supplement(
            i,
            trace=t,
            items=component_list(component_codes),
            reason=reason_text(reason),
            expected_version=v,
        ),
    )


async def receive_supplement(
    context: Context,
    dossier: DossierRef,
    documents: list[DocumentInput] | None = None,
    component_codes: list[str] | None = None,
) -> Outcome:
    def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
        codes, papers = component_codes or [], documents or []
        bounds.bounded(codes, "componentCodes", bounds.MAX_DOCUMENTS)
        bounds.bounded(papers, "documents", bounds.MAX_DOCUMENTS)
        if len(codes) != len(papers):
            raise InvalidValueError(
                "documents",
                "mỗi mã thành phần đi kèm đúng một giấy tờ",
                "each component code needs exactly one document",
            )
        given = dict(zip(codes, papers, strict=True))
        return app.receive_supplement(
            i,
            trace=t,
            documents={c: d.metadata() for c, d in given.items()},
            expected_version=v,
        )

    return await run_command(context, dossier, Command.RECEIVE_SUPPLEMENT, run)


async def request_payment(
    context: Context, dossier: DossierRef, fees: list[FeeInput], reason: str = ""
) -> Outcome:
    def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
        bounds.bounded(fees, "fees", bounds.MAX_FEES)
        lines = tuple(f.fee() for f in fees)
        return app.request_payment(
            i, trace=t, fees=lines, reason=reason_text(reason), expected_version=v
        )

    return await run_command(context, dossier, Command.REQUEST_PAYMENT, run)


async def confirm_payment(
    context: Context, dossier: DossierRef, channel: PaymentChannel, receipt: str
) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.CONFIRM_PAYMENT,
        lambda app, i, t, v: app.confirm_payment(
            i,
            trace=t,
            channel=channel,
            receipt=bounds.text(receipt, "receipt", bounds.SHORT_TEXT_LENGTH),
            expected_version=v,
        ),
    )


async def reappoint_dossier(
    context: Context, dossier: DossierRef, due_at: datetime, reason: str
) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.REAPPOINT,
        lambda app, i, t, v: app.reappoint_dossier(
            i,
            trace=t,
            due_at=bounds.instant(due_at, "dueAt"),
            reason=reason_text(reason),
            expected_version=v,
        ),
    )


async def stop_dossier(context: Context, dossier: DossierRef, reason: str) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.STOP,
        lambda app, i, t, v: app.stop_dossier(
            i, trace=t, reason=reason_text(reason), expected_version=v
        ),
    )


async def resolve_dossier(
    context: Context, dossier: DossierRef, results: list[ResultInput], decision: str
) -> Outcome:
    def run(app: OneStop, i: UUID, t: Trace, v: int | None) -> CommandOutcome:
        bounds.bounded(results, "results", bounds.MAX_RESULTS)
        issued = [r.issued() for r in results]
        return app.resolve_dossier(
            i,
            trace=t,
            results=tuple(issued),
            decision=reason_text(decision, "decision"),
            expected_version=v,
        )

    return await run_command(context, dossier, Command.RESOLVE, run)


async def return_result(
    context: Context, dossier: DossierRef, method: ReturnMethod
) -> Outcome:
    return await run_command(
        context,
        dossier,
        Command.RETURN_RESULT,
        lambda app, i, t, v: app.return_result(
            i, trace=t, method=method, expected_version=v
        ),
    )


OfficerCommand = Callable[..., Awaitable[Any]]

COMMANDS: Final[Mapping[str, OfficerCommand]] = MappingProxyType(
    {
        "receiveDossier": receive_dossier,
        "refuseDossier": refuse_dossier,
        "checkDigitalAccount": check_digital_account,
        "digitizeComponent": digitize_component,
        "reuseComponent": reuse_component,
        "reuseFromNationalWarehouse": reuse_from_national_warehouse,
        "signComponent": sign_component,
        "forwardDossier": forward_dossier,
        "requestSupplement": request_supplement,
        "receiveSupplement": receive_supplement,
        "requestPayment": request_payment,
        "confirmPayment": confirm_payment,
        "reappointDossier": reappoint_dossier,
        "stopDossier": stop_dossier,
        "resolveDossier": resolve_dossier,
        "returnResult": return_result,
    }
)
"""Each officer mutation's function, by its GraphQL field name."""
