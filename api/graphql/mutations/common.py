"""One path for every dossier command: resolve, authorise, run off-loop, map failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

import strawberry

from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.types.outcomes import (
    DossierNotFound,
    DossierUpdated,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    VersionConflict,
)
from application.clock import trace_for
from application.errors import DossierNotFoundError, VersionConflictError
from application.onestop import OneStop
from domain.dossier import Dossier
from domain.dossier_rules import ALLOWED_ROLES, Command
from domain.errors import (
    ActorNotAllowedError,
    IllegalTransitionError,
    InvalidValueError,
    LabelledError,
)
from domain.values import AgencyCode, Role, Trace

Failures = (
    DossierNotFound | NotAllowed | IllegalTransition | VersionConflict | InvalidInput
)
Outcome = Annotated[DossierUpdated | Failures, strawberry.union("CommandResult")]
Runner = Callable[[OneStop, UUID, Trace, int | None], int | None]


@strawberry.input
class DossierRef:
    """A dossier by code, or by id while an online submission has no code yet."""

    code: str | None = None
    dossier_id: strawberry.ID | None = None
    expected_version: int | None = None


def not_found(context: Context) -> DossierNotFound:
    return DossierNotFound(
        message=context.text("Không tìm thấy hồ sơ", "Dossier not found")
    )


def failure(context: Context, error: LabelledError) -> Failures:
    message = error.message(context.language)
    if isinstance(error, DossierNotFoundError):
        return not_found(context)
    if isinstance(error, ActorNotAllowedError):
        return NotAllowed(message=message)
    if isinstance(error, IllegalTransitionError):
        status = error.details.get("status")
        return IllegalTransition(message=message, status=getattr(status, "value", ""))
    if isinstance(error, VersionConflictError):
        return VersionConflict(message=message)
    field = error.field if isinstance(error, InvalidValueError) else None
    return InvalidInput(error_code=error.code, message=message, field=field)


def dossier_id_of(onestop: OneStop, ref: DossierRef) -> UUID:
    if ref.code:
        return onestop.dossier_id_for(ref.code.strip())
    if ref.dossier_id:
        try:
            return UUID(str(ref.dossier_id))
        except ValueError:
            raise DossierNotFoundError(str(ref.dossier_id)) from None
    raise DossierNotFoundError("?")


def may_see(context: Context, dossier: Dossier) -> bool:
    """Applicants see their own; officers their subtree; any desk of the province
    sees online submissions still waiting for reception."""
    principal = context.principal
    if principal.level is AccessLevel.CITIZEN:
        return principal.owns(dossier.applicant.id)
    units = [
        dossier.competent_agency,
        dossier.holder.agency_code,
        *dossier.involved_agencies,
    ]
    if dossier.receiving_agency:
        units.append(dossier.receiving_agency)
    if any(principal.can_see_agency(unit) for unit in units):
        return True
    if dossier.receiving_agency is None and principal.agency_code:
        province = AgencyCode(dossier.competent_agency).level1
        return AgencyCode(principal.agency_code).level1 == province
    return False


def pick_role(context: Context, command: Command) -> Role | None:
    principal = context.principal
    if principal.level is AccessLevel.CITIZEN:
        return Role.CITIZEN if Role.CITIZEN in ALLOWED_ROLES[command] else None
    return next((r for r in principal.roles if r in ALLOWED_ROLES[command]), None)


async def run_command(
    context: Context, ref: DossierRef, command: Command, runner: Runner
) -> Outcome:
    if context.principal.level not in (AccessLevel.CITIZEN, AccessLevel.OFFICER):
        return NotAllowed(message=context.text("Không có quyền", "Not allowed"))
    onestop = context.services.onestop

    def execute() -> Outcome:
        try:
            dossier_id = dossier_id_of(onestop, ref)
            dossier = onestop.get_dossier(dossier_id)
            if not may_see(context, dossier):
                return not_found(context)
            role = pick_role(context, command)
            if role is None:
                return NotAllowed(
                    message=context.text(
                        "Vai trò của bạn không được thực hiện thao tác này",
                        "Your role may not do this",
                    )
                )
            trace = trace_for(
                context.principal.actor_for(role),
                correlation_id=context.correlation_id(),
            )
            position = runner(onestop, dossier_id, trace, ref.expected_version)
            # These commands never change the code; only the newest event is read.
            last = (
                list(onestop.events.get(dossier_id, desc=True, limit=1))
                if position is not None
                else []
            )
        except LabelledError as error:
            return failure(context, error)
        return DossierUpdated(
            dossier_id=strawberry.ID(str(dossier_id)),
            code=dossier.code,
            log_position=position,
            event=type(last[0]).__name__ if last else "",
        )

    return await context.run(execute)
