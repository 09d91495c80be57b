"""Cross-province forwarding between two applications (two stores), without
the transport: what A sends, B opens, B reports and A records (R-17)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from adapters.settings import persistence_env
from application import cross_province as cp
from application.onestop import OneStop
from application.options import OneStopOptions
from domain.cross_province import (
    CrossBoundaryState,
    HeldByProvinceError,
    InboundRefusal,
    UnknownProvinceError,
)
from domain.dossier_status import DossierStatus
from domain.dossier_values import Holder, ReturnMethod
from domain.errors import CrossProvinceForwardError
from domain.indicator_facts import fold_facts
from tests.factories import (
    at,
    desk,
    digitize_and_sign,
    document,
    leader,
    receive,
    seed_catalogue,
    specialist,
    trace,
)
from tests.peer_province import (
    PEER_JUSTICE,
    PEER_PROVINCE,
    peer_result,
    seed_peer,
)
from tests.pki import ensure_pki

HOME = "H34"


def _app(peers: frozenset[str], seed: object) -> OneStop:
    app = ensure_pki(
        OneStop(
            env=persistence_env("memory://"),
            options=OneStopOptions(peer_provinces=peers),
        )
    )
    seed(app)  # type: ignore[operator]
    return app


@pytest.fixture
def a() -> Iterator[OneStop]:
    app = _app(frozenset({"H35"}), seed_catalogue)
    yield app
    app.close()


@pytest.fixture
def b() -> Iterator[OneStop]:
    app = _app(frozenset({"H34"}), seed_peer)
    yield app
    app.close()


def _forwarded(a: OneStop, to: str = PEER_JUSTICE) -> UUID:
    source = receive(a, when=at(0, 8)).dossier_id
    digitize_and_sign(a, source, at(0, 8))
    a.forward_dossier(source, trace=trace(desk(), at(0, 9)), to=Holder(to))
    return source


def _sync(a: OneStop, b: OneStop, source: UUID, child: UUID) -> int:
    """Deliver every report of the child's events (as the transport would)."""
    recorded = 0
    for version in range(1, b.get_dossier(child).version + 1):
        outcome = cp.record_report(a, cp.report(b, "H35", source, child, version))
        recorded += bool(outcome and outcome.log_position)
    return recorded


def _open(a: OneStop, b: OneStop, source: UUID) -> UUID:
    version = a.get_dossier(source).version
    request = cp.forward_request(a, HOME, source, version)
    assert request is not None
    return cp.open_child(b, request)


def test_forward_process_and_return_shows_one_dossier(a: OneStop, b: OneStop) -> None:
    source = _forwarded(a)
    state = a.get_dossier(source).state
    assert state.across_state is CrossBoundaryState.AWAITING_RECEIVING_UNIT
    assert state.holder == Holder(PEER_JUSTICE)
    with pytest.raises(HeldByProvinceError):
        a.request_supplement(
            source, trace=trace(desk(), at(0, 10)), items=("TP1",), reason="x"
        )

    child = _open(a, b, source)
    assert _open(a, b, source) == child  # redelivered: nothing opened twice
    opened = b.get_dossier(child)
    assert opened.version == 1
    assert opened.status is DossierStatus.SUBMITTED
    assert opened.state.source_code == a.get_dossier(source).code
    assert opened.state.is_child

    code = b.receive_submitted_dossier(
        child, trace=trace(desk(PEER_PROVINCE), at(1, 8))
    ).code
    _sync(a, b, source, child)
    accepted = a.get_dossier(source).state
    assert accepted.across_state is CrossBoundaryState.RECEIVED
    assert accepted.across_code == code
    assert code.startswith(PEER_PROVINCE)

    for component in ("TP1", "TP2"):
        officer = trace(desk(PEER_PROVINCE), at(1, 8))
        b.digitize_component(
            child,
            trace=officer,
            component_code=component,
            document=document(component, b),
        )
        b.sign_component(child, trace=officer, component_code=component)
    b.forward_dossier(
        child, trace=trace(desk(PEER_PROVINCE), at(1, 9)), to=Holder(PEER_JUSTICE)
    )
    b.request_supplement(
        child,
        trace=trace(specialist(PEER_JUSTICE), at(1, 10)),
        items=("TP1",),
        reason="mờ",
    )
    # B's desk steps show nothing new; its hand-over and the request do.
    assert _sync(a, b, source, child) == 2
    assert a.get_dossier(source).status is DossierStatus.AWAITING_SUPPLEMENT
    b.receive_supplement(child, trace=trace(desk(PEER_PROVINCE), at(1, 11)))
    issued = peer_result(b)
    b.resolve_dossier(
        child,
        trace=trace(leader(PEER_JUSTICE), at(1, 14)),
        results=(issued,),
        decision="Cấp giấy khai sinh",
    )
    _sync(a, b, source, child)
    done = a.get_dossier(source)
    assert done.status is DossierStatus.RESOLVED
    assert done.state.across_state is CrossBoundaryState.RETURNED
    assert done.holder == Holder(desk().agency_code or "")
    assert [r.document_id for r in done.results] == [issued.document_id]
    assert _sync(a, b, source, child) == 0  # every report again: nothing new
    facts = fold_facts(a.events.get(source))
    assert facts is not None
    assert facts.end_kind == "resolved"  # counted once, here, as resolved
    assert done.timeliness is not None
    assert facts.local_timeliness == done.timeliness.value

    a.return_result(source, trace=trace(desk(), at(2, 8)), method=ReturnMethod.DESK)
    assert a.get_dossier(source).status is DossierStatus.RETURNED


