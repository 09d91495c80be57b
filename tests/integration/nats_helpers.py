"""Reading back what the integrator published, as a deduplicating consumer would."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

import nats
import orjson
from nats.js.errors import NotFoundError

from adapters.integration import envelope

_PROVINCES = itertools.count(1)


def fresh_province() -> str:
    """A province code of its own per test (stream ``MOTCUA_<code>`` on a shared server)."""
    number = next(_PROVINCES)
    return f"{chr(ord('Q') + number // 100)}{number % 100:02d}"


@dataclass(frozen=True)
class Received:
    subject: str
    msg_id: str
    position: int
    body: dict[str, Any]


async def _stream(url: str, province: str) -> list[Received]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(envelope.stream_name(province))
        except NotFoundError:
            return []
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if not info.state.messages:
                break
            msg = await js.get_msg(envelope.stream_name(province), seq)
            headers = msg.headers or {}
            out.append(
                Received(
                    str(msg.subject),
                    headers["Nats-Msg-Id"],
                    int(headers["Motcua-Position"]),
                    orjson.loads(msg.data or b"{}"),
                )
            )
        return out
    finally:
        await nc.close()


def stream_messages(url: str, province: str) -> list[Received]:
    return asyncio.run(_stream(url, province))


async def _config(url: str, province: str) -> Any:
    nc = await nats.connect(url)
    try:
        return (await nc.jetstream().stream_info(envelope.stream_name(province))).config
    finally:
        await nc.close()


def stream_config(url: str, province: str) -> Any:
    return asyncio.run(_config(url, province))
