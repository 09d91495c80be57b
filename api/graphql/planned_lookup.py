"""Planned lookups: the anonymous ``dossierStatus`` straight from the request.

On the direct path (``api.graphql.direct``) a lookup still builds
graphql-core's executor per request (variable coercion, resolve info) and
goes through strawberry's resolver wrapper (argument conversion, the field
extensions' resolver, its own ``Info``): a quarter of what a served lookup
spends in the GraphQL layer. A lookup is the public query users send most,
and its shape is as fixed as an officer's command, so it is planned the same
way (``api.graphql.planned``, whose variable and argument rules it shares):
for a document whose operation is one root field of :data:`LOOKUPS` over an
object (or null) result, a plan made once per document text holds each
variable's type, where each argument comes from and its converter, the
function the resolver calls, and the result type's class, so a request is
coerced, run and completed without the executor or the wrapper and rendered
once to JSON bytes.

Anything the plan does not cover leaves the request, before anything ran, to
the direct path (``Unplanned``): a variable graphql-core would refuse, a null
for a non-null argument. An error raised by the lookup (the rate limit) or a
result the completion does not handle (``Irregular``) is completed by
graphql-core with that outcome given, so its errors are graphql-core's own
and nothing runs twice. The rate limit, the caches and read-your-writes are
the lookup function's, the same one the resolver calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from graphql import OperationDefinitionNode, OperationType

from api.graphql.context import Context
from api.graphql.direct import Irregular, Leaf, Shape

# The planning rules are the officer commands' (one set of rules for both).
from api.graphql.planned import (
    PlannedArguments,
    Unplanned,
    _union_members,
    plan_arguments,
)
from api.graphql.queries import public_dossier_status
from api.graphql.schema import MotcuaSchema

Lookup = Callable[..., Awaitable[Any]]
"""``(context, **arguments)``: what the field's resolver does, without ``info``."""

LOOKUPS: Final[Mapping[str, Lookup]] = {"dossierStatus": public_dossier_status}
"""The read queries a plan may run: root field name → the resolver's function."""


@dataclass(frozen=True)
class PlannedLookup:
    lookup: Lookup
    call: PlannedArguments
    shape: Shape
    leaves: tuple[Leaf, ...]
    result: type
    """The class strawberry resolves the field's object type from."""

    def kwargs(self, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
        return self.call.kwargs(inputs)

    async def run(self, context: Context, kwargs: dict[str, Any]) -> Any:
        return await self.lookup(context, **kwargs)

    def complete(self, value: Any) -> Any:
        """The root field's completed value (``Irregular``: graphql-core's)."""
        if value is None:
            if self.shape.non_null:
                raise Irregular
            return None
        if type(value) is not self.result:
            raise Irregular
        return self.shape.fill(self.leaves, value)


def plan_lookup(
    schema: MotcuaSchema, operation: OperationDefinitionNode, shape: Shape | None
) -> PlannedLookup | None:
    """The plan of ``operation`` (validated, direct ``shape``), or ``None``."""
    if operation.operation is not OperationType.QUERY or shape is None:
        return None
    lookup = LOOKUPS.get(shape.node.name.value)
    definition = (shape.field.extensions or {}).get("strawberry-definition")
    if (
        lookup is None
        or definition is None
        or shape.union is not None
        or shape.is_list
        or shape.root_type.name != "Query"
    ):
        return None
    ((type_name, leaves),) = shape.leaves_by_type.items()
    members = _union_members([schema._schema.get_type(type_name)])
    if leaves is None or not members:
        return None
    ((result, _),) = members.items()
    call = plan_arguments(schema, operation, shape, definition)
    if call is None:
        return None
    return PlannedLookup(lookup, call, shape, leaves, result)


__all__ = ["LOOKUPS", "PlannedLookup", "Unplanned", "plan_lookup"]
