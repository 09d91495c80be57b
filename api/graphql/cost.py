"""What a GraphQL operation may cost, computed before it runs.

Every field resolved counts 1 per instance; a list field multiplies the cost
of what is selected inside it by its page size (its ``limit`` argument,
clamped like the resolver clamps it, or its default page) — nested lists
without an argument by the size they are expected to have. Reading the store
costs ``READ_COST`` more per read: each root field reads once, building a
citizen's dossier reads four more times (steps, supplements, fees, results)
whatever is selected. Aliases repeat fields, so they multiply the cost too:
fifteen aliases of ``myDossiers`` cost fifteen times one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_object_type,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLObjectType

READ_COST = 10


@dataclass(frozen=True)
class Page:
    """A list field's page size: ``default`` when not asked, at most ``maximum``."""

    default: int
    maximum: int
    argument: str | None = "limit"


PAGES: Mapping[str, Page] = {
    "Query.procedures": Page(50, 200),
    "Query.myDossiers": Page(50, 200),
    "Query.worklist": Page(100, 500),
    "Query.myDocuments": Page(50, 200),
    "Query.warehouseDocuments": Page(50, 200),
}
"""Root lists: the resolvers clamp ``limit`` to ``maximum`` too."""

EXPECTED: Mapping[str, int] = {
    "CitizenDossier.steps": 20,
    "CitizenDossier.supplements": 5,
    "CitizenDossier.fees": 5,
    "CitizenDossier.results": 10,
    "FeeRequest.lines": 10,
    "SupplementRequest.componentCodes": 10,
    "OfficerDossier.timeline": 50,
    "Procedure.components": 20,
    "Procedure.results": 10,
    "Procedure.fees": 10,
}
"""Nested lists (no argument): one dossier's or procedure's details."""

DEFAULT_EXPECTED = 10
READS_PER_OBJECT: Mapping[str, int] = {"CitizenDossier": 4}


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        spreads: frozenset[str] = frozenset(),
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, spreads)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.selections(
                    selection.selection_set, condition or parent, spreads
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spreads:
                    continue  # validation reports unknown and cyclic fragments
                condition = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selections(
                    fragment.selection_set, condition or parent, spreads | {name}
                )
        return total

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, spreads: frozenset[str]
    ) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 1 if name == "__typename" else 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        key = f"{parent.name}.{name}"
        named = get_named_type(definition.type)
        inside = self.selections(node.selection_set, named, spreads)
        if is_object_type(named):
            inside += READ_COST * READS_PER_OBJECT.get(named.name, 0)
        own = 1 + (READ_COST if parent is self.schema.query_type else 0)
        if _is_list(definition.type):
            return own + self.page_size(node, key) * inside
        return own + inside

    def page_size(self, node: FieldNode, key: str) -> int:
        page = PAGES.get(key)
        if page is None:
            return EXPECTED.get(key, DEFAULT_EXPECTED)
        asked: Any = page.default
        for argument in node.arguments or ():
            if argument.name.value != page.argument:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                asked = int(value.value)
            elif isinstance(value, VariableNode):
                asked = self.variables.get(value.name.value, page.default)
            else:
                asked = page.maximum
        if type(asked) is not int:
            return page.maximum  # coercion will refuse it; never under-count
        return max(1, min(int(asked), page.maximum))


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """Cost of the operation that would run (0 when none would)."""
    operation = get_operation_ast(document, operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return _Walk(schema, fragments, variables or {}).selections(
        operation.selection_set, root
    )
