"""structlog JSON logging, configured once, with a request id on every line."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import re
import sys
import threading
import weakref
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog

_configured = False
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z", re.ASCII)


def _dumps(value: Any, **_: Any) -> bytes:
    return orjson.dumps(value, default=str)


def _dumps_text(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at write time (test runners swap it), fed
    bytes (text for the standard library's handler)."""

    def write(self, data: bytes | str) -> int:
        stream = sys.stderr
        if isinstance(data, str):
            return stream.write(data)
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            return stream.write(data.decode())
        stream.flush()  # nothing of the text layer's may come after this line
        return int(buffer.write(data))

    def flush(self) -> None:
        stream = sys.stderr
        getattr(stream, "buffer", stream).flush()


_STDERR = _CurrentStderr()


def configure_logging(level: int = logging.INFO) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.BytesLoggerFactory(_STDERR),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_dumps_text),
        ],
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").handlers.clear()
    logging.getLogger("uvicorn.access").propagate = False


def request_id_of(incoming: bytes) -> str:
    """The client's ``X-Request-Id`` when well-formed, else a new one (a
    random UUID v4 in hex, made without building a ``uuid.UUID``)."""
    if incoming:
        text = incoming.decode("latin-1")
        if _REQUEST_ID.match(text):
            return text
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return raw.hex()


class AccessLines:
    """One JSON line per request, written directly: the same line structlog's
    chain would render (the given fields, then ``event``, ``level`` and the
    UTC ``timestamp``, by orjson), without its bound-logger and processor
    machinery per request (about a third of the edge's own time).

    With ``hold=True`` on an event loop (the edge's request lines) the first
    line of a loop turn is written at once, as before, and the later ones of
    the same turn are held and written together at the next turn: a burst of
    answers costs two writes instead of one each (a write was ~5 % of a
    served lookup's CPU), while a client that waits for its answer before the
    next request still finds its line written. A line without ``hold`` while
    lines are held joins them, so the order is kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[bytes] | None = None
        self._turn_written = False
        atexit.register(_release_at_exit, weakref.ref(self))

    def info(self, event: str, *, hold: bool = False, **fields: Any) -> None:
        fields["event"] = event
        fields["level"] = "info"
        fields["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        line = _dumps(fields) + b"\n"
        with self._lock:
            if self._held is not None:
                self._held.append(line)
                return
            if hold and self._turn_written:
                self._held = [line]  # the turn's callback writes it
                return
            _STDERR.write(line)
            _STDERR.flush()
            if not hold:
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._turn_written = True
            loop.call_soon(self.release)

    def release(self) -> None:
        """Write the held lines now (the loop's next turn, or the exit)."""
        with self._lock:
            self._turn_written = False
            held, self._held = self._held, None
            if held:
                _STDERR.write(b"".join(held))
                _STDERR.flush()


def _release_at_exit(lines: weakref.ref[AccessLines]) -> None:
    held = lines()
    if held is not None:
        held.release()


def access_logger() -> AccessLines:
    return AccessLines()
