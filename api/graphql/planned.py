"""Planned mutations: an officer's command straight from the request's variables.

On the direct path (``api.graphql.direct``) a mutation still builds
graphql-core's executor per request (variable coercion, resolve info) and
goes through strawberry's resolver wrapper, which converts the arguments into
its input classes by walking their annotations per call: together about a
fifth of a served mutation's time on the event loop. For a document whose
operation is one officer command (``api.graphql.mutations.officer_commands``)
with arguments given as constants, variables, or input-object literals of
those, a plan made once (per document, in the fast path's plan cache) holds:

* each declared variable's type, coerced per request with graphql-core's own
  ``coerce_input_value`` as its ``coerce_variable_values`` does (a declared
  default was applied once, when planning, with graphql-core's own
  ``get_variable_values``; only scalar defaults are planned);
* per argument, where its value comes from, following graphql-core's
  ``coerce_argument`` / ``coerce_input_literal`` (constants and defaults
  coerced once when planning), and a converter built once from the argument's
  strawberry type doing what strawberry's ``convert_argument`` does per call;
* the command's function, called with the context and those arguments (the
  resolver does only that), and the union members' classes by type name, so
  the outcome's leaves are completed as the direct path does and the answer
  is serialized once to JSON bytes.

Anything the plan does not cover leaves the request, before anything ran, to
the direct path (``Unplanned``): a variable graphql-core would refuse, a null
for a non-null argument, a document shape outside the plan. A command that
raises, or an outcome the completion does not handle (``Irregular``), is
completed by graphql-core with the outcome given, as on the direct path: the
errors are graphql-core's own and nothing runs twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass
from typing import Any, Final, TypeAlias

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    ValueNode,
    VariableNode,
    get_variable_values,
    is_input_type,
    is_required_argument,
    is_required_input_field,
    type_from_ast,
)
from graphql.execution.values import input_is_nested_too_deeply
from graphql.language import Visitor, visit
from graphql.pyutils import Undefined
from graphql.utilities import coerce_input_literal, coerce_input_value
from graphql.utilities.coerce_input_value import coerce_default_value
from strawberry.relay.types import GlobalID
from strawberry.types.arguments import _is_leaf_type, _is_optional_leaf_type
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

from api.graphql.context import Context
from api.graphql.direct import Irregular, Leaf, Shape
from api.graphql.mutations.officer_commands import COMMANDS, OfficerCommand
from api.graphql.schema import MotcuaSchema


class Unplanned(Exception):
    """Something the plan does not cover, found before anything ran."""


Coerced = dict[str, Any]
"""The request's variables as graphql-core would coerce them."""
Source = Callable[[Coerced], Any]
"""An argument's (or input field's) coerced value; ``Undefined``: left out."""
Converter = Callable[[Any], Any]
_PlainType: TypeAlias = type


@dataclass(frozen=True)
class _Variable:
    name: str
    type: GraphQLInputType
    non_null: bool
    nested: bool
    """Lists or input objects: graphql-core checks the nesting depth first."""
    default: Any
    """The coerced default, ``Undefined`` when none is declared."""
    plain: _PlainType | None = None
    """A scalar whose coercion returns a value of exactly this type as it is
    (graphql-core's ``String`` and ``ID`` for a ``str``, ``Boolean`` for a
    ``bool``): such a value needs no call into graphql-core."""


@dataclass(frozen=True)
class _Argument:
    python_name: str
    source: Source
    convert: Converter


