"""Request size limits at the edge: HTTP bodies and websocket messages.

A declared ``Content-Length`` over the limit is refused before reading; a
body without one (chunked, streamed) is counted as it arrives and refused as
soon as it passes the limit, so no request holds more than the limit in
memory. Websocket messages over the limit close the connection with 1009
(uvicorn's ``ws_max_size`` refuses them earlier on ``motcua serve``).
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from api.refusals import (
    BodyTooLargeError,
    MalformedBodyError,
    language_of,
    send_refusal,
)

MESSAGE_TOO_BIG = 1009


#: Room for a multipart envelope (boundaries, part headers) around an upload.
MULTIPART_OVERHEAD = 64 * 1024


class BodyLimits:
    def __init__(
        self,
        *,
        max_body_bytes: int,
        max_ws_bytes: int,
        upload_paths: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_ws_bytes = max_ws_bytes
        self.upload_paths = frozenset(upload_paths)
        # A file upload may be larger than any other body (a scan, not a query);
        # the route itself then checks the file part against the exact limit.
        self.max_upload_body = max(
            max_body_bytes, max_upload_bytes + MULTIPART_OVERHEAD
        )

    async def read(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None when it was refused here (answered on
        ``send``) or the client went away before sending it."""
        limit = (
            self.max_upload_body
            if scope.get("method") == "POST" and scope.get("path") in self.upload_paths
            else self.max_body_bytes
        )
        declared: bytes | None = None
        language_header: bytes | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value
            elif name == b"accept-language":
                language_header = value
        if declared is not None:
            if not declared.strip().isdigit():
                await send_refusal(
                    send,
                    MalformedBodyError("Content-Length"),
                    language_of(language_header),
                )
                return None
            if int(declared) > limit:
                await self._too_large(send, language_of(language_header), limit)
                return None
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client went away before sending its body
        body: bytes = message.get("body", b"")
        if len(body) > limit:
            await self._too_large(send, language_of(language_header), limit)
            return None
        if not message.get("more_body", False):
            return body  # the common case: one message
        chunks = [body]
        size = len(body)
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, language_of(language_header), limit)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, send: Send, language: str, limit: int) -> None:
        await send_refusal(
            send,
            BodyTooLargeError(limit),
            language,
            headers=[(b"connection", b"close")],
        )

    def bounded_ws(self, receive: Receive, send: Send) -> Receive:
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
