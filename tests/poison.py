"""Poison events written straight into the log, as a bug or an old version might have.

They bypass every check of the write side on purpose: the read side must
survive what is already in a permanent log.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from application.onestop import OneStop
from domain.bounds import MAX_MONEY_VND
from domain.dossier import Dossier
from domain.procedure import Fee
from projections.citizen import CitizenProjection
from tests.factories import at, in_progress, specialist, trace

BIGINT_MAX = 2**63 - 1
HUGE_FEE = 10**30


def _last_stored(app: OneStop, dossier_id: UUID) -> StoredEvent:
    stored = app.recorder.select_events(dossier_id, desc=True, limit=1)
    return stored[0]


def inject(
    app: OneStop, dossier_id: UUID, topic: str, state: dict[str, Any] | bytes
) -> int:
    """Append one raw event as the dossier's next version; its log position."""
    last = _last_stored(app, dossier_id)
    raw = state if isinstance(state, bytes) else json.dumps(state).encode()
    event = StoredEvent(
        originator_id=dossier_id,
        originator_version=last.originator_version + 1,
        topic=topic,
        state=raw,
    )
    app.recorder.insert_events([event])
    position = app.recorder.max_notification_id()
    assert position is not None
    return position


def poisoned_payment(app: OneStop, amount: int = HUGE_FEE) -> tuple[UUID, int]:
    """A dossier awaiting a fee of ``amount`` VND (beyond BIGINT by default),
    recorded as a real request whose stored amount was then rewritten."""
    dossier_id = in_progress(app, at(1))
    app.request_payment(
        dossier_id,
        trace=trace(specialist(), at(1, 14)),
        fees=(Fee("LP1", "Lệ phí", Decimal(8000)),),
    )
    template = _last_stored(app, dossier_id)
    state = json.loads(template.state)
    state["fees"][0]["_data_"]["amount"]["_data_"] = str(amount)
    return dossier_id, inject(app, dossier_id, template.topic, state)


def undecodable(app: OneStop) -> tuple[UUID, int]:
    """A dossier event whose stored state cannot be decoded at all."""
    dossier_id = in_progress(app, at(2))
    topic = "domain.dossier:Dossier.FinancialObligationRequested"
    return dossier_id, inject(app, dossier_id, topic, b'{"fees": "not a list"')


class CitizenCappingFees(CitizenProjection):
    """The fix under test: a fee beyond what a fee may be today (and beyond what
    the read model holds) is shown at the largest valid amount, instead of
    failing the event."""

    def apply(self, event: object, sql: Any) -> None:
        if isinstance(event, Dossier.FinancialObligationRequested):
            fees = tuple(
                dataclasses.replace(f, amount=min(f.amount, Decimal(MAX_MONEY_VND)))
                for f in event.fees
            )
            changes: dict[str, Any] = {"fees": fees}
            event = dataclasses.replace(cast("Any", event), **changes)
        super().apply(event, sql)
