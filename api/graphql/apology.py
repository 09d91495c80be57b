"""Subscription ``apologyDue``: dossiers of a unit that now need an apology (R-12).

A dossier starts to need one when the clock reaches the apology lead before its
due time (``officer_view.apology_lead``: the cut-off plus a working day's
notice); that is the passing of time, not an event, so the worklist is read
again on a timer. Each dossier is announced once per subscription: first every
dossier that needs one now, then each that starts to need one later.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.officer_view import OfficerPresentation
from api.graphql.types.officer import OfficerDossier
from projections.worklist import WorkItem

Info = strawberry.Info[Context, None]
_MAX_PER_ROUND = 500


def _needing_apology(
    context: Context, scope: str, view: OfficerPresentation
) -> list[WorkItem]:
    return context.services.worklist.open_for(
        scope, apology_due_before=view.apology_due_before, limit=_MAX_PER_ROUND
    )


async def apology_due(
    info: Info, agency_code: str | None = None, interval_seconds: float = 30.0
) -> AsyncGenerator[OfficerDossier, None]:
    context = info.context
    principal = context.require(AccessLevel.OFFICER)
    scope = (agency_code or principal.agency_code or "").strip()
    if not scope or not principal.can_see_agency(scope):
        raise GraphQLError(
            context.text("Không có quyền truy cập", "Forbidden"),
            extensions={"code": "FORBIDDEN"},
        )
    services = context.services
    pause = max(1.0, min(interval_seconds, 300.0))
    announced: set[str] = set()
    while True:
        view = await context.run(OfficerPresentation.of, services, scope)
        if view.apology_due_before is not None:
            items = await context.run(_needing_apology, context, scope, view)
            for item in items:
                if item.dossier_id not in announced:
                    announced.add(item.dossier_id)
                    yield OfficerDossier.of(item, context.language, view)
        await asyncio.sleep(pause)
