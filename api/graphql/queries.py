"""Queries: every field reads a read model, never the write side."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NoReturn

import orjson
import strawberry
from graphql import GraphQLError
from strawberry.types.nodes import SelectedField

from adapters.cache import RateDecision
from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.officer_view import OfficerPresentation
from api.graphql.types.catalogue import Procedure
from api.graphql.types.citizen import CitizenDossier
from api.graphql.types.common import DossierStatus
from api.graphql.types.history import DossierHistory
from api.graphql.types.officer import OfficerDossier
from api.graphql.types.public import PublicDossierStatus
from api.read_your_writes import ReadWaitRefusedError
from api.services import encode_status, status_key
from application.errors import DossierNotFoundError
from application.history import dossier_history
from domain.dossier_code import is_dossier_code
from projections.citizen import CitizenDossier as CitizenRow
from projections.public_status import Completion, PublicStatus
from projections.worklist import WorkItem

Info = strawberry.Info[Context, None]
_STATUS_TTL = 300
_MAX_DUE_WITHIN_HOURS = 10 * 366 * 24


async def lookup_status(
    context: Context, code: str, *, admitted: bool = True
) -> PublicStatus | None:
    """Cache first (kept fresh by the projector), then the read model.

    ``admitted=False``: the anonymous rate limit is not yet checked — for an
    anonymous caller it is checked with the cache read, in one Redis round
    trip (a refusal raises ``RATE_LIMITED`` and reads nothing)."""
    services = context.services
    anonymous = not admitted and context.principal.level is AccessLevel.ANONYMOUS
    if not is_dossier_code(code):
        if anonymous:
            await limit_anonymous_lookups(context)
        return None
    key = status_key(code)
    # Several workers without a shared cache: an entry is served only in the
    # generation it was read in (read before the read model, see adapters.workers).
    stamp = b"" if services.generation is None else b"%d|" % services.generation.value()
    cached: bytes | None = None
    gate = services.caches.lookup_gate if anonymous else None
    if gate is not None and services.cache_enabled:
        decision, cached = await gate.admit(
            _rate_key(context),
            key,
            limit=services.lookup_limit,
            window_seconds=services.lookup_window_seconds,
        )
        if not decision.allowed:
            _refuse(context, decision)
    elif anonymous:
        await limit_anonymous_lookups(context)
    elif services.cache_enabled:
        cached = await services.caches.lookup_cache.get(key)
    if cached is not None and cached.startswith(stamp):
        body = orjson.loads(cached[len(stamp) :])
        return PublicStatus(body["code"], Completion(body["completion"]))
    # A worker's own cache: taken before the read, voided by a later invalidation.
    ticket = gate.ticket() if gate is not None else None
    status = await context.read(services.public.lookup, code)
    if status is not None and services.cache_enabled:
        value = stamp + encode_status(status)
        if gate is not None:
            await gate.fill(key, value, _STATUS_TTL, ticket)
        else:
            await services.caches.lookup_cache.set(key, value, _STATUS_TTL)
    return status


async def public_dossier_status(
    context: Context, code: str
) -> PublicDossierStatus | None:
    """``dossierStatus(code:)``: the resolver's whole work, also run by its
    plan (``api.graphql.planned_lookup``)."""
    status = await lookup_status(context, code.strip(), admitted=False)
    if status is None:
        return None
    return PublicDossierStatus.of(status.code, status.completion, context.language)


def _rate_key(context: Context) -> str:
    return f"lookup:{context.client}"


async def limit_anonymous_lookups(context: Context) -> None:
    """Anonymous lookups (queries and subscriptions) are rate-limited per client."""
    services = context.services
    if context.principal.level is not AccessLevel.ANONYMOUS:
        return
    decision = await services.caches.rate_limiter.allow(
        _rate_key(context),
        limit=services.lookup_limit,
        window_seconds=services.lookup_window_seconds,
    )
    if not decision.allowed:
        _refuse(context, decision)


def _refuse(context: Context, decision: RateDecision) -> NoReturn:
    context.services.metrics.rate_limited.inc()
    raise GraphQLError(
        context.text(
            "Tra cứu quá nhiều, vui lòng thử lại sau",
            "Too many lookups, try again later",
        ),
        extensions={
            "code": "RATE_LIMITED",
            "retryAfter": decision.retry_after_seconds,
        },
    )


_WAIT_REFUSALS = {
    "NOT_YET_WRITTEN": (
        "Vị trí {after} chưa có trong nhật ký sự kiện (hiện tại: {head})",
        "Log position {after} has not been written yet (head: {head})",
    ),
    "TOO_MANY_WAITING": (
        "Quá nhiều yêu cầu đang chờ cập nhật, vui lòng thử lại sau",
        "Too many queries are waiting for updates, try again later",
    ),
    "NOT_YET_PROJECTED": (
        "Dữ liệu chưa được cập nhật, vui lòng thử lại",
        "Not yet projected, try again",
    ),
}


async def wait_for(context: Context, after: int | None) -> None:
    """Read-your-writes: wait until the read models have applied ``after``
    (on the event loop, never in a worker thread; see api.read_your_writes)."""
    if after is None:
        return
    try:
        await context.services.reads.wait(after)
    except ReadWaitRefusedError as refused:
        vi, en = _WAIT_REFUSALS[refused.code]
        extensions: dict[str, object] = {"code": refused.code}
        if refused.head is not None:
            extensions["logPosition"] = refused.head
        raise GraphQLError(
            context.text(vi, en).format(after=after, head=refused.head),
            extensions=extensions,
        ) from None


PARTS = frozenset({"steps", "supplements", "fees", "results"})
"""Lists of a citizen dossier read from their own tables, only when asked for."""


def selected(info: Info) -> set[str]:
    """Names selected under this field, through fragments too."""
    names: set[str] = set()
    pending: list[Any] = list(info.selected_fields[0].selections)
    while pending:
        item = pending.pop()
        if isinstance(item, SelectedField):
            names.add(item.name)
        else:  # inline fragment or fragment spread
            pending.extend(item.selections)
    return names


def citizen_dossiers(
    context: Context, rows: list[CitizenRow], parts: set[str]
) -> list[CitizenDossier]:
    """Presented in the caller's thread: one hop for a whole page, the agency
    names read once, a part's table read only when the query asks for it."""
    services = context.services
    if not rows:
        return []
    names = services.catalogue.agency_names()
    citizen = services.citizen
    return [
        CitizenDossier.of(
            row,
            language=context.language,
            names=names,
            steps=citizen.steps(row.dossier_id) if "steps" in parts else [],
            supplements=(
                citizen.supplements(row.dossier_id) if "supplements" in parts else []
            ),
            fees=citizen.fees(row.dossier_id) if "fees" in parts else [],
            results=citizen.results(row.dossier_id) if "results" in parts else [],
        )
        for row in rows
    ]


