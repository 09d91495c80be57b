"""Scalars wider than GraphQL's 32-bit ``Int``."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode


def _serialize_money(value: int) -> int:
    # Amounts are at most 10^12 VND, well inside a JSON number's exact range.
    return int(value)


def _parse_money(value: Any) -> Any:
    """Pass numbers and strings through; the domain rule (``domain.bounds.money``)
    then answers junk such as ``"1e30"`` or ``NaN`` with a typed ``InvalidInput``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("Money is a whole number of VND (a JSON number or string)")
    return value


def _parse_money_literal(node: ValueNode, _variables: Any = None) -> Any:
    if isinstance(node, IntValueNode):
        return int(node.value) if len(node.value) <= 64 else node.value
    if isinstance(node, StringValueNode | FloatValueNode):
        return node.value
    raise ValueError("Money is a whole number of VND (a JSON number or string)")


Money = strawberry.scalar(
    NewType("Money", object),
    name="Money",
    description=(
        "Số tiền nguyên (VND), 0 < số tiền ≤ 10^12 / a whole amount of VND; "
        "sent as a JSON number or a string of digits, returned as a JSON number"
    ),
    serialize=_serialize_money,
    parse_value=_parse_money,
    parse_literal=_parse_money_literal,
)
