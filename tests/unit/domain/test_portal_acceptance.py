"""Only the DVCQG sender records the portal's acceptance; its moment."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import ActorNotAllowedError
from domain.portal_acceptance import PortalAcceptance, acceptance_id, accepted_at
from domain.values import Actor, Role
from tests.factories import at, citizen, desk, trace

SENDER = Actor("motcua-dvcqg", Role.SYSTEM)


@pytest.mark.parametrize("actor", [desk(), citizen()])
def test_no_officer_or_citizen_records_an_acceptance(actor: Actor) -> None:
    with pytest.raises(ActorNotAllowedError) as refused:
        PortalAcceptance.accept(trace=trace(actor, at(0)), dossier_id=uuid4())
    assert refused.value.message("vi") != refused.value.message("en")


def test_one_stream_per_dossier_and_the_moment_it_counts_from() -> None:
    dossier_id = uuid4()
    live = PortalAcceptance.accept(trace=trace(SENDER, at(2)), dossier_id=dossier_id)
    assert live.id == acceptance_id(dossier_id) != acceptance_id(uuid4())
    (event,) = live.collect_events()
    assert isinstance(event, PortalAcceptance.Accepted)
    assert accepted_at(event) == at(2) == live.accepted_at
    reception = at(0) - timedelta(hours=1)
    upgraded = PortalAcceptance.accept(
        trace=trace(SENDER, at(9)), dossier_id=dossier_id, since=reception
    )
    (event,) = upgraded.collect_events()
    assert isinstance(event, PortalAcceptance.Accepted)
    assert accepted_at(event) == reception
