"""Parsed and validated documents, cached within a count AND a byte budget.

strawberry's ParserCache/ValidationCache bound only the number of entries:
1,024 distinct documents of a megabyte each would pin a gigabyte. Here each
entry is charged what it holds (the text, ~400 bytes per token of the parsed
tree, the error messages) and the least recently used go first. The cost of
the operation (:mod:`api.graphql.cost`) is checked right after validation,
with the request's variables, before anything runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from api.graphql.cost import operation_cost

V = TypeVar("V")
BYTES_PER_TOKEN = 400
"""Measured with tracemalloc on graphql-core 3.3 (tokens, nodes, locations)."""


class BoundedCache(Generic[V]):
    """LRU bounded by entries and by the bytes charged for them; thread-safe."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[object, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: object) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: object, value: V, size: int) -> None:
        with self._lock:
            if size > self.max_bytes:
                return  # would evict everything and still not fit
            previous = self._items.pop(key, None)
            if previous is not None:
                self.bytes -= previous[1]
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self.bytes -= evicted


@dataclass
class DocumentCaches:
    parsed: BoundedCache[DocumentNode]
    validated: BoundedCache[list[GraphQLError]]

    def parse(self, query: str, max_tokens: int | None) -> DocumentNode:
        """The parsed document, from the cache or parsed now (a syntax error
        raises ``GraphQLError`` and is never cached)."""
        key = (query, max_tokens)
        document = self.parsed.get(key)
        if document is None:
            if max_tokens is None:
                document = parse(query)
            else:
                document = parse(query, max_tokens=max_tokens)
            size = 2 * len(query) + BYTES_PER_TOKEN * tokens(document)
            self.parsed.put(key, document, size)
        return document

    def validate(
        self,
        schema: GraphQLSchema,
        query: str | None,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
        hide_suggestions: bool,
    ) -> list[GraphQLError]:
        """Validation errors of ``document`` under ``rules`` (cached by text)."""
        key = (query, rules, hide_suggestions)
        errors = self.validated.get(key)
        if errors is None:
            errors = validate(
                schema, document, rules, hide_suggestions=hide_suggestions
            )
            size = 2 * len(query or "") + sum(
                256 + 2 * len(error.message) for error in errors
            )
            self.validated.put(key, errors, size)
        return errors

    @classmethod
    def create(cls, max_entries: int, max_bytes: int) -> DocumentCaches:
        # Half each: validation results are usually tiny, so the parse cache
        # rarely feels the split.
        return cls(
            BoundedCache(max_entries, max_bytes // 2),
            BoundedCache(max_entries, max_bytes // 2),
        )


def tokens(document: DocumentNode) -> int:
    count, token = 0, document.loc.start_token if document.loc else None
    while token is not None:
        count += 1
        token = token.next
    return count


class QueryCostError(GraphQLError):
    pass


def cost_error(cost: int, limit: int) -> QueryCostError:
    return QueryCostError(
        f"Truy vấn quá tốn kém ({cost} > {limit}): giảm số bí danh, limit hoặc "
        f"trường danh sách / Query too expensive ({cost} > {limit}): use fewer "
        "aliases, smaller limits or fewer list fields",
        extensions={"code": "QUERY_TOO_EXPENSIVE", "cost": cost, "maxCost": limit},
    )


class BoundedDocuments(SchemaExtension):
    """Replaces ParserCache + ValidationCache; adds the cost limit.

    A factory builds one per request (per-request state lives on the
    instance); the caches are shared.
    """

    def __init__(
        self, caches: DocumentCaches, *, max_cost: int, hide_suggestions: bool
    ) -> None:
        super().__init__()
        self.caches = caches
        self.max_cost = max_cost
        self.hide_suggestions = hide_suggestions

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is not None and context.graphql_document is None:
            try:
                document = self.caches.parse(
                    query, context.parse_options.get("max_tokens")
                )
            except GraphQLError:
                # Left to strawberry, which parses again inside its own
                # error handling (HTTP and subscriptions alike); never cached.
                yield
                return
            context.graphql_document = document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            rules = (
                *context.validation_rules,
                MaybeNullValidationRule,
                OneOfInputValidationRule,
            )
            errors = self.caches.validate(
                context.schema._schema,
                context.query,
                document,
                rules,
                self.hide_suggestions,
            )
            if not errors:
                cost = operation_cost(
                    context.schema._schema,
                    document,
                    context.operation_name,
                    context.variables,
                )
                if cost > self.max_cost:
                    errors = [cost_error(cost, self.max_cost)]
            context.pre_execution_errors = list(errors)
        yield


def bounded_documents(
    caches: DocumentCaches, *, max_cost: int, hide_suggestions: bool
) -> Callable[[], BoundedDocuments]:
    return lambda: BoundedDocuments(
        caches, max_cost=max_cost, hide_suggestions=hide_suggestions
    )
