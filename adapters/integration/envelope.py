"""One event as an integration message: subject, message id, JSON body.

Subject ``motcua.<province>.<aggregate>.<event>`` (``motcua.H34.dossier.Received``);
the message id is the event's identity in the store, ``<originator id>/<version>``,
so every republish of the same event carries the same ``Nats-Msg-Id``. The body
carries the event's stored JSON as ``data`` unchanged (the log's own format:
value types tagged ``_type_``/``_data_``), decrypted and decompressed.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import Mapper, Notification

from application.chain import open_state

STREAM_PREFIX = "MOTCUA_"


def event_name(topic: str) -> tuple[str, str]:
    """``domain.dossier:Dossier.Received`` → (``dossier``, ``Received``)."""
    _, _, qualname = topic.partition(":")
    parts = [p for p in qualname.split(".") if p] or ["unknown"]
    return parts[0].lower(), parts[-1]


def subject(province: str, topic: str) -> str:
    aggregate, event = event_name(topic)
    return f"motcua.{province}.{aggregate}.{event}"


def subjects(province: str) -> str:
    return f"motcua.{province}.>"


def stream_name(province: str) -> str:
    return f"{STREAM_PREFIX}{province}"


def message_id(notification: Notification) -> str:
    return f"{notification.originator_id}/{notification.originator_version}"


def stored_json(mapper: Mapper[Any], notification: Notification) -> bytes:
    # Without the stream's hash-chain prefix (application/chain.py).
    state = open_state(notification.state).payload
    if mapper.cipher:
        state = mapper.cipher.decrypt(state)
    if mapper.compressor:
        state = mapper.compressor.decompress(state)
    return state


def body(province: str, mapper: Mapper[Any], notification: Notification) -> bytes:
    aggregate, event = event_name(notification.topic)
    return orjson.dumps(
        {
            "id": message_id(notification),
            "position": notification.id,
            "province": province,
            "aggregate": aggregate,
            "event": event,
            "topic": notification.topic,
            "originatorId": str(notification.originator_id),
            "originatorVersion": notification.originator_version,
            "data": orjson.Fragment(stored_json(mapper, notification)),
        }
    )


def headers(notification: Notification) -> dict[str, str]:
    return {
        "Nats-Msg-Id": message_id(notification),
        "Motcua-Position": str(notification.id),
    }
