"""Read queries without strawberry's per-request machinery, same answers.

strawberry spends about half of a lookup's in-process cost around the
operation: building its execution context and extension runners, the parse
and validation hooks, result conversion. For the read queries users send
most (anonymous ``dossierStatus``, a citizen's ``myDossiers`` and
``dossier(code:)``, an officer's ``worklist``) this module keeps, per
document text and operation name, a plan: the parsed document, checked once
with exactly the rules and cache strawberry uses, whose operation is a query
selecting only those fields. A request matching a plan is run by
graphql-core's ``execute`` with the same schema, resolvers, context,
execution class and keyword arguments strawberry passes, and its result is
post-processed as strawberry does (``process_errors`` logging, the same
``MaskErrors``, ``process_result``, the router's ``create_response``).

Everything else falls through to strawberry unchanged and before anything
ran: other fields, mutations and subscriptions, batches, GET, streaming
``Accept`` headers, other content types, malformed bodies, documents that do
not parse or validate, an operation over the cost limit. Auth, the rate
limiter, read-your-writes and caches live in the context and the resolvers,
which both paths share; the edge layer (``api.edge``: request id, access
log, metrics, body limit, idempotency) sits outside the route. ``MOTCUA_GRAPHQL_FAST_PATH=n``
turns it off (the equivalence tests compare the two).

An officer's command is *planned* (``api.graphql.planned``), and so is the
public ``dossierStatus`` lookup (``api.graphql.planned_lookup``): run from the
request's variables without graphql-core's executor or strawberry's argument
conversion, falling back to the direct path before anything ran.

A plan answered directly may also be a *page* (``api.graphql.pages``): its
response bytes are kept per principal, language and body in the worker's
page cache (``adapters.cache.pages``) and reused until a change for its
audience arrives; the token is checked before the cache is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    execute,
    get_operation_ast,
)
from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution import optimized_is_awaitable
from strawberry.http import process_result
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.types import ExecutionResult
from strawberry.utils.await_maybe import await_maybe

from adapters.cache.pages import PageCache, PageKey, Ticket
from api.graphql.context import Context
from api.graphql.cost import operation_cost
from api.graphql.direct import Irregular, Shape, arguments, root_path, shape_of
from api.graphql.documents import (
    BYTES_PER_TOKEN,
    BoundedCache,
    DocumentCaches,
    tokens,
)
from api.graphql.pages import PageBuilds, PageRule, page_rule
from api.graphql.planned import PlannedMutation, Unplanned, plan_mutation
from api.graphql.planned_lookup import PlannedLookup, plan_lookup
from api.graphql.request_body import decode_json
from api.graphql.router import MotcuaGraphQLRouter
from api.graphql.schema import MAX_TOKENS, MotcuaSchema, mask_errors
from api.refusals import MalformedBodyError

FAST_FIELDS: Final = frozenset(
    {"dossierStatus", "myDossiers", "dossier", "worklist", "__typename"}
)
"""Root fields of the read queries the fast path runs."""

FAST_MUTATIONS: Final = frozenset(
    {
        "receiveDossier",
        "refuseDossier",
        "checkDigitalAccount",
        "digitizeComponent",
        "reuseComponent",
        "reuseFromNationalWarehouse",
        "signComponent",
        "forwardDossier",
        "requestSupplement",
        "receiveSupplement",
        "requestPayment",
        "confirmPayment",
        "reappointDossier",
        "stopDossier",
        "resolveDossier",
        "returnResult",
        "__typename",
    }
)
"""Root fields of the officer's dossier commands the fast path runs
(``api.graphql.mutations.officer``)."""

_ROOT_FIELDS: Final = {
    OperationType.QUERY: FAST_FIELDS,
    OperationType.MUTATION: FAST_MUTATIONS,
}


@dataclass(frozen=True)
class GraphQLBody:
    """A POST body that names one GraphQL request in the usual JSON form."""

    fields: dict[str, Any]
    query: str
    name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None


def graphql_body(raw: bytes) -> GraphQLBody | None:
    """The body's request, or ``None`` for anything the plans leave to
    strawberry (malformed JSON, a batch, a field of the wrong type)."""
    try:
        fields = decode_json(raw)
    except MalformedBodyError:
        return None
    if not isinstance(fields, dict):
        return None
    query, variables = fields.get("query"), fields.get("variables")
    extensions, name = fields.get("extensions"), fields.get("operationName")
    if (
        not isinstance(query, str)
        or not query
        or not isinstance(variables, dict | None)
        or not isinstance(extensions, dict | None)
        or not isinstance(name, str | None)
    ):
        return None
    return GraphQLBody(fields, query, name, variables, extensions)


@dataclass(frozen=True)
class Plan:
    document: DocumentNode
    operation_name: str | None
    """The operation strawberry would run: the given name, else the first
    operation's (strawberry's ``ExecutionContext.operation_name``)."""
    sized_by: tuple[str, ...] = ()
    """Variables given to a ``limit`` argument: the only ones the cost reads."""
    shape: Shape | None = None
    """How to run it directly (``api.graphql.direct``), when it is that simple."""
    page: PageRule | None = None
    """When its answer may be kept as a whole page (``api.graphql.pages``)."""
    planned: PlannedMutation | None = None
    """How to run an officer's command without graphql-core's executor
    (``api.graphql.planned``)."""
    lookup: PlannedLookup | None = None
    """How to run a public lookup without it (``api.graphql.planned_lookup``)."""
    costs: dict[tuple[object, ...], int] = field(default_factory=dict, compare=False)
    """Cost by the values (and types) of ``sized_by``: one entry when none."""

    def cost(self, schema: GraphQLSchema, variables: dict[str, Any] | None) -> int:
        given = variables or {}
        key = tuple(
            (type(value), value)
            for value in (given.get(name, _MISSING) for name in self.sized_by)
        )
        try:
            known = self.costs.get(key)
        except TypeError:  # a list or an object given for a limit: not kept
            return operation_cost(schema, self.document, self.operation_name, given)
        if known is None:
            known = operation_cost(schema, self.document, self.operation_name, given)
            if len(self.costs) < _COSTS_KEPT:
                self.costs[key] = known
        return known


PATHS: Final = ("planned", "direct", "executed", "page", "strawberry")
"""How a ``POST /graphql`` was answered (``motcua_graphql_requests_total``)."""

_MISSING: Final = object()
_COSTS_KEPT: Final = 64


_NO_PLAN: Final = Plan(DocumentNode(definitions=()), None)
"""Cached for documents the fast path leaves to strawberry."""


class FastQueries:
    def __init__(
        self,
        router: MotcuaGraphQLRouter,
        schema: MotcuaSchema,
        caches: DocumentCaches,
        *,
        max_cost: int,
        max_plans: int,
        max_plan_bytes: int,
        plan_mutations: bool = True,
        plan_lookups: bool = True,
        paths: Counter | None = None,
    ) -> None:
        self.router = router
        self.plan_mutations = plan_mutations
        self.plan_lookups = plan_lookups
        counter = paths or Counter("unused", "", ("path",), registry=None)
        # Children found once: one increment per answer.
        self.answered = {path: counter.labels(path) for path in PATHS}
        self.schema = schema
        self.caches = caches
        self.max_cost = max_cost
        self.plans: BoundedCache[Plan] = BoundedCache(max_plans, max_plan_bytes)
        self._execution_class = execution_context_class_kwargs(
            schema.execution_context_class
        )
        self.builds = PageBuilds()

    async def answer(
        self, request: Request, context: Context, sub_response: Response
    ) -> Response | None:
        """The response to ``request``, or ``None`` (nothing ran) to leave it
        to strawberry."""
        response = await self._answer(request, context, sub_response)
        if response is None:
            self.answered["strawberry"].inc()
        return response

    async def _answer(
        self, request: Request, context: Context, sub_response: Response
    ) -> Response | None:
        raw_type = request.headers.get("content-type", "")
        if raw_type != "application/json" and (
            "application/json" not in parse_content_type(raw_type)[0]
        ):
            return None
        if self.router._get_stream_transport_from_headers(request.headers):
            return None
        raw = await request.body()
        body = graphql_body(raw)
        if body is None:
            return None
        query, name, variables = body.query, body.name, body.variables
        extensions = body.extensions
        plan = self._plan(query, name)
        if plan is _NO_PLAN:
            return None
        fill: _Fill | None = None
        pages = context.services.pages
        if plan.page is not None and pages is not None:
            key = plan.page.key(context, raw)
            if key is not None:
                page = pages.get(key) or await self.builds.kept_after_build(pages, key)
                if page is not None:
                    plan.page.reused(context, page.accessed)
                    self.answered["page"].inc()
                    return _replay(page.body)
                fill = _Fill(pages, key, pages.ticket(), plan.page)
        if fill is None:
            return await self._answer_plan(
                plan, context, variables, extensions, sub_response
            )
        built = self.builds.start(fill.key)
        try:
            return await self._answer_plan(
                plan, context, variables, extensions, sub_response, fill
            )
        finally:
            self.builds.finish(fill.key, built)

    async def _answer_plan(
        self,
        plan: Plan,
        context: Context,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None,
        sub_response: Response,
        fill: _Fill | None = None,
    ) -> Response | None:
        try:
            cost = plan.cost(self.schema._schema, variables)
        except Exception:
            return None
        if cost > self.max_cost:
            return None
        planned = plan.planned or plan.lookup
        if planned is not None:
            return await self._run_planned(
                plan, planned, context, variables, extensions, sub_response
            )
        if plan.shape is not None:
            return await self._run_direct(
                plan, plan.shape, context, variables, extensions, sub_response, fill
            )
        return await self._run(plan, context, variables, extensions, sub_response)

    async def _run_direct(
        self,
        plan: Plan,
        shape: Shape,
        context: Context,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None,
        sub_response: Response,
        fill: _Fill | None = None,
    ) -> Response:
        schema = self.schema
        executor = schema.execution_context_class.build(
            schema._schema,
            plan.document,
            None,
            context,
            variables,
            plan.operation_name,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            **schema._get_custom_context_kwargs(extensions),
        )
        if isinstance(executor, list):  # variables refused: graphql-core says so
            return await self._run(plan, context, variables, extensions, sub_response)
        try:
            args = arguments(executor, shape)
        except Exception:  # nothing ran yet: graphql-core reports it
            return await self._run(plan, context, variables, extensions, sub_response)
        info = executor.build_resolve_info(
            shape.field, [shape.node], shape.root_type, root_path(shape)
        )
        try:
            value = shape.resolve(None, info, **args)
            if optimized_is_awaitable(value):
                value = await value
        except Exception as error:  # graphql-core locates and reports it
            return await self._run(
                plan, context, variables, extensions, sub_response, (None, error)
            )
        try:
            data = {shape.key: shape.complete(value, info)}
        except Irregular:
            return await self._run(
                plan, context, variables, extensions, sub_response, (value, None)
            )
        response = self._respond(data, None, sub_response)
        self.answered["direct"].inc()
        if fill is not None and not sub_response.headers.raw:
            audience = fill.rule.audience(context, args)
            if audience is not None and sub_response.status_code is None:
                fill.pages.fill(
                    fill.key,
                    fill.ticket,
                    audience,
                    bytes(response.body),
                    context.accessed,
                )
        return response

    async def _run_planned(
        self,
        plan: Plan,
        planned: PlannedMutation | PlannedLookup,
        context: Context,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None,
        sub_response: Response,
    ) -> Response:
        try:
            kwargs = planned.kwargs(variables)
        except Unplanned:  # nothing ran: graphql-core coerces and refuses
            return await self._run_direct(
                plan, planned.shape, context, variables, extensions, sub_response
            )
        except Exception as error:  # strawberry's conversion, in the resolver
            return await self._run(
                plan, context, variables, extensions, sub_response, (None, error)
            )
        try:
            value = await planned.run(context, kwargs)
        except Exception as error:  # graphql-core locates and reports it
            return await self._run(
                plan, context, variables, extensions, sub_response, (None, error)
            )
        try:
            data = {planned.shape.key: planned.complete(value)}
        except Irregular:
            return await self._run(
                plan, context, variables, extensions, sub_response, (value, None)
            )
        self.answered["planned"].inc()
        if sub_response.status_code is not None or sub_response.headers.raw:
            return self._respond(data, None, sub_response)
        answer = {"data": data}  # strawberry's ``process_result`` without errors
        try:
            body = orjson.dumps(answer)
        except orjson.JSONEncodeError:  # as the router's ``encode_json``
            body = self.router.encode_json(answer).encode()
        return Response(body, media_type="application/json", status_code=200)

    async def _run(
        self,
        plan: Plan,
        context: Context,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None,
        sub_response: Response,
        resolved: tuple[Any, Exception | None] | None = None,
    ) -> Response:
        """graphql-core's ``execute``; with ``resolved``, the root field's
        outcome is given (its resolver already ran) rather than resolved."""
        schema = self.schema
        middleware = None if resolved is None else [_given(*resolved)]
        try:
            result = await await_maybe(
                execute(
                    schema._schema,
                    plan.document,
                    root_value=None,
                    variable_values=variables,
                    operation_name=plan.operation_name,
                    context_value=context,
                    middleware=middleware,
                    is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                    **self._execution_class,
                    **schema._get_custom_context_kwargs(extensions),
                )
            )
            data, errors = result.data, result.errors
        except Exception as error:  # as strawberry's execute does
            data, errors = None, [GraphQLError(str(error), original_error=error)]
        self.answered["executed"].inc()
        return self._respond(data, errors, sub_response)

    def _respond(
        self,
        data: dict[str, Any] | None,
        errors: list[GraphQLError] | None,
        sub_response: Response,
    ) -> Response:
        schema = self.schema
        if errors:
            schema._process_errors(errors)
            errors = mask_errors()._process_errors(errors)
        response = process_result(ExecutionResult(data=data, errors=errors))
        return self.router.create_response(response, sub_response)

    def _plan(self, query: str, name: str | None) -> Plan:
        key = (query, name)
        plan = self.plans.get(key)
        if plan is None:
            plan = self._build(query, name)
            # A plan keeps its document alive even when the parse cache drops
            # it: charged here too.
            held = 0 if plan is _NO_PLAN else BYTES_PER_TOKEN * tokens(plan.document)
            self.plans.put(key, plan, 2 * len(query) + 256 + held)
        return plan

    def _build(self, query: str, name: str | None) -> Plan:
        try:
            document = self.caches.parse(query, MAX_TOKENS)
        except GraphQLError:
            return _NO_PLAN
        if name is None:
            first = next(
                (
                    d
                    for d in document.definitions
                    if isinstance(d, OperationDefinitionNode)
                ),
                None,
            )
            name = first.name.value if first is not None and first.name else None
        operation = get_operation_ast(document, name)
        fast = None if operation is None else _ROOT_FIELDS.get(operation.operation)
        if operation is None or fast is None:
            return _NO_PLAN
        if not all(
            isinstance(selection, FieldNode) and selection.name.value in fast
            for selection in operation.selection_set.selections
        ):
            return _NO_PLAN
        errors = self.caches.validate(
            self.schema._schema,
            query,
            document,
            self.schema.validation_rules,
            self.schema.hide_suggestions,
        )
        if errors:
            return _NO_PLAN
        sized_by = tuple(
            sorted(
                {
                    node.value.name.value
                    for node in _arguments(document)
                    if node.name.value == "limit"
                    and isinstance(node.value, VariableNode)
                }
            )
        )
        shape = shape_of(self.schema._schema, operation)
        page = None if shape is None else page_rule(shape)
        planned = (
            plan_mutation(self.schema, operation, shape)
            if self.plan_mutations
            else None
        )
        lookup = (
            plan_lookup(self.schema, operation, shape) if self.plan_lookups else None
        )
        return Plan(document, name, sized_by, shape, page, planned, lookup)


@dataclass(frozen=True)
class _Fill:
    """A page missed in the cache: kept if answered directly, unless a change
    for its audience came after ``ticket`` (taken before the read)."""

    pages: PageCache
    key: PageKey
    ticket: Ticket
    rule: PageRule


def _replay(body: bytes) -> Response:
    """A kept page, as the router's ``create_response`` built it."""
    return Response(body, media_type="application/json", status_code=200)


def _given(value: Any, error: Exception | None) -> Callable[..., Any]:
    """A middleware answering the root field with its known outcome."""

    def root(next_: Callable[..., Any], source: Any, info: Any, **args: Any) -> Any:
        if info.path.prev is not None:
            return next_(source, info, **args)
        if error is not None:
            raise error
        return value

    return root


def _arguments(node: Node) -> Iterator[ArgumentNode]:
    """Every argument in ``node``'s tree (a whole document: its fragments too)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ArgumentNode):
            yield current
        for key in current.keys:
            child = getattr(current, key, None)
            if isinstance(child, Node):
                stack.append(child)
            elif isinstance(child, tuple | list):
                stack.extend(c for c in child if isinstance(c, Node))
