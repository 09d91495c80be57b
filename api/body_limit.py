"""Request size limits at the edge: HTTP bodies and websocket messages.

A declared ``Content-Length`` over the limit is refused before reading; a
body without one (chunked, streamed) is counted as it arrives and refused as
soon as it passes the limit, so no request holds more than the limit in
memory. Websocket messages over the limit close the connection with 1009
(uvicorn's ``ws_max_size`` refuses them earlier on ``motcua serve``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.refusals import (
    BodyTooLargeError,
    MalformedBodyError,
    language_of,
    send_refusal,
)

MESSAGE_TOO_BIG = 1009


#: Room for a multipart envelope (boundaries, part headers) around an upload.
MULTIPART_OVERHEAD = 64 * 1024


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_ws_bytes: int,
        upload_paths: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_ws_bytes = max_ws_bytes
        self.upload_paths = frozenset(upload_paths)
        # A file upload may be larger than any other body (a scan, not a query);
        # the route itself then checks the file part against the exact limit.
        self.max_upload_body = max(
            max_body_bytes, max_upload_bytes + MULTIPART_OVERHEAD
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.app(scope, self._bounded_ws(receive, send), send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = (
            self.max_upload_body
            if scope.get("method") == "POST" and scope.get("path") in self.upload_paths
            else self.max_body_bytes
        )
        headers = dict(scope.get("headers", []))
        language = language_of(headers.get(b"accept-language"))
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await send_refusal(send, MalformedBodyError("Content-Length"), language)
                return
            if int(declared) > limit:
                await self._too_large(send, language, limit)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, language, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # disconnect, when it comes
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, language: str, limit: int) -> None:
        await send_refusal(
            send,
            BodyTooLargeError(limit),
            language,
            headers=[(b"connection", b"close")],
        )

    def _bounded_ws(self, receive: Receive, send: Send) -> Receive:
        limit = self.max_ws_bytes

        async def bounded() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                text = message.get("text")
                data = message.get("bytes")
                size = len(text.encode("utf-8", "surrogatepass")) if text else 0
                size += len(data) if data else 0
                if size > limit:
                    await send(
                        {
                            "type": "websocket.close",
                            "code": MESSAGE_TOO_BIG,
                            "reason": "message too big",
                        }
                    )
                    return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        return bounded
