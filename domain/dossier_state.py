"""A dossier's lifecycle folded from its events: the one place for its rules.

``evolve(state, event)`` is a pure function. The aggregate folds its events
with it (``Dossier.state``) and so does every read model that shows a status
(worklist, citizen view, public lookup), so status, pauses and the clock,
due time, timeliness and the units involved are decided here only.

A new lifecycle rule is one function registered with ``@rule(EventClass)``
returning the fields it changes; version and last change move by themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from domain.cross_province import (
    AcceptedByProvince,
    CrossBoundaryState,
    ForwardedToProvince,
    OpenedFromProvince,
    RefusedByProvince,
    ResultReturnedByProvince,
    StatusReportedByProvince,
)
from domain.deadline import Timeliness
from domain.dossier_events import (
    DossierEvent,
    FinancialObligationPaid,
    FinancialObligationRequested,
    Forwarded,
    Lodged,
    Rated,
    Reappointed,
    Received,
    ReceivedAtDesk,
    Refused,
    Resolved,
    Returned,
    Stopped,
    SupplementReceived,
    SupplementRequested,
    TransferredToSuccessor,
    Withdrawn,
)
from domain.dossier_status import Completion, DossierStatus
from domain.dossier_values import Channel, Holder, ReturnMethod, Satisfaction
from domain.values import Actor
from domain.visibility import may_see, officer_sees


@dataclass(frozen=True)
class DossierState:
    """Where a dossier stands; no applicant data (the public read model keeps it too)."""

    version: int
    updated_at: datetime
    """When the last event was recorded."""
    competent_agency: str
    channel: Channel
    status: DossierStatus
    holder: Holder
    involved_agencies: tuple[str, ...]
    """Every unit the dossier has been with since reception, in order."""
    submitted_at: datetime
    code: str | None = None
    receiving_agency: str | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None
    paused_from: DossierStatus | None = None
    """The status a supplement or payment request paused (it resumes to it)."""
    paused_at: datetime | None = None
    paused_seconds: int = 0
    supplement_requests: int = 0
    reappointed: bool = False
    finished_at: datetime | None = None
    timeliness: Timeliness | None = None
    late_without_apology: bool = False
    returned_at: datetime | None = None
    return_method: ReturnMethod | None = None
    satisfaction: Satisfaction | None = None
    across_state: CrossBoundaryState | None = None
    """R-17 state while (or after) another province handles it (``domain.cross_province``)."""
    across_province: str | None = None
    across_child: str | None = None
    """The child dossier's id in that province."""
    across_code: str | None = None
    """The child's code in that province, once its desk received it."""
    across_version: int = 0
    """The child's last reported version (older reports change nothing)."""
    across_from: Holder | None = None
    """Who forwarded it across: holds it again on a refusal or the result."""
    source_province: str | None = None
    """A child dossier: the province of its source dossier..."""
    source_code: str | None = None
    """...and the source's code there (the one the citizen knows)."""

    @property
    def held_elsewhere(self) -> bool:
        """Another province holds it: commands here wait for its reports."""
        return self.across_state is not None and self.across_state.held_elsewhere

    @property
    def is_child(self) -> bool:
        """Opened for another province's dossier (never counted or synced alone)."""
        return self.source_province is not None

    @property
    def national_code(self) -> int:
        return self.status.national_code

    @property
    def completion(self) -> Completion | None:
        """What the public lookup shows; None while there is no code to look up."""
        return Completion.of(self.status) if self.code is not None else None

    @property
    def units(self) -> tuple[str, ...]:
        """The holding unit and every unit involved so far."""
        return (self.holder.agency_code, *self.involved_agencies)

    def seen_by_unit(self, agency_code: str) -> bool:
        """Officers of ``agency_code``'s subtree see it (``domain.visibility``)."""
        return officer_sees(
            agency_code,
            competent_agency=self.competent_agency,
            receiving_agency=self.receiving_agency,
            units=self.units,
        )

    def seen_by(self, actor: Actor, applicant_id: str) -> bool:
        """May ``actor`` see this dossier of ``applicant_id`` (``domain.visibility``)?"""
        return may_see(
            actor,
            applicant_id=applicant_id,
            competent_agency=self.competent_agency,
            receiving_agency=self.receiving_agency,
            units=self.units,
        )


Changes = dict[str, Any]
E = TypeVar("E", bound=DossierEvent)
_RULES: dict[type[DossierEvent], Callable[[DossierState, Any], Changes]] = {}


