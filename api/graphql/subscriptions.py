"""Subscriptions: a dossier's public status as it changes.

Woken by the projector's change notifications (``api.live``), never by polling;
each subscription is bounded by a lifetime and an idle time, and the number of
subscriptions per process is bounded.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry
from graphql import GraphQLError

from api.graphql.apology import apology_due
from api.graphql.context import Context
from api.graphql.queries import limit_anonymous_lookups, lookup_status
from api.graphql.types.public import PublicDossierStatus
from api.live import TooManySubscribersError, Watch
from projections.public_status import Completion

Info = strawberry.Info[Context, None]
_FINAL = {Completion.RETURNED, Completion.CLOSED}
_per_connection: weakref.WeakKeyDictionary[Context, int] = weakref.WeakKeyDictionary()


@strawberry.type
class Subscription:
    apology_due = strawberry.subscription(
        resolver=apology_due,
        description="Hồ sơ của đơn vị cần xin lỗi và hẹn lại (R-12), cho cán bộ",
    )

    @strawberry.subscription(description="Theo dõi mức độ hoàn thành của một hồ sơ")
    async def dossier_status_changed(
        self,
        info: Info,
        code: str,
        interval_seconds: Annotated[
            float | None,
            strawberry.argument(
                deprecation_reason="Ignored: updates follow the projector's changes"
            ),
        ] = None,
    ) -> AsyncGenerator[PublicDossierStatus, None]:
        context = info.context
        services = context.services
        await limit_anonymous_lookups(context)
        code = code.strip()
        # One context per websocket connection: count its subscriptions there.
        open_here = _per_connection.get(context, 0)
        try:
            if open_here >= services.subscriptions_per_connection:
                raise TooManySubscribersError(code)
            # Watch before the first read, so a change in between is not missed.
            watching = services.feed.watch(code)
        except TooManySubscribersError:
            raise GraphQLError(
                context.text(
                    "Quá nhiều người đang theo dõi, vui lòng thử lại sau",
                    "Too many subscriptions, try again later",
                ),
                extensions={"code": "TOO_MANY_SUBSCRIPTIONS"},
            ) from None
        ends = time.monotonic() + services.subscription_seconds
        _per_connection[context] = open_here + 1
        try:
            async with aclosing(_follow(context, code, watching, ends)) as updates:
                async for status in updates:
                    yield status
        finally:
            _per_connection[context] = _per_connection.get(context, 1) - 1


async def _follow(
    context: Context, code: str, watching: Watch, ends: float
) -> AsyncGenerator[PublicDossierStatus, None]:
    services = context.services
    with watching as changed:
        status = await lookup_status(context, code)
        if status is None:
            raise GraphQLError(
                context.text(
                    "Không tìm thấy hồ sơ với mã này", "No dossier has this code"
                ),
                extensions={"code": "DOSSIER_NOT_FOUND"},
            )
        last = status.completion
        yield PublicDossierStatus.of(status.code, last, context.language)
        while last not in _FINAL:
            wait = min(services.subscription_idle_seconds, ends - time.monotonic())
            try:
                await asyncio.wait_for(changed.wait(), timeout=max(wait, 0))
            except TimeoutError:
                return  # idle or lifetime bound: the client may subscribe again
            changed.clear()
            status = await lookup_status(context, code)
            if status is not None and status.completion is not last:
                last = status.completion
                yield PublicDossierStatus.of(status.code, last, context.language)
