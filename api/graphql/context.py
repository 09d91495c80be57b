"""The typed GraphQL context: services, who is asking, in which language."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from fastapi import HTTPException, Request, WebSocket
from graphql import GraphQLError
from strawberry.fastapi import BaseContext

from api.auth import ANONYMOUS, AccessLevel, InvalidTokenError, Principal
from api.services import Services

T = TypeVar("T")


class Context(BaseContext):
    def __init__(
        self,
        services: Services,
        principal: Principal,
        language: str,
        client: str,
        request_id: str,
    ) -> None:
        super().__init__()
        self.services = services
        self.principal = principal
        self.language = language
        self.client = client
        self.request_id = request_id

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """The event store and read store are synchronous: never on the loop."""
        return await anyio.to_thread.run_sync(lambda: function(*args))

    def correlation_id(self) -> uuid.UUID:
        try:
            return uuid.UUID(hex=self.request_id)
        except ValueError:
            return uuid.uuid4()

    def require(self, *levels: AccessLevel) -> Principal:
        if self.principal.level not in levels:
            anonymous = self.principal.level is AccessLevel.ANONYMOUS
            code = "UNAUTHENTICATED" if anonymous else "FORBIDDEN"
            vi = (
                "Cần đăng nhập"
                if code == "UNAUTHENTICATED"
                else "Không có quyền truy cập"
            )
            en = "Authentication required" if code == "UNAUTHENTICATED" else "Forbidden"
            raise GraphQLError(self.text(vi, en), extensions={"code": code})
        return self.principal

    def text(self, vi: str, en: str) -> str:
        return en if self.language == "en" else vi


def language_of(header: str | None) -> str:
    return "en" if header and header.strip().lower().startswith("en") else "vi"


async def get_context(
    request: Request = None,  # type: ignore[assignment]
    websocket: WebSocket = None,  # type: ignore[assignment]
) -> Context:
    connection: Request | WebSocket = request or websocket
    services: Services = connection.app.state.services
    language = language_of(connection.headers.get("accept-language"))
    authorization = connection.headers.get("authorization", "")
    principal = ANONYMOUS
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, detail=_unauthorized(language))
        try:
            principal = await anyio.to_thread.run_sync(
                services.verifier.verify, token.strip()
            )
        except InvalidTokenError as error:
            raise HTTPException(401, detail=error.message(language)) from None
    client = connection.client.host if connection.client else "unknown"
    request_id = connection.scope.get("state", {}).get("request_id", uuid.uuid4().hex)
    return Context(services, principal, language, client, request_id)


def _unauthorized(language: str) -> str:
    return (
        "Invalid authorization header"
        if language == "en"
        else "Tiêu đề xác thực không hợp lệ"
    )
