"""Direct execution of the simplest plans: one root field, plain leaves.

For a plan whose operation selects exactly one root field (the reads
``dossierStatus``, ``dossier``, ``myDossiers``, ``worklist``; the officer
mutations) and under it only plain scalar or enum fields and ``__typename``,
possibly inside inline fragments on the result's types (no arguments,
directives, named fragments, nested objects or repeated response keys),
graphql-core's per-field machinery is most of the cost: a ``worklist`` page
of 20 dossiers × 4 fields is 81 field executions, each building a resolve
info and checking for awaitables. Here the root field is resolved exactly as
graphql-core does (the executor strawberry uses builds the variables and the
resolve info; the same resolver runs, once); a union result (a mutation's
outcome) gets its runtime type from the union's own ``resolve_type``, and
the fields that type collects (graphql-core's fragment rule) are read with
strawberry's own basic-field resolver and coerced with the schema's leaf
types, as graphql-core's ``complete_leaf_value`` does.

Anything unusual before the resolver ran (variables or arguments refused)
hands the request to graphql-core's ``execute`` untouched; anything unusual
after it (the resolver raised, a null for a non-null field, a value a leaf
type refuses, a non-iterable list) completes the already resolved outcome
through graphql-core (a middleware returns the value, or raises the error, for
the root field instead of resolving again), so errors are graphql-core's own,
and nothing runs twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    is_abstract_type,
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
    root_type: GraphQLObjectType
    """The operation's root type (``Query`` or ``Mutation``)."""
    field: GraphQLField
    resolve: Callable[..., Any]
    non_null: bool
    is_list: bool
    items_non_null: bool
    leaves_by_type: Mapping[str, tuple[Leaf, ...] | None]
    """Per possible runtime type, its collected leaves (``None``: that type
    is left to graphql-core)."""
    union: GraphQLUnionType | None = None
    """The result's union type; ``None`` for an object result (the only key
    of ``leaves_by_type``)."""

    def complete(self, value: Any, info: GraphQLResolveInfo[Any]) -> Any:
        if value is None or value is Undefined:
            if self.non_null:
                raise Irregular
            return None
        if isinstance(value, Exception):
            raise Irregular
        if not self.is_list:
            return self._object(value, info)
        if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
            raise Irregular
        out: list[dict[str, Any] | None] = []
        for item in value:
            if item is None or item is Undefined:
                if self.items_non_null:
                    raise Irregular
                out.append(None)
            else:
                out.append(self._object(item, info))
        return out

    def _leaves(self, value: Any, info: GraphQLResolveInfo[Any]) -> tuple[Leaf, ...]:
        union = self.union
        if union is None:
            (leaves,) = self.leaves_by_type.values()
        else:
            # The union's own type resolver, as graphql-core calls it; anything
            # it refuses or answers oddly is graphql-core's to report.
            try:
                name = union.resolve_type(value, info, union)  # type: ignore[misc]
            except Exception:
                raise Irregular from None
            leaves = self.leaves_by_type.get(name) if isinstance(name, str) else None
        if leaves is None:
            raise Irregular
        return leaves

    def _object(self, value: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
        if isinstance(value, Exception):
            raise Irregular
        return self.fill(self._leaves(value, info), value)

    def fill(self, leaves: tuple[Leaf, ...], value: Any) -> dict[str, Any]:
        """``value`` completed as a runtime type collecting ``leaves``, as
        graphql-core's ``complete_leaf_value`` does each."""
        out: dict[str, Any] = {}
        for leaf in leaves:
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


def root_type_of(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> GraphQLObjectType | None:
    if operation.operation is OperationType.QUERY:
        return schema.query_type
    if operation.operation is OperationType.MUTATION:
        return schema.mutation_type
    return None


def shape_of(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Shape | None:
    """The direct shape of ``operation``, or ``None`` when it has none."""
    selections = operation.selection_set.selections
    if operation.directives or len(selections) != 1:
        return None
    (root,) = selections
    root_type = root_type_of(schema, operation)
    if not isinstance(root, FieldNode) or root.directives or root_type is None:
        return None
    field = root_type.fields.get(root.name.value)
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
    union: GraphQLUnionType | None = None
    if isinstance(inner, GraphQLUnionType):
        union, possible = inner, tuple(schema.get_possible_types(inner))
    elif isinstance(inner, GraphQLObjectType):
        possible = (inner,)
    else:
        return None
    selected = root.selection_set.selections
    leaves_by_type = {
        runtime.name: _leaves_of(schema, runtime, selected) for runtime in possible
    }
    if union is None and leaves_by_type[possible[0].name] is None:
        return None
    if all(leaves is None for leaves in leaves_by_type.values()):
        return None
    key = root.alias.value if root.alias else root.name.value
    return Shape(
        key,
        root,
        root_type,
        field,
        field.resolve,
        non_null,
        is_list,
        items_non_null,
        leaves_by_type,
        union,
    )


def _leaves_of(
    schema: GraphQLSchema,
    runtime: GraphQLObjectType,
    selections: Sequence[SelectionNode],
) -> tuple[Leaf, ...] | None:
    """The leaves ``runtime`` collects from ``selections`` in document order,
    or ``None`` when completing it needs graphql-core."""
    if runtime.is_type_of is not None:
        return None
    fields: list[FieldNode] = []
    if not _collect(schema, runtime, selections, fields):
        return None
    leaves = []
    for node in fields:
        leaf = _leaf(runtime, node)
        if leaf is None:
            return None
        leaves.append(leaf)
    if len({leaf.key for leaf in leaves}) != len(leaves):
        return None  # merged response keys: graphql-core's field collection
    return tuple(leaves)


def _collect(
    schema: GraphQLSchema,
    runtime: GraphQLObjectType,
    selections: Sequence[SelectionNode],
    into: list[FieldNode],
) -> bool:
    """graphql-core's field collection for ``runtime``, limited to fields and
    inline fragments without directives (``False``: something else)."""
    for selection in selections:
        if selection.directives:
            return False
        if isinstance(selection, FieldNode):
            into.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is not None:
                named = schema.get_type(condition.name.value)
                if named is None:
                    return False
                applies = named is runtime or (
                    is_abstract_type(named) and schema.is_sub_type(named, runtime)
                )
                if not applies:
                    continue
            if not _collect(schema, runtime, selection.selection_set.selections, into):
                return False
        else:  # a named fragment
            return False
    return True


def _leaf(parent: GraphQLObjectType, selection: FieldNode) -> Leaf | None:
    if selection.arguments or selection.selection_set is not None:
        return None
    key = selection.alias.value if selection.alias else selection.name.value
    if selection.name.value == "__typename":
        name = parent.name
        return Leaf(key, lambda _value: name, GraphQLString, True)
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


def root_path(shape: Shape) -> Path:
    return Path(None, shape.key, shape.root_type.name)


def arguments(executor: Any, shape: Shape) -> dict[str, Any]:
    """The root field's arguments as graphql-core computes them (raises
    ``GraphQLError`` when refused)."""
    if not shape.field.args and not shape.node.arguments:
        return {}
    return get_argument_values(
        shape.field,
        shape.node,
        executor.variable_values,
        None,
        executor.hide_suggestions,
    )
