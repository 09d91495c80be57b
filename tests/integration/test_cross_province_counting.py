"""A child dossier opened for another province's dossier is neither synced to
DVCQG as a dossier of its own (R-52) nor counted by this province's
indicators (the source province counts the citizen's one dossier)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application import cross_province as cp
from application.onestop import OneStop
from domain.cross_province import ForwardRequest
from domain.dossier_values import Channel, Holder
from domain.indicator_facts import NotCountedHere, fold_facts
from tests.dvcqg_portal import PortalServer
from tests.factories import APPLICANT, BIRTH, at, desk, trace
from tests.integration.test_dvcqg_sync import drain, make_sync
from tests.peer_province import PEER_JUSTICE, PEER_PROVINCE, seed_peer


@pytest.fixture
def b(tmp_path: Path) -> Iterator[OneStop]:
    application = OneStop(env=persistence_env(f"sqlite:///{tmp_path / 'e.db'}"))
    seed_peer(application)
    yield application
    application.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteReadStore]:
    read_store = SQLiteReadStore(str(tmp_path / "e.db"))
    yield read_store
    read_store.close()


def opened_and_received(b: OneStop) -> tuple[UUID, str]:
    request = ForwardRequest(
        source_province="H34",
        source_id=uuid4(),
        source_version=7,
        source_code="000.00.00.H34-260302-0001",
        applicant=APPLICANT,
        procedure_code=BIRTH,
        channel=Channel.DESK,
        summary="",
        to_holder=Holder(PEER_JUSTICE),
        note="",
    )
    child = cp.open_child(b, request)
    code = b.receive_submitted_dossier(
        child, trace=trace(desk(PEER_PROVINCE), at(0, 9))
    ).code
    return child, code


def test_the_child_is_never_synced_as_a_dossier(
    b: OneStop, store: SQLiteReadStore
) -> None:
    child, child_code = opened_and_received(b)
    own = b.receive_dossier(
        trace=trace(desk(PEER_PROVINCE), at(0, 10)),
        applicant=APPLICANT,
        procedure_code=BIRTH,
    )
    with PortalServer() as portal:
        sync = make_sync(b, store, portal)
        drain(sync)
        synced = set(portal.portal.dossiers)
    assert own.code in synced
    assert child_code not in synced
    from adapters.dvcqg.sync import rows
    from tests.integration.dvcqg_rates import sync_rate

    assert rows(store)[str(child)].state == "child"
    rate = sync_rate(store)
    assert rate.eligible == 1
    assert rate.synced == 1


def test_the_child_has_no_indicator_facts(b: OneStop) -> None:
    child, _ = opened_and_received(b)
    with pytest.raises(NotCountedHere):
        fold_facts(b.events.get(child))
