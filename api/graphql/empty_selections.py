"""Documents with an empty selection set are refused, not a server error.

graphql-core's parser accepts ``{ }`` (a field's selection set, an
operation's or a fragment's), and strawberry's depth limiter, built per
validation, takes the maximum over a selection set's depths and fails on an
empty one: ``{ dossierStatus(code: "x") { } }`` was a 500. The limiter's
rule is wrapped: a document holding an empty selection set is refused with
a validation error at its first one (no selection set of ours may be empty),
the same on every path since all use these rules.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, GraphQLError, SelectionSetNode
from graphql.language import Visitor, visit
from graphql.validation import ASTValidationRule, ValidationContext

MESSAGE = "Selection sets must not be empty."


class _FirstEmpty(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: SelectionSetNode | None = None

    def enter_selection_set(self, node: SelectionSetNode, *_: Any) -> Any:
        if not node.selections and self.found is None:
            self.found = node
            return self.BREAK
        return None


def first_empty_selection(document: DocumentNode) -> SelectionSetNode | None:
    finder = _FirstEmpty()
    visit(document, finder)
    return finder.found


def refusing_empty_selections(
    rule: type[ASTValidationRule],
) -> type[ASTValidationRule]:
    """``rule``, except that a document with an empty selection set is
    refused instead of reaching it."""

    class Refusing(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            empty = first_empty_selection(context.document)
            if empty is None:
                super().__init__(context)
                return
            ASTValidationRule.__init__(self, context)
            context.report_error(GraphQLError(MESSAGE, [empty]))

    Refusing.__name__ = Refusing.__qualname__ = rule.__name__
    return Refusing
