"""The cross-province rules of the fold, whatever the reports and their order."""

from __future__ import annotations

import copy
from functools import cache
from uuid import UUID, uuid4

from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.settings import persistence_env
from application.onestop import OneStop
from application.options import OneStopOptions
from domain import cross_province as across
from domain.cross_province import CrossBoundaryState, ProvinceReport
from domain.dossier import Dossier
from domain.dossier_state import fold
from domain.dossier_status import DossierStatus
from domain.dossier_values import Holder
from domain.values import Actor, Role
from tests.factories import at, desk, digitize_and_sign, receive, seed_catalogue, trace
from tests.peer_province import PEER_JUSTICE
from tests.pki import ensure_pki

SYSTEM = Actor("motcua-cross-province", Role.SYSTEM)


@cache
def _forwarded() -> tuple[OneStop, Dossier]:
    app = ensure_pki(
        OneStop(
            env=persistence_env("memory://"),
            options=OneStopOptions(peer_provinces=frozenset({"H35"})),
        )
    )
    seed_catalogue(app)
    source = receive(app, when=at(0, 8)).dossier_id
    digitize_and_sign(app, source, at(0, 8))
    app.forward_dossier(source, trace=trace(desk(), at(0, 9)), to=Holder(PEER_JUSTICE))
    return app, app.get_dossier(source)


REPORTS = st.builds(
    lambda version, status, coded: (version, status, coded),
    st.integers(1, 12),
    st.sampled_from(list(DossierStatus)),
    st.booleans(),
)


def _apply(dossier: Dossier, app: OneStop, reports: list[ProvinceReport]) -> int:
    calendar = app._calendar_of(dossier)
    before = dossier.version
    for report in reports:
        dossier.record_province_report(
            trace=trace(SYSTEM, at(1, 8)), calendar=calendar, report=report
        )
    return dossier.version - before


def _report(
    dossier: Dossier, version: int, status: DossierStatus, coded: bool
) -> ProvinceReport:
    child = dossier.state.across_child
    assert child is not None
    return ProvinceReport(
        province="H35",
        source_id=dossier.id,
        child_id=UUID(child),
        child_version=version,
        status=status,
        code="000.00.00.H35-260303-0001" if coded else None,
        timeliness=None,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(REPORTS, max_size=12))
# A newer report of the status shown, then an older one: the older is stale.
@example(
    [
        (1, DossierStatus.IN_PROGRESS, False),
        (3, DossierStatus.IN_PROGRESS, False),
        (2, DossierStatus.AWAITING_SUPPLEMENT, False),
    ]
)
def test_reports_record_in_version_order_once_and_fold_like_the_aggregate(
    raw: list[tuple[int, DossierStatus, bool]],
) -> None:
    app, forwarded = _forwarded()
    dossier = copy.deepcopy(forwarded)
    reports = [_report(dossier, *r) for r in raw]
    _apply(dossier, app, reports)
    recorded = [e for e in dossier.collect_events() if hasattr(e, "child_version")]
    versions = [e.child_version for e in recorded]
    assert versions == sorted(set(versions))  # strictly increasing: never twice
    state = dossier.state
    if recorded:
        assert state.across_version == versions[-1]
    # Every report again changes nothing (redelivery).
    assert _apply(dossier, app, reports) == 0
    # Held elsewhere until B returns a result or refuses; then reports stop.
    last = recorded[-1] if recorded else None
    if isinstance(last, across.ResultReturnedByProvince):
        assert state.across_state is CrossBoundaryState.RETURNED
        assert state.status is DossierStatus.RESOLVED
        assert state.holder == Holder(desk().agency_code or "")
        assert not state.held_elsewhere
    elif isinstance(last, across.RefusedByProvince):
        assert state.across_state is None
        assert state.status is DossierStatus.IN_PROGRESS
        assert not state.held_elsewhere
    elif isinstance(last, across.StatusReportedByProvince):
        assert state.status is last.status
        assert state.across_state is CrossBoundaryState.PROCESSING
    elif isinstance(last, across.AcceptedByProvince):
        assert state.across_state is CrossBoundaryState.RECEIVED
        assert state.across_code == last.child_code
    else:
        assert state.across_state is CrossBoundaryState.AWAITING_RECEIVING_UNIT
    # The read models' fold of the stored and new events gives the same state.
    stored = list(app.events.get(dossier.id))
    assert fold([*stored, *recorded]) == state


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 12), st.sampled_from(list(DossierStatus)))
def test_a_report_about_another_child_or_by_an_officer_records_nothing(
    version: int, status: DossierStatus
) -> None:
    app, forwarded = _forwarded()
    dossier = copy.deepcopy(forwarded)
    report = _report(dossier, version, status, True)
    stranger = ProvinceReport(**{**vars(report), "child_id": uuid4()})
    other_province = ProvinceReport(**{**vars(report), "province": "H36"})
    assert _apply(dossier, app, [stranger, other_province]) == 0
    calendar = app._calendar_of(dossier)
    dossier.record_province_report(
        trace=trace(desk(), at(1, 8)), calendar=calendar, report=report
    )
    assert dossier.version == forwarded.version
