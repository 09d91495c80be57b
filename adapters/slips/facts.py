"""What a slip says, folded from the dossier's own events.

A slip is re-rendered from the events, never from a read model that may be
rebuilt differently: the same events give the same slip, at any later time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from domain import dossier_events as ev
from domain.deadline import Timeliness
from domain.dossier_values import Applicant, Channel, ComponentState, ComponentStatus

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Act:
    """Something an officer did on the dossier: when, who, in which unit, why."""

    at: datetime
    officer: str
    agency_code: str | None
    reason: str = ""


@dataclass(frozen=True)
class Handover:
    """One line of the control sheet (Phiếu kiểm soát quá trình giải quyết)."""

    step: int
    from_unit: tuple[str, str | None] | None
    """Agency code and department that gave; None = the applicant."""
    from_officer: str | None
    to_unit: tuple[str, str | None]
    handed_over_at: datetime
    planned_due_at: datetime | None
    completed_at: datetime | None = None

    @property
    def timeliness(self) -> Timeliness | None:
        """Early/on time/late by Vietnam calendar date (Thanh Hóa practice)."""
        if self.completed_at is None or self.planned_due_at is None:
            return None
        done = self.completed_at.astimezone(VIETNAM).date()
        due = self.planned_due_at.astimezone(VIETNAM).date()
        if done < due:
            return Timeliness.EARLY
        return Timeliness.ON_TIME if done == due else Timeliness.LATE


@dataclass(frozen=True)
class SupplementNotice:
    act: Act
    items: tuple[str, ...]


@dataclass(frozen=True)
class Reappointment:
    act: Act
    previous_due_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class DossierFacts:
    dossier_id: UUID
    code: str | None
    applicant: Applicant
    procedure_code: str
    procedure_name: str
    competent_agency: str
    channel: Channel
    summary: str
    components: tuple[ComponentState, ...]
    submitted_at: datetime
    reception: Act | None = None
    receiving_agency: str | None = None
    first_due_at: datetime | None = None
    due_at: datetime | None = None
    refusal: Act | None = None
    supplements: tuple[SupplementNotice, ...] = ()
    reappointment: Reappointment | None = None
    stop: Act | None = None
    withdrawal: Act | None = None
    handovers: tuple[Handover, ...] = ()
    resolved_at: datetime | None = None
    timeliness: Timeliness | None = None

    @property
    def dated(self) -> datetime:
        """The date whose rules a slip follows: reception, else submission."""
        return self.reception.at if self.reception is not None else self.submitted_at


def _act(event: ev.DossierEvent, reason: str = "") -> Act:
    actor = event.trace.actor
    return Act(event.trace.at, actor.id, actor.agency_code, reason)


def fold(events: Iterable[object]) -> DossierFacts:
    """The facts of one dossier from its events, in order.

    Raises ``ValueError`` when the first event does not begin a dossier.
    """
    facts: DossierFacts | None = None
    components: dict[str, ComponentState] = {}
    handovers: list[Handover] = []
    for event in events:
        if isinstance(event, ev.Lodged):
            components = dict(event.components)
            facts = DossierFacts(
                dossier_id=event.originator_id,
                code=None,
                applicant=event.applicant,
                procedure_code=event.procedure.code,
                procedure_name=event.procedure.name,
                competent_agency=event.procedure.competent_agency,
                channel=event.channel,
                summary=event.summary,
                components=(),
                submitted_at=event.trace.at,
            )
        if facts is None:
            raise ValueError("the events do not begin a dossier")
        if isinstance(event, ev.ReceivedAtDesk | ev.Received):
            facts = replace(
                facts,
                code=event.code,
                reception=_act(event),
                receiving_agency=event.receiving_agency,
                first_due_at=event.due_at,
                due_at=event.due_at,
            )
            handovers.append(
                Handover(
                    1,
                    None,
                    None,
                    (event.receiving_agency, None),
                    event.trace.at,
                    event.due_at,
                )
            )
        elif isinstance(event, ev.Refused):
            facts = replace(facts, refusal=_act(event, event.reason))
        elif isinstance(event, ev.ComponentDigitized | ev.ComponentReused):
            code = event.component_code
            if code in components:
                components[code] = replace(
                    components[code],
                    status=_status_after(event),
                    document_id=event.document.document_id
                    if isinstance(event, ev.ComponentDigitized)
                    else event.document_id,
                )
        elif isinstance(event, ev.ComponentSigned):
            code = event.component_code
            if code in components:
                components[code] = replace(
                    components[code], signed_by=event.trace.actor.id
                )
        elif isinstance(event, ev.Forwarded):
            _close(handovers, event.trace.at)
            to = event.to_holder
            source = event.from_holder
            handovers.append(
                Handover(
                    len(handovers) + 1,
                    (source.agency_code, source.department),
                    event.trace.actor.id,
                    (to.agency_code, to.department),
                    event.trace.at,
                    event.planned_due_at,
                )
            )
        elif isinstance(event, ev.SupplementRequested):
            notice = SupplementNotice(_act(event, event.reason), tuple(event.items))
            facts = replace(facts, supplements=(*facts.supplements, notice))
        elif isinstance(event, ev.SupplementReceived | ev.FinancialObligationPaid):
            facts = replace(facts, due_at=event.due_at)
        elif isinstance(event, ev.Reappointed):
            facts = replace(
                facts,
                due_at=event.due_at,
                reappointment=Reappointment(
                    _act(event, event.reason), event.previous_due_at, event.due_at
                ),
            )
        elif isinstance(event, ev.Stopped):
            _close(handovers, event.trace.at)
            facts = replace(facts, stop=_act(event, event.reason))
        elif isinstance(event, ev.Withdrawn):
            _close(handovers, event.trace.at)
            facts = replace(facts, withdrawal=_act(event, event.reason))
        elif isinstance(event, ev.Resolved):
            _close(handovers, event.trace.at)
            facts = replace(
                facts, resolved_at=event.trace.at, timeliness=event.timeliness
            )
    if facts is None:
        raise ValueError("no events")
    return replace(
        facts, components=tuple(components.values()), handovers=tuple(handovers)
    )


def _status_after(
    event: ev.ComponentDigitized | ev.ComponentReused,
) -> ComponentStatus:
    if isinstance(event, ev.ComponentDigitized):
        return ComponentStatus.DIGITIZED
    return ComponentStatus.REUSED


def _close(handovers: list[Handover], at: datetime) -> None:
    if handovers and handovers[-1].completed_at is None:
        handovers[-1] = replace(handovers[-1], completed_at=at)
