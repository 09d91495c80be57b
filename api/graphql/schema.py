"""The GraphQL schema, with limits against hostile documents."""

from __future__ import annotations

from typing import Any

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.graphql.mutations.citizen import CitizenMutation
from api.graphql.mutations.officer import OfficerMutation
from api.graphql.queries import Query
from api.graphql.subscriptions import Subscription
from api.graphql.types.scalars import SCALAR_OVERRIDES

log = structlog.get_logger("graphql")


def unexpected(error: GraphQLError) -> bool:
    """Mask only failures we did not anticipate; never leak their internals."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MotcuaSchema(strawberry.Schema):
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


Mutation = merge_types("Mutation", (OfficerMutation, CitizenMutation))


def build_schema() -> strawberry.Schema:
    # Factories, not instances: strawberry then builds fresh extensions per
    # request. Shared instances keep per-request state (MaskErrors reads
    # ``self.execution_context`` after the operation ran), so concurrent
    # requests could see each other's results, leaving errors unmasked.
    # The limiters' rule classes are built once: a new class per request would
    # change ValidationCache's key and re-validate every document.
    limits = [
        *QueryDepthLimiter(max_depth=8).validation_rules,
        *MaxAliasesLimiter(max_alias_count=15).validation_rules,
    ]
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=2000),
        lambda: AddValidationRules(limits),
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        lambda: MaskErrors(
            should_mask_error=unexpected,
            error_message="Lỗi không mong muốn / unexpected error",
        ),
    ]
    return MotcuaSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )
