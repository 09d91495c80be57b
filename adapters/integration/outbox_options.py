"""How the outbox reaches NATS: apart from the outbox, so a process that only
reads its settings does not import the NATS client."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutboxOptions:
    url: str
    province: str
    batch_size: int = 500
    duplicate_window: int = 7200
    ack_timeout: float = 5.0
    peers: frozenset[str] = frozenset()
    """Provinces this one forwards to (``adapters.integration.inbox``)."""
