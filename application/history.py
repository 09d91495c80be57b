"""A dossier exactly as the system knew it at a moment (as-of reconstruction).

Replays the dossier's own events recorded up to ``as_of`` through the domain's
``apply`` methods (no snapshot, no read model), so the state is the one the
system held then. "As known at" is *recorded* time (each event's timestamp);
the effective time an officer gave (``trace.at``) is shown beside it. The due
time is explained from the events alone: the procedure and calendar versions
the reception used, every pause and what it moved, the re-appointment, and
why the result counted early, on time or late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from application.errors import DossierNotFoundError
from application.lifecycle import DossierLifecycle
from domain import dossier_events as happened
from domain.dossier import Dossier

# Event fields that are a reason or note an officer gave.
_REASONS = ("reason", "note", "decision", "comment")


@dataclass(frozen=True)
class Step:
    version: int
    event: str
    recorded_at: datetime
    effective_at: datetime
    actor_id: str
    role: str
    agency_code: str | None
    department: str | None
    reason: str
    procedure_version: int
    calendar_version: int
    correlation_id: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    kind: str
    """``supplement`` or ``payment``."""
    started_at: datetime
    ended_at: datetime | None
    paused_seconds: int | None
    due_before: datetime | None
    due_after: datetime | None


@dataclass(frozen=True)
class Reappointment:
    at: datetime
    actor_id: str
    reason: str
    previous_due_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class DueDerivation:
    """Why the due time is what it is, from the events alone."""

    received_at: datetime | None
    procedure_code: str
    procedure_version: int
    time_limit: str
    calendar_version: int | None
    """Calendar version of the reception that computed the first due time."""
    initial_due_at: datetime | None
    pauses: list[Pause]
    reappointment: Reappointment | None
    due_at: datetime | None
    supplement_requests: int
    finished_at: datetime | None
    timeliness: str | None
    late_without_apology: bool
    explanation: list[str]


@dataclass(frozen=True)
class Document:
    component_code: str
    name: str
    status: str
    document_id: str | None
    sha256: str
    signed_by: str


@dataclass(frozen=True)
class DossierAsOf:
    dossier_id: UUID
    as_of: datetime | None
    known: bool
    """False when the dossier had no event recorded yet at ``as_of``."""
    version: int
    code: str | None
    status: str | None
    national_status_code: int | None
    applicant_id: str | None
    competent_agency: str | None
    holder_agency: str | None
    holder_department: str | None
    documents: list[Document]
    due: DueDerivation | None
    steps: list[Step]
    involved_agencies: list[str] = field(default_factory=list)
    """Every unit that ever held or acted on the dossier (all events, not only
    those known at ``as_of``): who may review it does not change with time."""


def known_events(events: list[Any], as_of: datetime | None) -> list[Any]:
    """The events recorded up to ``as_of``: the longest prefix in version order
    (a later version is never known before an earlier one)."""
    if as_of is None:
        return list(events)
    known = []
    for event in events:
        if event.timestamp > as_of:
            break
        known.append(event)
    return known


def replay(events: list[Any]) -> Dossier | None:
    dossier: Any = None
    for event in events:
        dossier = event.mutate(dossier)
    return dossier if isinstance(dossier, Dossier) else None


def dossier_as_of(
    events: list[Any], dossier_id: UUID, as_of: datetime | None
) -> DossierAsOf:
    if not events or not isinstance(events[0], happened.Lodged):
        raise DossierNotFoundError(str(dossier_id))
    known = known_events(events, as_of)
    involved = _involved(events)
    dossier = replay(known)
    if dossier is None:
        return DossierAsOf(
            dossier_id,
            as_of,
            False,
            0,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            [],
            None,
            [],
            involved,
        )
    return DossierAsOf(
        dossier_id=dossier_id,
        as_of=as_of,
        known=True,
        version=dossier.version,
        code=dossier.code,
        status=dossier.status.value,
        national_status_code=dossier.national_status_code,
        applicant_id=dossier.applicant.id,
        competent_agency=dossier.competent_agency,
        holder_agency=dossier.holder.agency_code,
        holder_department=dossier.holder.department,
        documents=[
            Document(
                c.code,
                c.name,
                c.status.value,
                str(c.document_id) if c.document_id else None,
                c.sha256,
                c.signed_by,
            )
            for c in dossier.components.values()
        ],
        due=derive_due(dossier, known),
        steps=[step_of(e) for e in known],
        involved_agencies=involved,
    )


def _involved(events: list[Any]) -> list[str]:
    units: list[str] = []
    for event in events:
        found = [event.trace.actor.agency_code]
        if isinstance(event, happened.Lodged):
            found.append(event.procedure.competent_agency)
        if isinstance(event, happened.Forwarded):
            found.append(event.to_holder.agency_code)
        for unit in found:
            if unit and unit not in units:
                units.append(unit)
    return units


def step_of(event: Any) -> Step:
    trace = event.trace
    actor = trace.actor
    reason = next(
        (str(getattr(event, n)) for n in _REASONS if getattr(event, n, "")), ""
    )
    details = {
        k: v
        for k, v in vars(event).items()
        if k
        not in {
            "originator_id",
            "originator_version",
            "timestamp",
            "originator_topic",
            "trace",
            "procedure_version",
            "calendar_version",
            *_REASONS,
        }
    }
    return Step(
        version=event.originator_version,
        event=type(event).__name__,
        recorded_at=event.timestamp,
        effective_at=trace.at,
        actor_id=actor.id,
        role=actor.role.value,
        agency_code=actor.agency_code,
        department=actor.department,
        reason=reason,
        procedure_version=event.procedure_version,
        calendar_version=event.calendar_version,
        correlation_id=str(trace.correlation_id),
        details=details,
    )


def derive_due(dossier: Dossier, events: list[Any]) -> DueDerivation:
    lines: list[str] = []
    limit = dossier.time_limit
    limit_text = (
        f"{limit.amount} {limit.unit.value}" if limit.amount else limit.unit.value
    )
    initial: datetime | None = None
    calendar_version: int | None = None
    pauses: list[Pause] = []
    open_pause: tuple[str, datetime, datetime | None] | None = None
    reappointment: Reappointment | None = None
    due: datetime | None = None
    for event in events:
        at = event.trace.at
        if isinstance(event, happened.ReceivedAtDesk | happened.Received):
            initial = due = event.due_at
            calendar_version = event.calendar_version
            lines.append(
                f"received {at.isoformat()} under procedure {dossier.procedure_code} "
                f"version {event.procedure_version} (time limit {limit_text}) with "
                f"working calendar version {event.calendar_version}: due "
                f"{_iso(event.due_at)}"
            )
        elif isinstance(event, happened.SupplementRequested):
            open_pause = ("supplement", at, due)
            lines.append(
                f"{at.isoformat()}: supplement requested by {event.trace.actor.id} "
                f"({event.reason}); the clock stops"
            )
        elif isinstance(event, happened.FinancialObligationRequested):
            open_pause = ("payment", at, due)
            lines.append(
                f"{at.isoformat()}: payment requested by {event.trace.actor.id}; "
                "the clock stops"
            )
        elif isinstance(
            event, happened.SupplementReceived | happened.FinancialObligationPaid
        ):
            kind, started, before = open_pause or ("?", at, due)
            due = event.due_at
            pauses.append(
                Pause(kind, started, at, event.paused_seconds, before, event.due_at)
            )
            open_pause = None
            lines.append(
                f"{at.isoformat()}: {kind} arrived after {event.paused_seconds} s of "
                f"working time (calendar version {event.calendar_version}): due "
                f"{_iso(before)} → {_iso(event.due_at)}"
            )
        elif isinstance(event, happened.Reappointed):
            due = event.due_at
            reappointment = Reappointment(
                at,
                event.trace.actor.id,
                event.reason,
                event.previous_due_at,
                event.due_at,
            )
            lines.append(
                f"{at.isoformat()}: apology and re-appointment by "
                f"{event.trace.actor.id} ({event.reason}): due "
                f"{_iso(event.previous_due_at)} → {_iso(event.due_at)}"
            )
        elif isinstance(event, happened.Resolved):
            why = []
            if dossier.supplement_requests > 1:
                why.append(
                    f"{dossier.supplement_requests} supplement requests (more than one "
                    "counts as late, DVCQG 766 rule 2.1)"
                )
            if due is not None:
                why.append(f"resolved {at.isoformat()} against due {_iso(due)}")
            apology = (
                "; late without apology or re-appointment (R-12)"
                if event.late_without_apology
                else ""
            )
            lines.append(
                f"resolved: {event.timeliness.value} — {'; '.join(why)}{apology}"
            )
    if open_pause is not None:
        lines.append(f"paused for {open_pause[0]} since {open_pause[1].isoformat()}")
        pauses.append(
            Pause(open_pause[0], open_pause[1], None, None, open_pause[2], None)
        )
    return DueDerivation(
        received_at=dossier.received_at,
        procedure_code=dossier.procedure_code,
        procedure_version=dossier.procedure_version,
        time_limit=limit_text,
        calendar_version=calendar_version,
        initial_due_at=initial,
        pauses=pauses,
        reappointment=reappointment,
        due_at=dossier.due_at,
        supplement_requests=dossier.supplement_requests,
        finished_at=dossier.finished_at,
        timeliness=dossier.timeliness.value if dossier.timeliness else None,
        late_without_apology=dossier.late_without_apology,
        explanation=lines,
    )


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "none"


def dossier_history(
    app: DossierLifecycle, reference: str | UUID, as_of: datetime | None = None
) -> DossierAsOf:
    """By dossier code or id; ``DossierNotFoundError`` for anything else."""
    dossier_id = (
        reference if isinstance(reference, UUID) else app.dossier_id_for(reference)
    )
    return dossier_as_of(list(app.events.get(dossier_id)), dossier_id, as_of)
