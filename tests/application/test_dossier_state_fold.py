"""The lifecycle rules of ``domain.dossier_state``, over events a real
application recorded: pauses resume where they stopped, units involved
accumulate, and the public completion exists only with a code."""

from __future__ import annotations

from decimal import Decimal

import pytest

from application.onestop import OneStop
from domain.dossier_events import DossierEvent, ReceivedAtDesk
from domain.dossier_state import evolve, fold
from domain.dossier_status import Completion, DossierStatus
from domain.dossier_values import Holder, PaymentChannel
from domain.procedure import Fee
from tests.factories import (
    CONSTRUCTION,
    JUSTICE,
    at,
    desk,
    digitize_and_sign,
    in_progress,
    receive,
    specialist,
    trace,
)


def test_a_payment_asked_right_after_reception_resumes_to_received(
    app: OneStop,
) -> None:
    dossier_id = receive(app, when=at(0, 9)).dossier_id
    app.request_payment(
        dossier_id,
        trace=trace(desk(), at(0, 10)),
        fees=(Fee("LP1", "Lệ phí", Decimal(8000)),),
    )
    paused = fold(app.events.get(dossier_id))
    assert paused is not None
    assert (paused.status, paused.paused_from) == (
        DossierStatus.AWAITING_PAYMENT,
        DossierStatus.RECEIVED,
    )
    assert paused.completion is Completion.WAITING_FOR_APPLICANT
    app.confirm_payment(
        dossier_id,
        trace=trace(desk(), at(1, 9)),
        channel=PaymentChannel.ONLINE_NATIONAL,
        receipt="BL-1",
    )
    resumed = fold(app.events.get(dossier_id))
    assert resumed is not None
    assert (resumed.status, resumed.paused_from, resumed.paused_at) == (
        DossierStatus.RECEIVED,
        None,
        None,
    )
    assert resumed.paused_seconds > 0
    assert resumed == app.get_dossier(dossier_id).state


def test_units_involved_accumulate_in_order_without_repeats(app: OneStop) -> None:
    dossier_id = receive(app, when=at(0, 9)).dossier_id
    digitize_and_sign(app, dossier_id, at(0, 9))
    for number, (to, officer) in enumerate(
        (
            (Holder(CONSTRUCTION), desk()),
            (Holder(JUSTICE, "PHC"), specialist(CONSTRUCTION, "spec-xd")),
            (Holder(CONSTRUCTION), specialist(JUSTICE)),
        )
    ):
        app.forward_dossier(dossier_id, trace=trace(officer, at(0, 10 + number)), to=to)
    state = fold(app.events.get(dossier_id))
    assert state is not None
    assert state.involved_agencies == (JUSTICE, CONSTRUCTION)
    assert state.holder == Holder(CONSTRUCTION)
    assert state.status is DossierStatus.IN_PROGRESS


def test_only_a_lodging_begins_a_dossier(app: OneStop) -> None:
    dossier_id = in_progress(app, at(0, 8))
    first, *later = app.events.get(dossier_id)
    assert isinstance(first, ReceivedAtDesk)
    assert isinstance(later[0], DossierEvent)
    with pytest.raises(TypeError):
        evolve(None, later[0])
    begun = evolve(None, first)
    assert begun.version == 1
    assert begun.code is not None
    assert begun.completion is Completion.RECEIVED