def _officer_sees(context: Context, item: WorkItem) -> bool:
    """The domain's visibility rule over the folded row: any unit of the
    principal's subtree competent for, receiving, holding or involved in it."""
    principal = context.principal
    if principal.level not in (AccessLevel.OFFICER, AccessLevel.REVIEWER):
        return False
    if principal.agency_code is None:  # a reviewer without scope sees all
        return principal.level is AccessLevel.REVIEWER
    return item.seen_by_unit(principal.agency_code)


@strawberry.type
class Query:
    @strawberry.field(
        description="Tra cứu công khai theo mã hồ sơ (không cần đăng nhập)"
    )
    async def dossier_status(self, info: Info, code: str) -> PublicDossierStatus | None:
        return await public_dossier_status(info.context, code)

    @strawberry.field(description="Tìm thủ tục hành chính theo tên, mã, lĩnh vực")
    async def procedures(
        self,
        info: Info,
        search: str = "",
        agency_code: str | None = None,
        limit: int = 50,
    ) -> list[Procedure]:
        entries = await info.context.read(
            lambda: info.context.services.catalogue.search(
                search[:200], agency_code=agency_code, limit=max(1, min(limit, 200))
            )
        )
        return [Procedure.of(e) for e in entries]

    @strawberry.field(description="Hồ sơ của tôi (công dân đã xác thực)")
    async def my_dossiers(
        self, info: Info, after: int | None = None, limit: int = 50
    ) -> list[CitizenDossier]:
        context = info.context
        principal = context.require(AccessLevel.CITIZEN)
        await wait_for(context, after)
        page = max(1, min(limit, 200))  # api.graphql.cost.PAGES
        citizen = context.services.citizen
        parts = selected(info) & PARTS
        return await context.read(
            lambda: citizen_dossiers(
                context, citizen.dossiers_of(principal.subject or "", page), parts
            )
        )

    @strawberry.field(description="Một hồ sơ của tôi theo mã")
    async def dossier(
        self, info: Info, code: str, after: int | None = None
    ) -> CitizenDossier | None:
        context = info.context
        principal = context.require(AccessLevel.CITIZEN)
        await wait_for(context, after)
        citizen = context.services.citizen
        parts = selected(info) & PARTS

        def load() -> CitizenDossier | None:
            row = citizen.dossier(principal.subject or "", code)
            return None if row is None else citizen_dossiers(context, [row], parts)[0]

        return await context.read(load)

    @strawberry.field(
        description="Hồ sơ đang mở của đơn vị: sắp đến hạn (dueWithinHours), quá hạn "
        "(overdue), chờ bổ sung (status: AWAITING_SUPPLEMENT), theo phòng ban, "
        "cần xin lỗi và hẹn lại (needsApology, R-12)"
    )
    async def worklist(
        self,
        info: Info,
        agency_code: str | None = None,
        status: DossierStatus | None = None,
        due_within_hours: int | None = None,
        overdue: bool = False,
        department: str | None = None,
        limit: int = 100,
        after: int | None = None,
        needs_apology: bool | None = None,
    ) -> list[OfficerDossier]:
        context = info.context
        principal = context.require(AccessLevel.OFFICER, AccessLevel.REVIEWER)
        scope = agency_code or principal.agency_code
        if scope is None or not principal.can_see_agency(scope):
            raise GraphQLError(
                context.text("Không có quyền truy cập", "Forbidden"),
                extensions={"code": "FORBIDDEN"},
            )
        await wait_for(context, after)
        due_before = (
            datetime.now().astimezone()
            + timedelta(
                hours=max(
                    -_MAX_DUE_WITHIN_HOURS,
                    min(due_within_hours, _MAX_DUE_WITHIN_HOURS),
                )
            )
            if due_within_hours is not None
            else None
        )
        if overdue:
            now = datetime.now().astimezone()
            due_before = min(due_before, now) if due_before else now

        def load() -> list[OfficerDossier]:
            # The calendar comes from the event store (its catalogue cache may
            # read): never on the loop. The page is read in the same hop to a
            # worker thread (one hop, not two, where reads are not inline).
            view = OfficerPresentation.of(context.services, scope)
            if needs_apology and view.apology_due_before is None:
                return []  # no calendar: no due time can be near
            items = context.services.worklist.open_for(
                scope,
                due_before=due_before,
                status=status.domain if status else None,
                department=department,
                apology_due_before=view.apology_due_before if needs_apology else None,
                limit=max(1, min(limit, 500)),
            )
            if needs_apology is False:
                items = [i for i in items if not view.needs_apology(i)]
            return [OfficerDossier.of(i, context.language, view) for i in items]

        found = await context.run(load)
        accessed = [str(d.dossier_id) for d in found]
        context.services.record_access(principal, accessed, context.purpose("worklist"))
        context.accessed = tuple(accessed)  # recorded again when the page is reused
        return found

    @strawberry.field(
        description="Hồ sơ như hệ thống biết tại thời điểm asOf: trạng thái, tài liệu, "
        "hạn và cách tính, từng bước (thanh tra) / the dossier as known at asOf "
        "(reviewers)"
    )
    async def dossier_history(
        self, info: Info, code: str, as_of: datetime | None = None
    ) -> DossierHistory | None:
        context = info.context
        principal = context.require(AccessLevel.REVIEWER)
        if as_of is not None and as_of.tzinfo is None:
            raise GraphQLError(
                context.text("asOf cần múi giờ", "asOf needs a UTC offset"),
                extensions={"code": "INVALID_VALUE"},
            )
        onestop = context.services.onestop
        try:
            found = await context.run(dossier_history, onestop, code.strip(), as_of)
        except DossierNotFoundError:
            return None
        # The domain rule over every unit the dossier passed through (as of then).
        if not any(principal.can_see_agency(c) for c in found.involved_agencies if c):
            return None
        context.services.record_access(
            principal, found.dossier_id, context.purpose("dossierHistory")
        )
        return DossierHistory.of(found)

    @strawberry.field(
        description="Chi tiết hồ sơ và dòng thời gian (cán bộ, thanh tra)"
    )
    async def officer_dossier(
        self, info: Info, code: str, after: int | None = None
    ) -> OfficerDossier | None:
        context = info.context
        context.require(AccessLevel.OFFICER, AccessLevel.REVIEWER)
        await wait_for(context, after)
        services = context.services
        item = await context.read(services.worklist.by_code, code)
        if item is None or not _officer_sees(context, item):
            return None
        services.record_access(
            context.principal, item.dossier_id, context.purpose("officerDossier")
        )
        timeline = await context.read(services.timeline.entries, item.dossier_id)
        steps = await context.read(services.control_sheet.steps, item.dossier_id)
        view = await context.run(
            OfficerPresentation.of, services, item.competent_agency
        )
        return OfficerDossier.of(item, context.language, view, timeline, steps)