@dataclass(frozen=True)
class PlannedArguments:
    """A root field's variables and arguments, planned once per document."""

    variables: tuple[_Variable, ...]
    arguments: tuple[_Argument, ...]

    def kwargs(self, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
        """The call's keyword arguments (``Unplanned``: graphql-core's to
        refuse); a converter's own failure propagates as the resolver's."""
        coerced = coerce_variables(self.variables, inputs or {})
        out: dict[str, Any] = {}
        for argument in self.arguments:
            value = argument.source(coerced)
            if value is not Undefined:
                out[argument.python_name] = argument.convert(value)
        return out


@dataclass(frozen=True)
class PlannedMutation:
    command: OfficerCommand
    call: PlannedArguments
    shape: Shape
    type_names: Mapping[type, str]
    """The union's members' classes: the type strawberry's union resolver
    names for an instance of each."""

    def kwargs(self, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
        return self.call.kwargs(inputs)

    async def run(self, context: Context, kwargs: dict[str, Any]) -> Any:
        return await self.command(context, **kwargs)

    def complete(self, value: Any) -> dict[str, Any]:
        """The root field's completed value (``Irregular``: graphql-core's)."""
        name = self.type_names.get(type(value))
        leaves: tuple[Leaf, ...] | None = (
            None if name is None else self.shape.leaves_by_type.get(name)
        )
        if leaves is None:
            raise Irregular
        return self.shape.fill(leaves, value)


def coerce_variables(
    variables: tuple[_Variable, ...], inputs: Mapping[str, Any]
) -> Coerced:
    """graphql-core's ``coerce_variable_values`` when nothing is refused
    (``Unplanned`` otherwise)."""
    coerced: Coerced = {}
    for variable in variables:
        value = inputs.get(variable.name, Undefined)
        if value is Undefined:
            if variable.default is not Undefined:
                coerced[variable.name] = variable.default
                continue
            if variable.non_null:
                raise Unplanned
            continue
        if type(value) is variable.plain:
            coerced[variable.name] = value
            continue
        if variable.nested and input_is_nested_too_deeply(value, variable.type):
            raise Unplanned
        value = coerce_input_value(value, variable.type)
        if value is Undefined:
            raise Unplanned
        coerced[variable.name] = value
    return coerced


def plan_mutation(
    schema: MotcuaSchema, operation: OperationDefinitionNode, shape: Shape | None
) -> PlannedMutation | None:
    """The plan of ``operation`` (validated, direct ``shape``), or ``None``."""
    if operation.operation is not OperationType.MUTATION or shape is None:
        return None
    command = COMMANDS.get(shape.node.name.value)
    union = shape.union
    definition = (shape.field.extensions or {}).get("strawberry-definition")
    if command is None or union is None or definition is None:
        return None
    type_names = _union_members(union.types)
    call = plan_arguments(schema, operation, shape, definition)
    if type_names is None or call is None:
        return None
    return PlannedMutation(command, call, shape, type_names)


def plan_arguments(
    schema: MotcuaSchema,
    operation: OperationDefinitionNode,
    shape: Shape,
    definition: Any,
) -> PlannedArguments | None:
    """How the root field's resolver gets its arguments from a request, or
    ``None`` when strawberry would do more than convert them (field
    extensions, exception handlers, no plain resolver)."""
    if (
        definition.extensions
        or getattr(schema.schema_converter, "_exception_handler_specs", ())
        or definition.base_resolver is None
    ):
        return None
    variables = _variables(schema._schema, operation)
    if variables is None:
        return None
    strawberry_args = {
        schema.config.name_converter.from_argument(a): a for a in definition.arguments
    }
    if set(strawberry_args) != set(shape.field.args):
        return None
    given = {node.name.value: node.value for node in shape.node.arguments or ()}
    arguments: list[_Argument] = []
    for name, argument in strawberry_args.items():
        source = _argument_source(shape.field.args[name], given.get(name))
        convert = _converter(argument.type, schema)
        if source is None or convert is None or argument.python_name is None:
            return None
        arguments.append(_Argument(argument.python_name, source, convert))
    return PlannedArguments(variables, tuple(arguments))


def _variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode
) -> tuple[_Variable, ...] | None:
    planned = []
    for node in operation.variable_definitions or ():
        if node.directives:
            return None
        type_ = type_from_ast(schema, node.type)
        if type_ is None or not is_input_type(type_):
            return None
        name = node.variable.name.value
        default = Undefined
        if node.default_value is not None:
            applied = get_variable_values(schema, [node], {})
            if isinstance(applied, list):
                return None
            default = applied.coerced.get(name, Undefined)
            if not _scalar(default):
                return None  # a list or object would be shared by every request
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        planned.append(
            _Variable(
                name,
                type_,
                isinstance(type_, GraphQLNonNull),
                not isinstance(named, GraphQLScalarType | GraphQLEnumType),
                default,
                _PLAIN.get(named),
            )
        )
    return tuple(planned)


_PLAIN: Final[dict[object, type]] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}
"""graphql-core's own scalars whose coercion returns such a value unchanged
(``coerce_string``, ``coerce_id``, ``coerce_boolean``)."""


def _scalar(value: Any) -> bool:
    return value is Undefined or not isinstance(value, list | dict | tuple | set)


def _argument_source(
    definition: GraphQLArgument, node: ValueNode | None
) -> Source | None:
    """Where graphql-core's ``coerce_argument`` takes the value from."""
    required = is_required_argument(definition)
    if node is None:
        if required:
            return None  # validation refuses it
        return _constant(coerce_default_value(definition))
    if isinstance(node, VariableNode):
        variable = node.name.value
        non_null = isinstance(definition.type, GraphQLNonNull)
        default = Undefined if required else coerce_default_value(definition)

        def from_variable(coerced: Coerced) -> Any:
            if variable not in coerced and not required:
                return default
            value = coerced.get(variable, Undefined)
            if non_null and (value is None or value is Undefined):
                raise Unplanned
            return value

        return from_variable
    return _literal(node, definition.type)


def _literal(node: ValueNode, type_: GraphQLInputType) -> Source | None:
    """graphql-core's ``coerce_input_literal`` of ``node``, for a constant, a
    variable, or an input-object literal of those (``None``: not planned)."""
    if not _has_variables(node):
        value = coerce_input_literal(node, type_)
        return None if value is Undefined else _constant(value)
    if isinstance(node, VariableNode):
        variable = node.name.value
        non_null = isinstance(type_, GraphQLNonNull)

        def from_variable(coerced: Coerced) -> Any:
            value = coerced.get(variable, Undefined)
            if non_null and (value is None or value is Undefined):
                raise Unplanned
            return value

        return from_variable
    if isinstance(type_, GraphQLNonNull):
        return _literal(node, type_.of_type)
    if isinstance(type_, GraphQLInputObjectType) and isinstance(node, ObjectValueNode):
        return _object_literal(node, type_)
    return None  # lists holding variables, custom scalar literals: not planned


