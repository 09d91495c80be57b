"""Requests refused before GraphQL runs, answered in GraphQL's error shape.

Clients parse one shape for every failure: ``{"errors": [{"message": ...,
"extensions": {"code": ...}}]}``, Vietnamese by default, English on
``Accept-Language: en``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
from starlette.types import Send

from domain.errors import LabelledError


class RequestRefusedError(LabelledError):
    """A request refused at the edge; ``status`` is its HTTP status."""

    status: ClassVar[int] = 400
    code = "BAD_REQUEST"
    vi = "Yêu cầu không hợp lệ: {a0}"
    en = "Invalid request: {a0}"


class MalformedBodyError(RequestRefusedError):
    code = "MALFORMED_BODY"
    vi = "Nội dung yêu cầu không hợp lệ: {a0}"
    en = "Malformed request body: {a0}"


class BodyTooLargeError(RequestRefusedError):
    status = 413
    code = "REQUEST_TOO_LARGE"
    vi = "Nội dung yêu cầu quá lớn (tối đa {a0} byte)"
    en = "Request body too large (at most {a0} bytes)"


class UnauthorizedHeaderError(RequestRefusedError):
    status = 401
    code = "UNAUTHENTICATED"
    vi = "Tiêu đề xác thực không hợp lệ"
    en = "Invalid authorization header"


def language_of(header: str | bytes | None) -> str:
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    return "en" if header and header.strip().lower().startswith("en") else "vi"


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    return orjson.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    )


def status_of(error: LabelledError) -> int:
    """HTTP status of an expected failure that ended a request."""
    from api.auth import InvalidTokenError, KeySourceUnavailableError

    if isinstance(error, RequestRefusedError):
        return error.status
    if isinstance(error, InvalidTokenError):
        return 401
    if isinstance(error, KeySourceUnavailableError):
        return 503
    return 400


def refusal_body(error: LabelledError, language: str) -> bytes:
    return error_body(error.message(language), error.code)


async def send_refusal(
    send: Send,
    error: LabelledError,
    language: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer directly at the ASGI level (before any route ran)."""
    body = refusal_body(error, language)
    await send(
        {
            "type": "http.response.start",
            "status": status_of(error),
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
