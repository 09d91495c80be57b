"""HTTP client of the national portal's adapter: session login, retries, replies.

Contract (domain.md §7.2, de-facto): POST ``{username, password}`` to the login
URL → ``{"error_code": 0, "session": "…"}``; every service call is a JSON POST
with a ``service`` discriminator and the session (JSON field ``session`` and
header ``session``); ``error_code`` ``0`` is success. A message containing
"đã tồn tại" / "already exists" means the dossier is there already (the
caller switches to update), "không tồn tại" / "not found" that an update found
nothing (the caller creates it). HTTP 401/403 or a message about the session means
it expired: log in again once and repeat the call. 5xx, timeouts, refused
connections and malformed replies are retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

log = structlog.get_logger("dvcqg")

_EXISTS = ("đã tồn tại", "already exist")
_MISSING = ("không tồn tại", "chưa tồn tại", "not found", "does not exist")
_SESSION = ("session", "phiên")


class PortalError(Exception):
    """The portal did not accept a call (after the retries)."""


class PortalRefusedError(PortalError):
    """The portal answered and refused the content (no retry will help)."""


class AlreadyExistsError(PortalError):
    """``DongBoHoSoMC`` create for a dossier the portal already has."""


class NotOnPortalError(PortalError):
    """``DongBoHoSoMC`` update for a dossier the portal does not have (any more)."""


class _SessionExpiredError(PortalError):
    pass


class _TransientError(PortalError):
    pass


@dataclass(frozen=True)
class PortalOptions:
    url: str
    auth_url: str
    username: str
    password: str
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.5


def _message(reply: dict[str, Any]) -> str:
    return str(reply.get("message") or reply.get("error_message") or "")


def _parse(response: httpx.Response) -> dict[str, Any]:
    if response.status_code in (401, 403):
        raise _SessionExpiredError(f"HTTP {response.status_code}")
    if response.status_code >= 500:
        raise _TransientError(f"HTTP {response.status_code}")
    try:
        reply = response.json()
    except ValueError:
        raise _TransientError(
            f"malformed reply (HTTP {response.status_code}, not JSON)"
        ) from None
    if not isinstance(reply, dict) or "error_code" not in reply:
        raise _TransientError(f"malformed reply (HTTP {response.status_code})")
    return reply


class PortalClient:
    def __init__(self, options: PortalOptions) -> None:
        self.options = options
        self.session: str | None = None
        self.logins = 0
        self._http = httpx.AsyncClient(timeout=options.timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def login(self) -> str:
        response = await self._http.post(
            self.options.auth_url,
            json={"username": self.options.username, "password": self.options.password},
        )
        reply = _parse(response)
        session = reply.get("session")
        if (
            str(reply["error_code"]) != "0"
            or not isinstance(session, str)
            or not session
        ):
            raise PortalRefusedError(
                f"login refused: {_message(reply) or reply['error_code']}"
            )
        self.session = session
        self.logins += 1
        return session

    async def call(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST one service call; retried while transient, re-logged once."""
        attempt = 0
        relogged = False
        while True:
            try:
                return await self._call_once(body)
            except _SessionExpiredError:
                if relogged:
                    raise PortalError(
                        "session refused right after a new login"
                    ) from None
                self.session = None
                relogged = True
            except (_TransientError, httpx.TransportError) as error:
                if attempt >= self.options.retries:
                    raise PortalError(_describe(error)) from None
                delay = self.options.backoff * 2**attempt
                attempt += 1
                log.info(
                    "dvcqg_retry", attempt=attempt, delay=delay, error=_describe(error)
                )
                await asyncio.sleep(delay)

    async def _call_once(self, body: dict[str, Any]) -> dict[str, Any]:
        session = self.session or await self.login()
        response = await self._http.post(
            self.options.url,
            json={**body, "session": session},
            headers={"session": session},
        )
        reply = _parse(response)
        code = str(reply["error_code"])
        message = _message(reply)
        if code == "0":
            return reply
        lowered = message.lower()
        if any(word in lowered for word in _EXISTS):
            raise AlreadyExistsError(message)
        if any(word in lowered for word in _MISSING):
            raise NotOnPortalError(message)
        if any(word in lowered for word in _SESSION):
            raise _SessionExpiredError(message)
        raise PortalRefusedError(f"error_code {code}: {message}"[:300])


def _describe(error: BaseException) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"timeout ({type(error).__name__})"
    return f"{type(error).__name__}: {error}"[:300]
