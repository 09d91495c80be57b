"""One path for every dossier command: resolve, authorise, run off-loop, map failures."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Annotated
from uuid import UUID

import strawberry

from api.auth import AccessLevel, Principal
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
from application.onestop import CommandOutcome, OneStop
from domain.dossier_rules import ALLOWED_ROLES, Command
from domain.errors import (
    ActorNotAllowedError,
    IllegalTransitionError,
    InvalidValueError,
    LabelledError,
)
from domain.values import Actor, Role, Trace
from domain.visibility import DossierNotVisibleError

Failures = (
    DossierNotFound | NotAllowed | IllegalTransition | VersionConflict | InvalidInput
)
Outcome = Annotated[DossierUpdated | Failures, strawberry.union("CommandResult")]
Runner = Callable[[OneStop, UUID, Trace, int | None], CommandOutcome]


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
    if isinstance(error, DossierNotFoundError | DossierNotVisibleError):
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
    """The dossier a reference names; a code and an id naming two different
    dossiers name none (answered like an unknown dossier)."""
    given: UUID | None = None
    if ref.dossier_id:
        try:
            given = UUID(str(ref.dossier_id))
        except ValueError:
            raise DossierNotFoundError(str(ref.dossier_id)) from None
    if ref.code:
        by_code = onestop.dossier_id_for(ref.code.strip())
        if given is not None and given != by_code:
            raise DossierNotFoundError(str(ref.dossier_id))
        return by_code
    if given is not None:
        return given
    raise DossierNotFoundError("?")


@lru_cache(maxsize=4096)
def _actor(principal: Principal, role: Role | None) -> Actor:
    return principal.actor_for(role)


def actor_of(context: Context, role: Role | None) -> Actor:
    """``context.principal.actor_for(role)``, remembered per principal and
    role: a principal is the same object for each request of its token, and
    building an actor checks its claims as text (a refusal is not kept)."""
    return _actor(context.principal, role)


def pick_role(context: Context, command: Command) -> Role | None:
    """The principal's first role allowed for ``command`` (``None``: the domain
    refuses it, after answering an unseen dossier as not found)."""
    principal = context.principal
    if principal.level is AccessLevel.CITIZEN:
        return Role.CITIZEN
    return next((r for r in principal.roles if r in ALLOWED_ROLES[command]), None)


async def run_command(
    context: Context, ref: DossierRef, command: Command, runner: Runner
) -> Outcome:
    """One application call: visibility, role, version and rules are the domain's."""
    if context.principal.level not in (AccessLevel.CITIZEN, AccessLevel.OFFICER):
        return NotAllowed(message=context.text("Không có quyền", "Not allowed"))
    onestop = context.services.onestop

    def execute() -> Outcome:
        try:
            dossier_id = dossier_id_of(onestop, ref)
            trace = trace_for(
                actor_of(context, pick_role(context, command)),
                correlation_id=context.correlation_id(),
            )
            done = runner(onestop, dossier_id, trace, ref.expected_version)
        except LabelledError as error:
            return failure(context, error)
        return DossierUpdated(
            dossier_id=strawberry.ID(str(done.dossier_id)),
            code=done.code,
            log_position=done.log_position,
            event=done.event,
            version=done.version,
        )

    return await context.run(execute)
