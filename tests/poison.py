"""Poison events written straight into the log, as a bug or an old version might have.

They bypass every check of the write side on purpose: the read side must
survive what is already in a permanent log.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from application.chain import open_state
from application.onestop import OneStop
from domain.bounds import MAX_MONEY_VND
from domain.dossier_events import FinancialObligationRequested
from domain.procedure import Fee
from domain.values import AgencyCode
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
    state = json.loads(open_state(template.state).payload)
    state["fees"][0]["_data_"]["amount"]["_data_"] = str(amount)
    return dossier_id, inject(app, dossier_id, template.topic, state)


def poisoned_request(
    app: OneStop, dossier_id: UUID, when: datetime, amount: int = HUGE_FEE
) -> tuple[int, int]:
    """The dossier's next event: a real payment request (made by the aggregate
    itself, so the dossier goes on normally) whose stored amount is ``amount``.
    Returns its log position and originator version."""
    dossier = app.get_dossier(dossier_id)
    dossier.request_payment(
        trace=trace(specialist(), when),
        calendar=app.working_calendar(AgencyCode(dossier.competent_agency).level1),
        fees=(Fee("LP1", "Lệ phí", Decimal(8000)),),
    )
    (event,) = dossier.collect_events()
    stored = app.mapper.to_stored_event(event)
    state = json.loads(stored.state)
    state["fees"][0]["_data_"]["amount"]["_data_"] = str(amount)
    position = inject(app, dossier_id, stored.topic, state)
    return position, event.originator_version


def undecodable(app: OneStop) -> tuple[UUID, int]:
    """A dossier event whose stored state cannot be decoded at all."""
    dossier_id = in_progress(app, at(2))
    topic = "domain.dossier:Dossier.FinancialObligationRequested"
    return dossier_id, inject(app, dossier_id, topic, b'{"fees": "not a list"')


class CitizenCappingSomeFees(CitizenProjection):
    """A fix for one kind of bad value only: fees up to ``FIXED_UP_TO`` VND are
    capped as :class:`CitizenCappingFees` does; larger ones still fail."""

    FIXED_UP_TO = 10**35

    def apply(self, event: object, sql: Any) -> None:
        if isinstance(event, FinancialObligationRequested) and all(
            f.amount <= self.FIXED_UP_TO for f in event.fees
        ):
            fees = tuple(
                dataclasses.replace(f, amount=min(f.amount, Decimal(MAX_MONEY_VND)))
                for f in event.fees
            )
            changes: dict[str, Any] = {"fees": fees}
            event = dataclasses.replace(cast("Any", event), **changes)
        super().apply(event, sql)


class CitizenCappingFees(CitizenProjection):
    """The fix under test: a fee beyond what a fee may be today (and beyond what
    the read model holds) is shown at the largest valid amount, instead of
    failing the event."""

    def apply(self, event: object, sql: Any) -> None:
        if isinstance(event, FinancialObligationRequested):
            fees = tuple(
                dataclasses.replace(f, amount=min(f.amount, Decimal(MAX_MONEY_VND)))
                for f in event.fees
            )
            changes: dict[str, Any] = {"fees": fees}
            event = dataclasses.replace(cast("Any", event), **changes)
        super().apply(event, sql)