def test_refused_by_the_other_province_comes_back(a: OneStop, b: OneStop) -> None:
    source = _forwarded(a)
    child = _open(a, b, source)
    b.refuse_dossier(
        child, trace=trace(desk(PEER_PROVINCE), at(1, 8)), reason="sai thẩm quyền"
    )
    assert _sync(a, b, source, child) == 1
    back = a.get_dossier(source)
    assert back.state.across_state is None
    assert back.status is DossierStatus.IN_PROGRESS
    assert back.holder.agency_code == desk().agency_code
    # A acts on it again, e.g. forwards it within its own province.
    a.forward_dossier(source, trace=trace(desk(), at(1, 9)), to=Holder("000.00.12.H34"))
    assert a.get_dossier(source).state.across_state is None


def test_request_b_cannot_open_is_refused_once(a: OneStop, b: OneStop) -> None:
    source = _forwarded(a, to="000.00.15.H35")  # not registered in B
    version = a.get_dossier(source).version
    request = cp.forward_request(a, HOME, source, version)
    assert request is not None
    child = cp.open_child(b, request)
    assert cp.open_child(b, request) == child
    refusal: object = b.repository.get(child)
    assert isinstance(refusal, InboundRefusal)
    assert refusal.error_code == "NOT_COMPETENT_IN_PROVINCE"
    report = cp.refusal_report("H35", refusal)
    assert cp.record_report(a, report) is not None
    assert a.get_dossier(source).state.across_state is None
    before = a.get_dossier(source).version
    cp.record_report(a, report)
    assert a.get_dossier(source).version == before


@pytest.mark.parametrize("target", ["000.00.12.H36", "000.00.00.H99"])
def test_unknown_province_writes_nothing(a: OneStop, target: str) -> None:
    source = receive(a, when=at(0, 8)).dossier_id
    digitize_and_sign(a, source, at(0, 8))
    before = a.get_dossier(source).version
    with pytest.raises(UnknownProvinceError) as raised:
        a.forward_dossier(source, trace=trace(desk(), at(0, 9)), to=Holder(target))
    assert raised.value.code == "UNKNOWN_PROVINCE"
    assert a.get_dossier(source).version == before


def test_without_peers_another_province_is_refused_as_before(b: OneStop) -> None:
    lone = _app(frozenset(), seed_catalogue)
    try:
        source = receive(lone, when=at(0, 8)).dossier_id
        digitize_and_sign(lone, source, at(0, 8))
        with pytest.raises(CrossProvinceForwardError):
            lone.forward_dossier(
                source, trace=trace(desk(), at(0, 9)), to=Holder(PEER_JUSTICE)
            )
    finally:
        lone.close()
