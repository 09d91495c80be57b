"""Preview and apply a reorganisation plan (``motcua reorganise plan|apply``).

``preview`` reads the recorded world (agencies, procedures, dossiers) and
reviews the plan against it (``domain.reorganisation.review``): every problem
at once, or the exact changes with counts. ``apply`` records those changes
in ONE atomic save — agency lifecycle events, new procedure versions,
``Dossier.TransferredToSuccessor`` for every in-flight dossier of an ending
unit, a working calendar for a new province, and the ``Reorganisation``
record whose id is derived from the plan's content. Applying the same plan
again records nothing.

Reading the world loads every agency, procedure and dossier once: minutes
at a million dossiers, which is acceptable for a once-a-decade operation run
from the command line (it never runs inside a request).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from application.errors import CalendarNotDefinedError, ConcurrentWriteError
from application.onestop import OneStop
from application.public_holidays import public_holidays
from domain.agency import Agency
from domain.calendar import Calendar
from domain.dossier_events import DossierEvent, ReceivedAtDesk, SubmittedOnline
from domain.dossier_rules import LEGAL_FROM, Command
from domain.procedure import Procedure
from domain.reorganisation import (
    DossierFacts,
    Plan,
    ProcedureFacts,
    Reorganisation,
    Review,
    UnitFacts,
    World,
    review,
)
from domain.values import Actor, AgencyCode, Role, Trace
from domain.working_time import VIETNAM_TZ

REORGANISER = Actor("motcua-reorganise", Role.SYSTEM)
_IN_FLIGHT = LEGAL_FROM[Command.TRANSFER_TO_SUCCESSOR]
_PAGE = 500
_VIETNAM = ZoneInfo(VIETNAM_TZ)


@dataclass(frozen=True)
class Applied:
    plan_id: UUID
    recorded: bool
    """False when this plan had been applied before: nothing was recorded."""
    counts: dict[str, int]
    log_position: int | None


def _ids(app: OneStop, topics: tuple[type, ...]) -> Iterator[UUID]:
    names = [get_topic(t) for t in topics]
    start = 1
    while True:
        page = app.recorder.select_notifications(start, _PAGE, topics=names)
        if not page:
            return
        for notification in page:
            yield UUID(str(notification.originator_id))
        start = page[-1].id + 1


def read_world(app: OneStop) -> World:
    """Agencies, procedures and dossiers as recorded now (write side, not a
    read model that might lag)."""
    units = {}
    for agency_id in _ids(app, (Agency.Registered,)):
        agency: Agency = app.repository.get(agency_id)
        units[agency.code.value] = UnitFacts(
            agency.code.value,
            agency.level,
            agency.is_ended,
            agency.last_day,
            frozenset(agency.departments),
        )
    procedures = {}
    for procedure_id in _ids(app, (Procedure.Published,)):
        procedure: Procedure = app.repository.get(procedure_id)
        d = procedure.definition
        procedures[d.code] = ProcedureFacts(d.code, d.competent_agency.value)
    dossiers = []
    for dossier_id in _ids(app, (SubmittedOnline, ReceivedAtDesk)):
        dossier = app.get_dossier(dossier_id)
        in_flight = dossier.status in _IN_FLIGHT
        last_day = None
        if in_flight:
            (last,) = app.events.get(dossier.id, desc=True, limit=1)
            assert isinstance(last, DossierEvent)
            last_day = last.trace.at.astimezone(_VIETNAM).date()
        dossiers.append(
            DossierFacts(
                dossier.id,
                dossier.code,
                dossier.procedure_code,
                dossier.competent_agency,
                dossier.holder,
                in_flight,
                last_day,
            )
        )
    return World(units, procedures, dossiers)


def preview(app: OneStop, plan: Plan) -> Review:
    """What ``apply`` would record; ``PlanRejectedError`` lists every problem."""
    return review(plan, read_world(app))


def already_applied(app: OneStop, plan: Plan) -> bool:
    try:
        app.repository.get(plan.plan_id)
    except AggregateNotFoundError:
        return False
    return True


def applied_counts(app: OneStop, plan: Plan) -> dict[str, int]:
    """The counts recorded when ``plan`` was applied."""
    record: Reorganisation = app.repository.get(plan.plan_id)
    return dict(record.counts)


def apply(app: OneStop, plan: Plan, *, at: datetime | None = None) -> Applied:
    """Record ``plan`` (all or nothing); a plan applied before records nothing."""
    if already_applied(app, plan):
        return Applied(plan.plan_id, False, applied_counts(app, plan), None)
    checked = preview(app, plan)
    moment = at or datetime.combine(plan.effective_on, time(0), tzinfo=_VIETNAM)
    trace = Trace(REORGANISER, moment, plan.plan_id)
    aggregates = _changes(app, checked, trace)
    try:
        recordings = app.save(*aggregates)
    except IntegrityError:
        if already_applied(app, plan):
            return Applied(plan.plan_id, False, applied_counts(app, plan), None)
        raise ConcurrentWriteError() from None
    return Applied(
        plan.plan_id,
        True,
        checked.counts,
        recordings[-1].notification.id if recordings else None,
    )


def _changes(app: OneStop, checked: Review, trace: Trace) -> list[Any]:
    plan = checked.plan
    day, act = plan.effective_on, plan.legal_act
    agencies: dict[str, Agency] = {}

    def agency(code: str) -> Agency:
        if code not in agencies:
            agencies[code] = app.get_agency(code)
        return agencies[code]

    predecessors: dict[str, list[str]] = {}
    for old, (_, successors, _) in checked.endings.items():
        for successor in successors:
            predecessors.setdefault(successor, []).append(old)
    for unit in plan.establish:
        created = Agency.register(
            trace=trace,
            code=AgencyCode(unit.code),
            name=unit.name,
            level=unit.level,
            effective_on=day,
            legal_act=act,
            parent_code=unit.parent,
            predecessors=tuple(predecessors.get(unit.code, ())),
        )
        for department_code, name in unit.departments:
            created.add_department(
                trace=trace, department_code=department_code, name=name
            )
        agencies[unit.code] = created
    for code, name in plan.renames.items():
        agency(code).rename(trace=trace, name=name, effective_on=day, legal_act=act)
    for code, parent in plan.reparents.items():
        agency(code).reparent(
            trace=trace, parent_code=parent, effective_on=day, legal_act=act
        )
    procedures = []
    for move in checked.procedure_moves:
        procedure = app.get_procedure(move.code)
        target = AgencyCode(move.to_unit)
        field = procedure.definition.field_code.partition("-")[2]
        procedure.revise(
            trace=trace,
            definition=replace(
                procedure.definition,
                competent_agency=target,
                field_code=f"{target.level1}-{field}",
            ),
        )
        procedures.append(procedure)
    for old, (kind, successors, per_procedure) in checked.endings.items():
        ending = agency(old)
        if kind == "CodeChanged":
            ending.change_code(
                trace=trace, new_code=successors[0], effective_on=day, legal_act=act
            )
        elif kind == "MergedInto":
            ending.merge_into(
                trace=trace, successor=successors[0], effective_on=day, legal_act=act
            )
        elif kind == "Split":
            ending.split(
                trace=trace,
                successors=successors,
                procedure_successors=dict(per_procedure),
                effective_on=day,
                legal_act=act,
            )
        else:
            reason = next(d.reason for d in plan.dissolutions if d.unit == old)
            ending.dissolve(trace=trace, effective_on=day, legal_act=act, reason=reason)
    calendars = _calendars(app, checked, trace)
    dossiers = []
    reason = f"{plan.title or 'Sắp xếp đơn vị hành chính'} — {act}"
    for transfer in checked.transfers:
        dossier = app.get_dossier(transfer.dossier_id)
        dossier.transfer_to_successor(
            trace=trace,
            calendar=app.working_calendar(AgencyCode(dossier.competent_agency).level1),
            to_agency=transfer.to_unit,
            to_holder=transfer.to_holder,
            legal_act=act,
            effective_on=day,
            reason=reason,
            plan_id=str(plan.plan_id),
        )
        dossiers.append(dossier)
    record = Reorganisation.record(trace=trace, review=checked)
    return [*agencies.values(), *procedures, *calendars, *dossiers, record]


def _calendars(app: OneStop, checked: Review, trace: Trace) -> list[Calendar]:
    """A province that gains units gets the working calendar of a province it
    takes units from (same sessions, the same years of national holidays)."""
    needed: dict[str, str] = {}
    for old, (_, successors, _) in checked.endings.items():
        for successor in successors:
            needed.setdefault(AgencyCode(successor).level1, AgencyCode(old).level1)
    for move in checked.procedure_moves:
        needed.setdefault(
            AgencyCode(move.to_unit).level1, AgencyCode(move.from_unit).level1
        )
    created = []
    for province, source in sorted(needed.items()):
        try:
            app.get_calendar(province)
            continue
        except CalendarNotDefinedError:
            pass
        original = app.get_calendar(source)
        calendar = Calendar.define(
            trace=trace,
            province=province,
            sessions=original.sessions,
            weekend=original.weekend,
        )
        for year in sorted({int(day[:4]) for day in original.days_off}):
            days_off, make_up = public_holidays(year)
            calendar.adopt_public_holidays(
                trace=trace, year=year, holidays=days_off, make_up_days=make_up
            )
        created.append(calendar)
    return created