def _object_literal(
    node: ObjectValueNode, type_: GraphQLInputObjectType
) -> Source | None:
    if type_.is_one_of:
        return None
    nodes = {field.name.value: field.value for field in node.fields}
    if any(name not in type_.fields for name in nodes):
        return None
    steps: list[Callable[[Coerced, dict[str, Any]], None]] = []
    for name, field in type_.fields.items():
        out_name = field.out_name or name
        value_node = nodes.get(name)
        required = is_required_input_field(field)
        if value_node is None:
            if required:
                return None
            default = coerce_default_value(field)
            if default is not Undefined:
                steps.append(_put_constant(out_name, default))
        elif isinstance(value_node, VariableNode):
            default = Undefined if required else coerce_default_value(field)
            steps.append(
                _put_variable(
                    out_name,
                    value_node.name.value,
                    required,
                    isinstance(field.type, GraphQLNonNull),
                    default,
                )
            )
        else:
            source = _literal(value_node, field.type)
            if source is None:
                return None
            steps.append(_put_literal(out_name, source))
    out_type = type_.out_type

    def build(coerced: Coerced) -> Any:
        values: dict[str, Any] = {}
        for step in steps:
            step(coerced, values)
        return out_type(values)

    return build


def _put_constant(name: str, value: Any) -> Callable[[Coerced, dict[str, Any]], None]:
    def put(_coerced: Coerced, values: dict[str, Any]) -> None:
        values[name] = value

    return put


def _put_variable(
    name: str, variable: str, required: bool, non_null: bool, default: Any
) -> Callable[[Coerced, dict[str, Any]], None]:
    def put(coerced: Coerced, values: dict[str, Any]) -> None:
        value = coerced.get(variable, Undefined)
        if value is Undefined:  # a missing variable: as if the field were absent
            if required:
                raise Unplanned
            if default is not Undefined:
                values[name] = default
            return
        if non_null and value is None:
            raise Unplanned
        values[name] = value

    return put


def _put_literal(
    name: str, source: Source
) -> Callable[[Coerced, dict[str, Any]], None]:
    def put(coerced: Coerced, values: dict[str, Any]) -> None:
        values[name] = source(coerced)

    return put


def _constant(value: Any) -> Source:
    return lambda _coerced: value


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_variable(self, *_: Any) -> None:
        self.found = True


def _has_variables(node: ValueNode) -> bool:
    finder = _Variables()
    visit(node, finder)
    return finder.found


def _converter(type_: Any, schema: MotcuaSchema) -> Converter | None:
    """strawberry's ``convert_argument`` for ``type_``, worked out once
    (``None``: a type this does not cover)."""
    registry = schema.schema_converter.scalar_registry
    if isinstance(type_, StrawberryMaybe):
        return None
    if isinstance(type_, StrawberryOptional):
        return _converter(type_.of_type, schema)
    if isinstance(type_, LazyType):
        return _converter(type_.resolve_type(), schema)
    if isinstance(type_, StrawberryList):
        item = type_.of_type
        if _is_leaf_type(item, registry, skip_classes=(GlobalID,)) or (
            _is_optional_leaf_type(item, registry, skip_classes=(GlobalID,))
        ):
            return _nullable(list)
        each = _converter(item, schema)
        return None if each is None else _nullable(lambda v: [each(x) for x in v])
    if _is_leaf_type(type_, registry):
        return None if type_ is GlobalID else _nullable(_same)
    if has_enum_definition(type_):
        return _nullable(_same)
    if has_object_definition(type_):
        return _input_converter(type_, schema)
    return None


def _input_converter(cls: Any, schema: MotcuaSchema) -> Converter | None:
    definition = cls.__strawberry_definition__
    if definition.from_input is not None or not definition.is_input:
        return None
    implicit = tuple(
        field.python_name
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    )
    fields: list[tuple[str, str, Converter]] = []
    for field in definition.fields:
        convert = _converter(field.resolve_type(type_definition=definition), schema)
        if convert is None:
            return None
        name = schema.config.name_converter.from_field(field)
        fields.append((name, field.python_name, convert))

    def build(value: Any) -> Any:
        kwargs: dict[str, Any] = dict.fromkeys(implicit)
        for name, python_name, convert in fields:
            if name in value:
                kwargs[python_name] = convert(value[name])
        return cls(**kwargs)

    return _nullable(build)


def _same(value: Any) -> Any:
    return value


def _nullable(convert: Converter) -> Converter:
    def converted(value: Any) -> Any:
        if value is None or value is UNSET:
            return value
        return convert(value)

    return converted


def _union_members(members: Any) -> dict[type, str] | None:
    names: dict[type, str] = {}
    for member in members:
        definition = (member.extensions or {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if (
            origin is None
            or getattr(definition, "is_graphql_generic", True)
            or member.is_type_of is not None
        ):
            return None
        names[origin] = member.name
    return names


PLANNED_FIELDS: Final = frozenset(COMMANDS)
"""The mutations a plan may run."""
