"""Which authenticated read queries may be answered from a kept page.

A plan whose operation is one root field answered directly
(``api.graphql.direct``: plain leaves only, so no nested resolver such as
``openedBy`` or the officer's timeline) is a *page* when its answer depends
only on the read models whose changes reach the page cache
(``adapters.cache.pages``), the principal, the language and the request:

* ``myDossiers(limit:)`` and ``dossier(code:)`` of a citizen: the citizen
  read model's rows of the owner, and agency names;
* ``worklist(agencyCode:, status:, department:, limit:)`` of an officer or
  reviewer, without ``needsApology`` or ``dueAtShown`` among its fields: the
  worklist rows of the scope's subtree. Its clock-dependent arguments
  (``dueWithinHours``, ``overdue``, ``needsApology``) and fields (worked out
  from the working calendar at the instant of the request) are never kept.

``after:`` (read-your-writes) is not a page argument: such a query waits and
reads as before. A kept worklist page records its dossiers in the access log
again on every reuse, exactly as a built one does.

:class:`PageBuilds`: when a change drops a page that many connections are
reading, every request in flight used to miss and build the same page (32
connections: ~30 builds per change, the hit rate under writes fell with the
concurrency). Now the first miss builds it and later misses of the same page
wait for that build and take the page it kept — a hit right after the fill,
as any later request would get. When its fill was refused (a change came
after its ticket) or it did not fill at all, they build their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import FieldNode, InlineFragmentNode, SelectionNode

from adapters.cache.pages import (
    Page,
    PageCache,
    PageKey,
    citizen_audience,
    unit_audience,
)
from api.auth import AccessLevel
from api.graphql.context import Context
from api.graphql.direct import Shape

_CITIZEN: Final = frozenset({AccessLevel.CITIZEN})
_OFFICER: Final = frozenset({AccessLevel.OFFICER, AccessLevel.REVIEWER})
_ARGUMENTS: Final = {
    "myDossiers": frozenset({"limit"}),
    "dossier": frozenset({"code"}),
    "worklist": frozenset({"agencyCode", "status", "department", "limit"}),
}
_CLOCK_FIELDS: Final = frozenset({"needsApology", "dueAtShown"})
"""Officer fields worked out from the calendar at the request's instant."""


@dataclass(frozen=True)
class PageRule:
    field: str
    levels: frozenset[AccessLevel]

    def key(self, context: Context, body: bytes) -> PageKey | None:
        """Everything the answer depends on besides the read models."""
        principal = context.principal
        if principal.level not in self.levels:
            return None
        return (
            self.field,
            principal.level,
            principal.subject,
            principal.agency_code,
            principal.department,
            principal.roles,
            context.language,
            body,
        )

    def audience(self, context: Context, args: Mapping[str, Any]) -> str | None:
        """Whose changes drop the page (``None``: not kept)."""
        principal = context.principal
        if self.levels is _CITIZEN:
            return (
                None if not principal.subject else citizen_audience(principal.subject)
            )
        scope = args.get("agency_code", args.get("agencyCode")) or principal.agency_code
        return None if not isinstance(scope, str) else unit_audience(scope)

    def reused(self, context: Context, accessed: tuple[str, ...]) -> None:
        """What building the page did besides answering: the access log."""
        if accessed:
            context.services.record_access(
                context.principal, list(accessed), context.purpose(self.field)
            )
        context.accessed = accessed


def page_rule(shape: Shape) -> PageRule | None:
    field = shape.node.name.value
    allowed = _ARGUMENTS.get(field)
    if allowed is None or shape.root_type.name != "Query":
        return None
    if any(
        argument.name.value not in allowed for argument in shape.node.arguments or ()
    ):
        return None
    if field == "worklist":
        assert shape.node.selection_set is not None
        if _names(shape.node.selection_set.selections) & _CLOCK_FIELDS:
            return None
        return PageRule(field, _OFFICER)
    return PageRule(field, _CITIZEN)


def _names(selections: tuple[SelectionNode, ...]) -> set[str]:
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _names(selection.selection_set.selections)
    return names


_BUILD_WAIT_SECONDS: Final = 2.0
"""A waiter builds its own page after this (a build stuck on the database)."""


class PageBuilds:
    """The pages being built now, per worker (used on its event loop only)."""

    def __init__(self) -> None:
        self._building: dict[PageKey, asyncio.Event] = {}

    def __len__(self) -> int:
        return len(self._building)

    async def kept_after_build(self, pages: PageCache, key: PageKey) -> Page | None:
        """If ``key`` is being built: wait for that build, then its page.

        A build that kept no page (its fill was void) wakes its waiters: the
        first to run finds no build and leads the next one (``None``: it
        builds, and registers before any other waiter runs); the others wait
        for that one — never longer than the bound in all."""
        deadline = asyncio.get_running_loop().time() + _BUILD_WAIT_SECONDS
        while (built := self._building.get(key)) is not None:
            left = deadline - asyncio.get_running_loop().time()
            try:
                await asyncio.wait_for(built.wait(), max(0.0, left))
            except TimeoutError:
                return None
            page = pages.get(key, joined=True)
            if page is not None:
                return page
        return None

    def start(self, key: PageKey) -> asyncio.Event | None:
        """This request builds ``key`` (``None``: another already does, and
        this one builds its own). Pass the result to :meth:`finish`."""
        if key in self._building:
            return None
        built = self._building[key] = asyncio.Event()
        return built

    def finish(self, key: PageKey, built: asyncio.Event | None) -> None:
        """After the build and its fill (or any other end): wake the waiters."""
        if built is None:
            return
        if self._building.get(key) is built:
            del self._building[key]
        built.set()
