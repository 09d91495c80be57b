"""Tracing helpers: every command carries who, when and which chain it belongs to."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from domain.values import Actor, Trace


def now() -> datetime:
    return datetime.now(UTC)


def trace_for(
    actor: Actor,
    *,
    at: datetime | None = None,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
) -> Trace:
    return Trace(
        actor=actor,
        at=at or now(),
        correlation_id=correlation_id or uuid4(),
        causation_id=causation_id,
    )
