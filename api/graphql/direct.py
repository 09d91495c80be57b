"""Direct execution of the simplest read plans: one root field, plain leaves.

For a plan whose operation selects exactly one root field (``dossierStatus``,
``dossier``, ``myDossiers``, ``worklist``) and under it only plain scalar or
enum fields (no arguments, directives, fragments, nested objects or repeated
response keys), graphql-core's per-field machinery is most of the cost: a
``worklist`` page of 20 dossiers × 4 fields is 81 field executions, each
building a resolve info and checking for awaitables. Here the root field is
resolved exactly as graphql-core does (the executor strawberry uses builds
the variables and the resolve info; the same resolver runs, once), and the
leaves are read with strawberry's own basic-field resolver and coerced with
the schema's leaf types, as graphql-core's ``complete_leaf_value`` does.

Anything unusual before the resolver ran (variables or arguments refused)
hands the request to graphql-core's ``execute`` untouched; anything unusual
after it (the resolver raised, a null for a non-null field, a value a leaf
type refuses, a non-iterable list) completes the already resolved outcome
through graphql-core (a middleware returns the value, or raises the error, for
the root field instead of resolving again), so errors are graphql-core's own,
and nothing runs twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined


class Irregular(Exception):
    """A value the direct completion does not handle: graphql-core completes it."""


@dataclass(frozen=True)
class Leaf:
    key: str
    resolve: Callable[[Any], Any]
    type: GraphQLScalarType | GraphQLEnumType
    non_null: bool


@dataclass(frozen=True)
class Shape:
    """The root field and how its value is completed."""

    key: str
    node: FieldNode
    field_type: Any
    resolve: Callable[..., Any]
    non_null: bool
    is_list: bool
    items_non_null: bool
    object_type: GraphQLObjectType
    leaves: tuple[Leaf, ...]

    def complete(self, value: Any) -> Any:
        if value is None or value is Undefined:
            if self.non_null:
                raise Irregular
            return None
        if isinstance(value, Exception):
            raise Irregular
        if not self.is_list:
            return self._object(value)
        if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
            raise Irregular
        out: list[dict[str, Any] | None] = []
        for item in value:
            if item is None or item is Undefined:
                if self.items_non_null:
                    raise Irregular
                out.append(None)
            else:
                out.append(self._object(item))
        return out

    def _object(self, value: Any) -> dict[str, Any]:
        if isinstance(value, Exception):
            raise Irregular
        out: dict[str, Any] = {}
        for leaf in self.leaves:
            try:
                raw = leaf.resolve(value)
            except Exception:
                raise Irregular from None
            if raw is None or raw is Undefined:
                if leaf.non_null:
                    raise Irregular
                out[leaf.key] = None
                continue
            if isinstance(raw, Exception):
                raise Irregular
            try:
                coerced = leaf.type.coerce_output_value(raw)
            except Exception:
                raise Irregular from None
            if coerced is None or coerced is Undefined:
                raise Irregular
            out[leaf.key] = coerced
        return out


def shape_of(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Shape | None:
    """The direct shape of ``operation``, or ``None`` when it has none."""
    selections = operation.selection_set.selections
    if operation.directives or len(selections) != 1:
        return None
    (root,) = selections
    query = schema.query_type
    if not isinstance(root, FieldNode) or root.directives or query is None:
        return None
    field = query.fields.get(root.name.value)
    if field is None or field.resolve is None or root.selection_set is None:
        return None
    field_type = field.type
    non_null = isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    is_list = isinstance(inner, GraphQLList)
    items_non_null = False
    if isinstance(inner, GraphQLList):
        inner = inner.of_type
        items_non_null = isinstance(inner, GraphQLNonNull)
        if isinstance(inner, GraphQLNonNull):
            inner = inner.of_type
    if not isinstance(inner, GraphQLObjectType) or inner.is_type_of is not None:
        return None
    leaves = []
    for selection in root.selection_set.selections:
        leaf = _leaf(inner, selection)
        if leaf is None:
            return None
        leaves.append(leaf)
    if len({leaf.key for leaf in leaves}) != len(leaves):
        return None  # merged response keys: graphql-core's field collection
    key = root.alias.value if root.alias else root.name.value
    return Shape(
        key,
        root,
        field_type,
        field.resolve,
        non_null,
        is_list,
        items_non_null,
        inner,
        tuple(leaves),
    )


def _leaf(parent: GraphQLObjectType, selection: Any) -> Leaf | None:
    if (
        not isinstance(selection, FieldNode)
        or selection.directives
        or selection.arguments
        or selection.selection_set is not None
    ):
        return None
    field = parent.fields.get(selection.name.value)
    if field is None or field.args:
        return None
    resolve = field.resolve
    # strawberry's resolver of a field without a resolver of its own
    # (``_get_basic_result``): the configured default resolver, no info needed.
    if resolve is None or not getattr(resolve, "_is_default", False):
        return None
    leaf_type = field.type
    non_null = isinstance(leaf_type, GraphQLNonNull)
    if isinstance(leaf_type, GraphQLNonNull):
        leaf_type = leaf_type.of_type
    if not isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType):
        return None
    key = selection.alias.value if selection.alias else selection.name.value
    return Leaf(key, _plain_read(field) or resolve, leaf_type, non_null)


def _plain_read(field: Any) -> Callable[[Any], Any] | None:
    """``getattr(source, python_name)`` as one C call, when that is all
    strawberry's basic-field resolver would do (no resolver of its own, the
    default resolver ``getattr``)."""
    definition = (field.extensions or {}).get("strawberry-definition")
    if (
        definition is None
        or getattr(definition, "base_resolver", True) is not None
        or getattr(definition, "default_resolver", None) is not getattr
        or not isinstance(getattr(definition, "python_name", None), str)
    ):
        return None
    return attrgetter(definition.python_name)


def root_path(shape: Shape, query: GraphQLObjectType) -> Path:
    return Path(None, shape.key, query.name)


def arguments(executor: Any, shape: Shape) -> dict[str, Any]:
    """The root field's arguments as graphql-core computes them (raises
    ``GraphQLError`` when refused)."""
    field = executor.schema.query_type.fields[shape.node.name.value]
    if not field.args and not shape.node.arguments:
        return {}
    return get_argument_values(
        field,
        shape.node,
        executor.variable_values,
        None,
        executor.hide_suggestions,
    )