def rule(
    event_class: type[E],
) -> Callable[
    [Callable[[DossierState, E], Changes]], Callable[[DossierState, E], Changes]
]:
    """Register how ``event_class`` (and its subclasses) changes the state."""

    def register(
        function: Callable[[DossierState, E], Changes],
    ) -> Callable[[DossierState, E], Changes]:
        _RULES[event_class] = function
        _FOUND.clear()
        return function

    return register


_FOUND: dict[type[DossierEvent], Callable[[DossierState, Any], Changes] | None] = {}


def _rule_for(
    event_class: type[DossierEvent],
) -> Callable[[DossierState, Any], Changes] | None:
    try:
        return _FOUND[event_class]
    except KeyError:
        found = next((_RULES[c] for c in event_class.__mro__ if c in _RULES), None)
        _FOUND[event_class] = found
        return found


def begin(event: Lodged) -> DossierState:
    competent = event.procedure.competent_agency
    state = DossierState(
        version=event.originator_version,
        updated_at=event.timestamp,
        competent_agency=competent,
        channel=event.channel,
        status=DossierStatus.SUBMITTED,
        holder=Holder(competent),
        involved_agencies=(competent,),
        submitted_at=event.trace.at,
    )
    if isinstance(event, ReceivedAtDesk):
        return replace(state, **_accepted(state, event))
    if isinstance(event, OpenedFromProvince):
        return replace(
            state,
            holder=event.to_holder,
            source_province=event.source_province,
            source_code=event.source_code,
        )
    return state


def evolve(state: DossierState | None, event: DossierEvent) -> DossierState:
    """The state after ``event``; ``None`` before the first one."""
    if state is None:
        if not isinstance(event, Lodged):
            raise TypeError(
                f"a dossier begins with its lodging, not {type(event).__name__}"
            )
        return begin(event)
    found = _rule_for(type(event))
    # A copy of the frozen value with the changes, without ``replace``'s
    # per-field checks: the fold runs once per event in every read model.
    after = object.__new__(DossierState)
    fields = vars(after)
    fields.update(vars(state))
    fields["version"] = event.originator_version
    fields["updated_at"] = event.timestamp
    if found is not None:
        fields.update(found(state, event))
    return after


def fold(events: Any) -> DossierState | None:
    """The state after all ``events`` (an iterable of one dossier's events)."""
    state: DossierState | None = None
    for event in events:
        state = evolve(state, event)
    return state


# -- the rules ------------------------------------------------------------


def _accepted(state: DossierState, event: ReceivedAtDesk | Received) -> Changes:
    return {
        "code": event.code,
        "receiving_agency": event.receiving_agency,
        "received_at": event.trace.at,
        "due_at": event.due_at,
        "status": DossierStatus.RECEIVED,
        "holder": Holder(event.receiving_agency),
        "involved_agencies": (state.competent_agency,),
    }


@rule(Received)
def _received(state: DossierState, event: Received) -> Changes:
    return _accepted(state, event)


def _finished(status: DossierStatus, event: DossierEvent) -> Changes:
    return {"status": status, "finished_at": event.trace.at}


@rule(Refused)
def _refused(_state: DossierState, event: Refused) -> Changes:
    return _finished(DossierStatus.REFUSED, event)


@rule(Stopped)
def _stopped(_state: DossierState, event: Stopped) -> Changes:
    return _finished(DossierStatus.STOPPED, event)


@rule(Withdrawn)
def _withdrawn(_state: DossierState, event: Withdrawn) -> Changes:
    return _finished(DossierStatus.WITHDRAWN, event)


@rule(Resolved)
def _resolved(_state: DossierState, event: Resolved) -> Changes:
    return {
        **_finished(DossierStatus.RESOLVED, event),
        "timeliness": event.timeliness,
        "late_without_apology": event.late_without_apology,
    }


@rule(Forwarded)
def _forwarded(state: DossierState, event: Forwarded) -> Changes:
    return _handed_to(state, event.to_holder)


def _handed_to(state: DossierState, to: Holder) -> Changes:
    unit = to.agency_code
    involved = state.involved_agencies
    return {
        "holder": to,
        "involved_agencies": involved if unit in involved else (*involved, unit),
        "status": DossierStatus.IN_PROGRESS,
    }


def _paused(state: DossierState, status: DossierStatus, at: datetime) -> Changes:
    """The clock stops; the status it stopped in is where it resumes."""
    return {"paused_from": state.status, "status": status, "paused_at": at}


