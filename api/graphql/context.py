"""The typed GraphQL context: services, who is asking, in which language."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any, Final, TypeVar
from urllib.parse import unquote

import anyio
from fastapi import Request, WebSocket
from graphql import GraphQLError
from starlette.types import Scope
from strawberry.fastapi import BaseContext

from api.auth import ANONYMOUS, AccessLevel, Principal
from api.refusals import UnauthorizedHeaderError
from api.services import Services
from domain.errors import LabelledError
from projections.ports import StoreUnavailableError

T = TypeVar("T")


class _Workers:
    """Threads for work that waits on a store, fed by one queue and started
    on demand up to ``limit``, as the standard library's executor was (an
    idle thread takes the next item; a new one starts while none is idle;
    threads are joined, after the work already handed over, when the
    interpreter exits). The hand-over is one put on a C queue, and a thread
    that finished goes straight back to waiting on it: the executor's own
    future and the semaphore it released after each item were Python that
    held the GIL just as the loop woke to take it back."""

    def __init__(self, limit: int, prefix: str) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._limit = limit
        self._prefix = prefix
        self._idle = 0
        """Threads done with their last item and not yet handed another."""
        self._threads: list[threading.Thread] = []
        self._closed = False
        threading._register_atexit(self._close)  # type: ignore[attr-defined]

    def submit(self, function: Callable[..., None], *args: Any) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            if self._idle:
                self._idle -= 1
            elif len(self._threads) < self._limit:
                thread = threading.Thread(
                    target=self._work, name=f"{self._prefix}_{len(self._threads)}"
                )
                self._threads.append(thread)
                thread.start()
        self._queue.put((function, args))

    def _work(self) -> None:
        get, lock = self._queue.get, self._lock
        while True:
            function, args = get()
            if function is _stop:
                return
            with contextlib.suppress(BaseException):  # as an unread future did
                function(*args)
            del function, args
            with lock:
                self._idle += 1

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put((_stop, ()))
        for thread in threads:
            thread.join()


def _stop() -> None:
    """Tells a worker thread to end (the interpreter is exiting)."""


_WORKERS: Final = _Workers(40, "motcua-offload")
"""As many threads as anyio's default limiter allows: commands and reads that
wait on the store run here."""


async def offload(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on a worker thread, in a copy of the caller's
    context variables (the request's log fields), as anyio's
    ``to_thread.run_sync`` does, at a third of its CPU per call: the standard
    library's executor hands work over with one queue put, where anyio
    enters a cancel scope, a capacity limiter and a worker of its own per
    call (~15 against ~45 µs measured back to back on the build machine).
    Like anyio's (not abandoned on cancel), a cancelled caller still waits
    for the function to finish: a command that ran is never reported as
    not run."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    _WORKERS.submit(_settle, loop, future, contextvars.copy_context(), function, args)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            if future.done():  # the function itself raised it
                raise
            cancelled = True
            continue
        if cancelled:
            raise asyncio.CancelledError
        return result


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[T],
    context: contextvars.Context,
    function: Callable[..., T],
    args: tuple[Any, ...],
) -> None:
    """On the worker: run, then hand the outcome to the loop in one call
    (``run_in_executor`` chains a second future to the executor's own)."""
    try:
        value = context.run(function, *args)
    except BaseException as error:  # handed over, as the executor's future would
        outcome: tuple[Callable[..., None], object] = (_fail, error)
    else:
        outcome = (_done, value)
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
        loop.call_soon_threadsafe(outcome[0], future, outcome[1])


def _done(future: asyncio.Future[T], value: T) -> None:
    if not future.cancelled():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.cancelled():
        future.set_exception(error)


class Context(BaseContext):
    def __init__(
        self,
        services: Services,
        principal: Principal,
        language: str,
        client: str,
        request_id: str,
        refusal: LabelledError | None = None,
        stated_purpose: str = "",
    ) -> None:
        super().__init__()
        self.services = services
        self.principal = principal
        self.language = language
        self.client = client
        self.request_id = request_id
        self.refusal = refusal
        self.accessed: tuple[str, ...] = ()
        """Dossiers whose personal data this request showed an officer (the
        worklist): a cached page records them again on reuse."""
        self.stated_purpose = stated_purpose
        """``X-Access-Purpose`` as sent (see ``purpose``)."""
        """Why a websocket handshake is refused (the router answers it)."""

    def purpose(self, field: str) -> str:
        """Why personal data is read: the field, and the client's stated reason
        (``X-Access-Purpose``, percent-encoded UTF-8, bounded) when it gives one."""
        stated = unquote(self.stated_purpose[:2000], errors="replace")
        stated = "".join(c for c in stated if c.isprintable())[:200].strip()
        return f"{field}: {stated}" if stated else field

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """The event store and read store are synchronous: never on the loop.
        A read store without a connection answers in GraphQL's error shape."""
        try:
            return await offload(function, *args)
        except StoreUnavailableError as error:
            raise self.unavailable(error) from error

    def unavailable(self, error: StoreUnavailableError) -> GraphQLError:
        return GraphQLError(
            error.message(self.language), extensions={"code": error.code}
        )

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """A read of the read models (no waiting, no writing). On SQLite it runs
        on the loop: a read of a local file takes microseconds, a hop to a
        worker thread and back costs far more (the GIL hand-over). Over a
        network (PostgreSQL) it goes to a thread like everything else."""
        if self.services.inline_reads:
            try:
                return function(*args)
            except StoreUnavailableError as error:
                raise self.unavailable(error) from error
        return await self.run(function, *args)

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


_READ = frozenset((b"accept-language", b"authorization", b"x-access-purpose"))


async def get_context(
    request: Request = None,  # type: ignore[assignment]
    websocket: WebSocket = None,  # type: ignore[assignment]
) -> Context:
    connection: Request | WebSocket = request or websocket
    return await context_of(
        connection.scope, connection.app.state.services, handshake=request is None
    )


async def context_of(
    scope: Scope, services: Services, *, handshake: bool = False
) -> Context:
    """The context of a request (or, ``handshake``, a websocket's): a refused
    token raises for a request, and is kept for the router to deny a
    handshake."""
    # One pass over the raw headers (Starlette's Headers scans them per get);
    # the first of a repeated header counts, as with Headers.get.
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _READ and name not in found:
            found[name] = value
    language_header = found.get(b"accept-language", b"")
    authorization = found.get(b"authorization", b"")
    purpose = found.get(b"x-access-purpose", b"")
    language = language_of(language_header.decode("latin-1"))
    principal = ANONYMOUS
    refusal: LabelledError | None = None
    if authorization:
        try:
            principal = await authenticate(services, authorization.decode("latin-1"))
        except LabelledError as error:
            if not handshake:
                raise  # answered in GraphQL's error shape by the app
            refusal = error  # a websocket handshake: denied by the router
    client = scope.get("client")
    request_id = scope.get("state", {}).get("request_id") or uuid.uuid4().hex
    return Context(
        services,
        principal,
        language,
        client[0] if client else "unknown",
        request_id,
        refusal,
        purpose.decode("latin-1"),
    )


async def authenticate(services: Services, authorization: str) -> Principal:
    """The principal of an ``Authorization`` header; refusals are labelled
    (invalid → 401, key source unreachable → 503)."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedHeaderError()
    token = token.strip()
    known = services.verifier.verified(token)
    if known is not None:  # no thread hop for a token verified before
        return known
    return await anyio.to_thread.run_sync(services.verifier.verify, token)
