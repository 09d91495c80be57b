"""Subscriptions: a dossier's public status as it changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from api.graphql.apology import apology_due
from api.graphql.context import Context
from api.graphql.queries import limit_anonymous_lookups, lookup_status
from api.graphql.types.public import PublicDossierStatus
from projections.public_status import Completion

Info = strawberry.Info[Context, None]
_FINAL = {Completion.RETURNED, Completion.CLOSED}


@strawberry.type
class Subscription:
    apology_due = strawberry.subscription(
        resolver=apology_due,
        description="Hồ sơ của đơn vị cần xin lỗi và hẹn lại (R-12), cho cán bộ",
    )

    @strawberry.subscription(description="Theo dõi mức độ hoàn thành của một hồ sơ")
    async def dossier_status_changed(
        self, info: Info, code: str, interval_seconds: float = 0.5
    ) -> AsyncGenerator[PublicDossierStatus, None]:
        context = info.context
        await limit_anonymous_lookups(context)
        last: Completion | None = None
        while True:
            status = await lookup_status(context, code.strip())
            if status is not None and status.completion is not last:
                last = status.completion
                yield PublicDossierStatus.of(
                    status.code, status.completion, context.language
                )
                if last in _FINAL:
                    return
            await asyncio.sleep(max(0.1, min(interval_seconds, 10.0)))
