"""What the local stand-ins for national services share: a quiet JSON
request handler and a threaded server on a free (or given) port."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from api.bench.servers.base import find_free_port


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the calls from the stand-in's state, not stderr."""

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def send_json(self, status: int, reply: Any) -> None:
        self.send(status, json.dumps(reply, ensure_ascii=False).encode())

    def send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StandInServer:
    """Serves ``handler`` (a ``JsonHandler`` subclass bound to its state) on
    ``port`` (a free one by default) from a daemon thread while entered."""

    def __init__(self, handler: type[JsonHandler], port: int | None = None) -> None:
        self.port = port or find_free_port("127.0.0.1")
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
