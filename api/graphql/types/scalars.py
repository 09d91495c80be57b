"""Scalars wider than GraphQL's 32-bit ``Int``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition

_NOT_MONEY = "Money is a whole number of VND (a JSON number or string)"


def _serialize_money(value: int) -> int:
    # Amounts are at most 10^12 VND, well inside a JSON number's exact range.
    return int(value)


def _parse_money(value: Any) -> Any:
    """Pass numbers and strings through; the domain rule (``domain.bounds.money``)
    then answers junk such as ``"1e30"`` or ``NaN`` with a typed ``InvalidInput``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise StrawberryInputCoercionError(_NOT_MONEY)
    return value


def _parse_money_literal(node: ValueNode, _variables: Any = None) -> Any:
    if isinstance(node, IntValueNode):
        return int(node.value) if len(node.value) <= 64 else node.value
    if isinstance(node, StringValueNode | FloatValueNode):
        return node.value
    raise StrawberryInputCoercionError(_NOT_MONEY)


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


# ``9999-12-31T24:00:00Z`` parses past the largest datetime: OverflowError,
# which strawberry's DateTime does not catch (an "unexpected error"). The same
# scalar, answering that as the type error it is.
_parse_datetime = DateTimeDefinition.parse_value


def _parse_datetime_in_range(value: object) -> object:
    assert _parse_datetime is not None
    try:
        return _parse_datetime(value)
    except OverflowError:
        raise StrawberryInputCoercionError(
            "Value cannot represent a DateTime: out of range."
        ) from None


DATETIME = replace(DateTimeDefinition, parse_value=_parse_datetime_in_range)
SCALAR_OVERRIDES: dict[object, Any] = {datetime: DATETIME}
