"""uvicorn's websocket protocol (``websockets`` sans-I/O) with two gaps closed.

* An upgrade request the ``websockets`` parser refuses (a header line over
  8 KB such as a 20 KB ``Authorization``, too many headers, a malformed
  line) was never answered: the client hung until its own timeout. It is
  answered at once: ``431`` for a size limit, ``400`` otherwise, then closed.
* A handshake refused with an HTTP response (our 401/503 in GraphQL's error
  shape) was logged as "ASGI callable returned without completing
  handshake." at error level, although the response was sent completely.

:func:`install` makes it uvicorn's ``ws="auto"`` protocol; it is called when
the app is created, before ``uvicorn.Config`` loads the protocol classes.
"""

from __future__ import annotations

from typing import Any

import orjson
from uvicorn import config as uvicorn_config
from uvicorn.protocols.websockets.websockets_sansio_impl import (
    WebSocketsSansIOProtocol,
)
from websockets.exceptions import SecurityError

PROTOCOL = f"{__name__}:WebSocketProtocol"

_REASONS = {
    431: (
        b"Request Header Fields Too Large",
        "REQUEST_HEADER_TOO_LARGE",
        "Tiêu đề yêu cầu quá lớn / Request header fields too large",
    ),
    400: (
        b"Bad Request",
        "MALFORMED_REQUEST",
        "Yêu cầu nâng cấp websocket không hợp lệ / Invalid websocket upgrade request",
    ),
}


class WebSocketProtocol(WebSocketsSansIOProtocol):
    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        refused = self.conn.handshake_exc
        if refused is not None and not self.handshake_complete:
            too_large = isinstance(refused.__cause__, SecurityError)
            self._answer_refused_request(431 if too_large else 400)

    def _answer_refused_request(self, status: int) -> None:
        if self.transport.is_closing():
            return
        phrase, code, message = _REASONS[status]
        body = orjson.dumps(
            {"errors": [{"message": message, "extensions": {"code": code}}]}
        )
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n"
            % (status, phrase, len(body))
        )
        self.handshake_complete = True  # answered: nothing more to send
        self.transport.write(head + body)
        self.transport.close()

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get(
            "more_body", False
        ):
            self.handshake_complete = True  # the refusal was sent in full


def install() -> None:
    """Make :class:`WebSocketProtocol` uvicorn's automatic websocket protocol."""
    uvicorn_config.WS_PROTOCOLS["auto"] = PROTOCOL