def _resumed(
    state: DossierState, paused_seconds: int, due_at: datetime | None
) -> Changes:
    return {
        "status": state.paused_from or DossierStatus.IN_PROGRESS,
        "paused_from": None,
        "paused_at": None,
        "paused_seconds": state.paused_seconds + paused_seconds,
        "due_at": due_at,
    }


@rule(SupplementRequested)
def _supplement_requested(state: DossierState, event: SupplementRequested) -> Changes:
    return {
        **_paused(state, DossierStatus.AWAITING_SUPPLEMENT, event.trace.at),
        "supplement_requests": state.supplement_requests + 1,
    }


@rule(SupplementReceived)
def _supplement_received(state: DossierState, event: SupplementReceived) -> Changes:
    return _resumed(state, event.paused_seconds, event.due_at)


@rule(FinancialObligationRequested)
def _payment_requested(
    state: DossierState, event: FinancialObligationRequested
) -> Changes:
    return _paused(state, DossierStatus.AWAITING_PAYMENT, event.trace.at)


@rule(FinancialObligationPaid)
def _payment_made(state: DossierState, event: FinancialObligationPaid) -> Changes:
    return _resumed(state, event.paused_seconds, event.due_at)


@rule(Reappointed)
def _reappointed(_state: DossierState, event: Reappointed) -> Changes:
    return {"due_at": event.due_at, "reappointed": True}


@rule(Returned)
def _returned(_state: DossierState, event: Returned) -> Changes:
    return {
        "status": DossierStatus.RETURNED,
        "returned_at": event.trace.at,
        "return_method": event.method,
    }


@rule(Rated)
def _rated(_state: DossierState, event: Rated) -> Changes:
    return {"satisfaction": event.satisfaction}


@rule(TransferredToSuccessor)
def _transferred(state: DossierState, event: TransferredToSuccessor) -> Changes:
    """Competence and the holder move to successors; code, clock and due stay."""
    involved = state.involved_agencies
    for unit in (event.to_agency, event.to_holder.agency_code):
        if unit not in involved:
            involved = (*involved, unit)
    return {
        "competent_agency": event.to_agency,
        "holder": event.to_holder,
        "involved_agencies": involved,
    }


# -- cross-province forwarding (R-17, ``domain.cross_province``) -------------


@rule(ForwardedToProvince)
def _forwarded_to_province(state: DossierState, event: ForwardedToProvince) -> Changes:
    return {
        **_handed_to(state, event.to_holder),
        "across_state": CrossBoundaryState.AWAITING_RECEIVING_UNIT,
        "across_province": event.province,
        "across_child": str(event.child_id),
        "across_code": None,
        "across_version": 0,
        "across_from": event.from_holder,
    }


@rule(AcceptedByProvince)
def _accepted_by_province(_state: DossierState, event: AcceptedByProvince) -> Changes:
    return {
        "across_state": CrossBoundaryState.RECEIVED,
        "across_code": event.child_code,
        "across_version": event.child_version,
    }


@rule(StatusReportedByProvince)
def _status_reported(_state: DossierState, event: StatusReportedByProvince) -> Changes:
    """The citizen's one dossier shows the status the other province reports."""
    changes: Changes = {
        "across_state": CrossBoundaryState.PROCESSING,
        "across_version": event.child_version,
        "status": event.status,
    }
    if event.child_code is not None:
        changes["across_code"] = event.child_code
    if event.status.is_terminal:
        changes["finished_at"] = event.trace.at
    return changes


@rule(ResultReturnedByProvince)
def _result_returned(state: DossierState, event: ResultReturnedByProvince) -> Changes:
    """Resolved there; the result is back with the unit that forwarded it."""
    return {
        **_finished(DossierStatus.RESOLVED, event),
        "timeliness": event.timeliness,
        "late_without_apology": event.late_without_apology,
        "across_state": CrossBoundaryState.RETURNED,
        "across_version": event.child_version,
        "holder": state.across_from or state.holder,
    }


@rule(RefusedByProvince)
def _refused_by_province(state: DossierState, event: RefusedByProvince) -> Changes:
    """Not taken: back with the unit that forwarded it, in progress here."""
    return {
        "across_state": None,
        "across_child": None,
        "across_code": None,
        "across_version": event.child_version,
        "holder": state.across_from or state.holder,
        "status": DossierStatus.IN_PROGRESS,
    }
