"""The GraphQL schema, with limits against hostile documents."""

from __future__ import annotations

from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from graphql.validation import (
    ASTValidationRule,
    NoSchemaIntrospectionCustomRule,
    specified_rules,
)
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.edge_settings import EdgeSettings
from api.graphql.complaints import ComplaintMutation, ComplaintQuery
from api.graphql.documents import DocumentCaches, bounded_documents
from api.graphql.empty_selections import refusing_empty_selections
from api.graphql.evaluation import EvaluationMutation
from api.graphql.evaluation_citizen import CitizenEvaluationMutation
from api.graphql.monitoring import MonitoringQuery, MonitoringSubscription
from api.graphql.mutations.citizen import CitizenMutation
from api.graphql.mutations.officer import OfficerMutation
from api.graphql.queries import Query as OneStopQuery
from api.graphql.subscriptions import Subscription as DossierSubscription
from api.graphql.types.scalars import SCALAR_OVERRIDES
from api.graphql.warehouse import WarehouseMutation, WarehouseQuery

log = structlog.get_logger("graphql")


EXPECTED = (
    GraphQLError,
    # strawberry's refusals of an operation (no query, unknown operationName,
    # a type the transport does not run): the caller's mistake, not ours.
    MissingQueryError,
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)


def unexpected(error: GraphQLError) -> bool:
    """Mask only failures we did not anticipate; never leak their internals."""
    original = error.original_error
    return original is not None and not isinstance(original, EXPECTED)


MAX_TOKENS = 2000
MAX_ALIASES = 15
MASKED = "Lỗi không mong muốn / unexpected error"


def mask_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=unexpected, error_message=MASKED)


class MotcuaSchema(strawberry.Schema):
    hide_suggestions = False
    validation_rules: tuple[type[ASTValidationRule], ...] = ()
    """Every rule a document is validated with (strawberry's extension adds
    the limits to graphql-core's rules; the documents cache adds strawberry's
    own two): the fast path validates with the same tuple, the same cache key."""

    def _get_custom_context_kwargs(
        self,
        operation_extensions: dict[str, Any] | None = None,
        *,
        sync: bool = False,
    ) -> dict[str, Any]:
        # Variable coercion ("Did you mean the enum value ...?") happens at
        # execution; validation gets the same flag in BoundedDocuments.
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        if self.hide_suggestions:
            kwargs["hide_suggestions"] = True
        return kwargs

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        for error in errors:
            if unexpected(error):
                log.error(
                    "graphql_unexpected",
                    message=error.message,
                    path=error.path,
                    exc_info=error.original_error,
                )


Mutation = merge_types(
    "Mutation",
    (
        OfficerMutation,
        CitizenMutation,
        WarehouseMutation,
        ComplaintMutation,
        EvaluationMutation,
        CitizenEvaluationMutation,
    ),
)
Subscription = merge_types(
    "Subscription", (DossierSubscription, MonitoringSubscription)
)
Query = merge_types(
    "Query", (OneStopQuery, WarehouseQuery, MonitoringQuery, ComplaintQuery)
)


def build_schema(
    edge: EdgeSettings | None = None, caches: DocumentCaches | None = None
) -> MotcuaSchema:
    """``edge`` decides the limits and what production hides; ``caches`` may
    be passed to inspect them (tests)."""
    edge = edge or EdgeSettings()
    caches = caches or DocumentCaches.create(
        edge.document_cache_entries, edge.document_cache_bytes
    )
    # Factories, not instances: strawberry then builds fresh extensions per
    # request. Shared instances keep per-request state (MaskErrors reads
    # ``self.execution_context`` after the operation ran), so concurrent
    # requests could see each other's results, leaving errors unmasked.
    # The limiters' rule classes are built once: a new class per request would
    # change the validation cache's key and re-validate every document.
    limits = [
        *map(
            refusing_empty_selections, QueryDepthLimiter(max_depth=8).validation_rules
        ),
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    if edge.production:
        limits.append(NoSchemaIntrospectionCustomRule)
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(limits),
        bounded_documents(
            caches, max_cost=edge.max_query_cost, hide_suggestions=edge.production
        ),
        mask_errors,
    ]
    schema = MotcuaSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )
    schema.hide_suggestions = edge.production
    schema.validation_rules = (
        *specified_rules,
        *limits,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
    )
    return schema
