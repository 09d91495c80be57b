"""Cross-province forwarding on one instance (R-17, ``domain.cross_province``).

What leaves: ``forward_request`` (province A: the source dossier as province B
needs it) and ``report`` (province B: where the child stands after one of its
events). What arrives: ``open_child`` (B) and ``record_report`` (A). Both
arrivals are idempotent: the child's id is derived from the source event, and
a report not newer than the last recorded one changes nothing, so a
redelivered message writes nothing twice.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError

from application.clock import trace_for
from application.errors import DossierNotFoundError
from application.lifecycle import CommandOutcome
from application.onestop import OneStop
from domain import cross_province as across
from domain import dossier_events as events
from domain.dossier import Dossier
from domain.dossier_status import DossierStatus
from domain.errors import LabelledError
from domain.values import Actor, Role

log = structlog.get_logger("cross_province")

INTEGRATION = Actor("motcua-cross-province", Role.SYSTEM)
"""Who records what another province reported (and opens its children)."""


def _event(app: OneStop, dossier_id: UUID, version: int) -> Any:
    found = list(app.events.get(dossier_id, gt=version - 1, lte=version))
    return found[0] if found else None


# -- what leaves ------------------------------------------------------------


def forward_request(
    app: OneStop, province: str, dossier_id: UUID, version: int
) -> across.ForwardRequest | None:
    """The request for the ``ForwardedToProvince`` event at ``version``."""
    event = _event(app, dossier_id, version)
    if not isinstance(event, across.ForwardedToProvince):
        return None
    dossier = app.get_dossier(dossier_id, version=version)
    return across.ForwardRequest(
        source_province=province,
        source_id=dossier_id,
        source_version=version,
        source_code=dossier.code or "",
        applicant=dossier.applicant,
        procedure_code=dossier.procedure_code,
        channel=dossier.channel,
        summary=dossier.summary,
        to_holder=event.to_holder,
        note=event.note,
    )


def report(
    app: OneStop, province: str, source_id: UUID, child_id: UUID, version: int
) -> across.ProvinceReport:
    """Where the child stands after its ``version``-th event."""
    child = app.get_dossier(child_id, version=version)
    event = _event(app, child_id, version)
    state = child.state
    return across.ProvinceReport(
        province=province,
        source_id=source_id,
        child_id=child_id,
        child_version=version,
        status=state.status,
        code=state.code,
        due_at=state.due_at,
        results=tuple(child.results),
        decision=event.decision if isinstance(event, events.Resolved) else "",
        timeliness=state.timeliness,
        late_without_apology=state.late_without_apology,
        reason=event.reason if isinstance(event, events.Refused) else "",
    )


def refusal_report(
    province: str, refusal: across.InboundRefusal
) -> across.ProvinceReport:
    """A request this province could not open: reported like a refused child."""
    return across.ProvinceReport(
        province=province,
        source_id=refusal.source_id,
        child_id=refusal.id,
        child_version=1,
        status=DossierStatus.REFUSED,
        reason=refusal.reason,
    )


# -- what arrives -----------------------------------------------------------


def open_child(app: OneStop, request: across.ForwardRequest) -> UUID:
    """Open the child dossier, or record why not; once per request."""
    child_id = request.child_id
    if app.id_taken(child_id):
        return child_id  # a redelivery: opened (or refused) before
    trace = trace_for(INTEGRATION)
    try:
        procedure = app.published_procedure(request.procedure_code)
        definition = procedure.definition
        aggregate: Any = Dossier.open_from_province(
            trace=trace,
            request=request,
            procedure_id=procedure.id,
            procedure=definition,
            procedure_version=procedure.version,
            calendar=app.working_calendar(definition.competent_agency.level1),
            registry=app,
        )
    except LabelledError as error:
        log.info(
            "cross_province_refused",
            source=request.source_event_id,
            province=request.source_province,
            error=error.code,
        )
        aggregate = across.InboundRefusal.record(
            trace=trace, request=request, error=error
        )
    try:
        app.save(aggregate)
    except IntegrityError:
        if not app.id_taken(child_id):
            raise
    return child_id


def record_report(app: OneStop, report: across.ProvinceReport) -> CommandOutcome | None:
    """Record the report on the source dossier (nothing when it is not newer)."""
    trace = trace_for(INTEGRATION)
    try:
        return app.execute(
            report.source_id,
            lambda d, c: d.record_province_report(
                trace=trace, calendar=c, report=report
            ),
        )
    except DossierNotFoundError:
        log.warning(
            "cross_province_report_for_unknown_dossier", source=str(report.source_id)
        )
        return None
