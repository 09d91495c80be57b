"""The GraphQL request body, decoded by us before strawberry sees it.

One decoder for every JSON that reaches GraphQL (POST bodies, ``variables``
and ``extensions`` of GET requests, websocket messages): strict UTF-8 JSON
(orjson refuses invalid bytes and lone surrogates, escaped or not), nesting
bounded (the router checks the request's shape). Anything else is a 400, never a crash
deeper down (recursion, ``str.get``, an unencodable error message).
"""

from __future__ import annotations

from typing import Any

import orjson

from api.refusals import MalformedBodyError

MAX_JSON_DEPTH = 32
"""Our deepest input is four levels; 32 leaves room without inviting bombs."""


def decode_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON object (or a batch list) within ``max_depth`` levels."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        # orjson's message names the position only, never our internals.
        raise MalformedBodyError(_reason(error)) from None
    if not isinstance(value, dict | list):
        raise MalformedBodyError("not a JSON object")
    _check_depth(value, max_depth)
    return value


def _reason(error: orjson.JSONDecodeError) -> str:
    text = str(error)
    if "depth" in text.lower() or "recursion" in text.lower():
        return f"nested more than {MAX_JSON_DEPTH} levels"
    return f"not valid UTF-8 JSON ({text[:120]})"


def _check_depth(value: Any, max_depth: int) -> None:
    """Iterative, so the check itself cannot hit the recursion limit."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > max_depth:
            raise MalformedBodyError(f"nested more than {max_depth} levels")
        children = current.values() if isinstance(current, dict) else current
        stack.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )
