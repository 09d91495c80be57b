"""What happened to a dossier: the events, as data (a storage contract).

Event classes only gain fields, with defaults. Their stored topics stay
``domain.dossier:Dossier.<Name>``, where they were first declared: every class
derived from ``DossierEvent`` writes and reads that topic, wherever it lives,
so moving one never leaves old events behind (``register_topic`` below, and the
aliases on ``Dossier``). How an event changes a dossier is written once, in
``domain.dossier_state`` (the lifecycle) and ``Dossier._absorb`` (details the
commands check).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from domain.deadline import Timeliness
from domain.dossier_values import (
    Applicant,
    AppliedProcedure,
    Channel,
    ComponentState,
    DigitalAccount,
    DocumentMetadata,
    ForwardKind,
    Holder,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    ReuseSource,
    Satisfaction,
)
from domain.files import SignatureCheck, StoredFile
from domain.procedure import Fee
from domain.values import LegalAct, Trace

STORED_AS = "domain.dossier:Dossier"
"""Where dossier events were declared first: the prefix of their stored topics."""


class Absorbs(Protocol):
    """An aggregate that takes a dossier event in (``Dossier``)."""

    def _absorb(self, event: DossierEvent) -> None: ...


class DossierEvent(Aggregate.Event):
    """Base of every dossier event: who, when, under which versions."""

    TOPIC: ClassVar[str] = f"{STORED_AS}.Event"

    trace: Trace
    procedure_version: int
    calendar_version: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # An inherited TOPIC would store a subclass under its parent's name.
        if "TOPIC" not in cls.__dict__:
            cls.TOPIC = f"{STORED_AS}.{cls.__name__}"
        register_topic(cls.TOPIC, cls)
        super().__init_subclass__(**kwargs)

    def apply(self, aggregate: Absorbs) -> None:
        aggregate._absorb(self)


register_topic(DossierEvent.TOPIC, DossierEvent)


class Lodged(DossierEvent, Aggregate.Created):
    """Base of the two ways a dossier begins; never recorded itself."""

    applicant: Applicant
    procedure_id: UUID
    procedure: AppliedProcedure
    channel: Channel
    components: dict[str, ComponentState]
    summary: str


class SubmittedOnline(Lodged):
    documents: dict[str, DocumentMetadata] | None = None
    """The metadata of each uploaded component (None in events recorded
    before online files were kept)."""
    files: tuple[StoredFile, ...] = ()
    """The stored facts (hash, size, pages, type) of each uploaded file, as
    the store knows them; empty in events recorded before."""


class ReceivedAtDesk(Lodged):
    code: str
    receiving_agency: str
    due_at: datetime | None


class Received(DossierEvent):
    code: str
    receiving_agency: str
    due_at: datetime | None


class Refused(DossierEvent):
    reason: str


class DigitalAccountChecked(DossierEvent):
    account: DigitalAccount


class ComponentDigitized(DossierEvent):
    component_code: str
    document: DocumentMetadata
    file: StoredFile | None = None
    """The stored scan (hash, size, pages, type); None in events recorded
    before scans were kept as files."""


class ComponentReused(DossierEvent):
    component_code: str
    document_id: UUID
    source: ReuseSource
    sha256: str = ""
    """The reused document's file; empty in events recorded before the
    warehouse kept files."""


class ComponentSigned(DossierEvent):
    component_code: str
    signature_sha256: str
    """The SHA-256 of the signed PDF (before real signatures: any digest)."""
    file: StoredFile | None = None
    """The signed copy of the scan; None in events recorded before PAdES."""
    check: SignatureCheck | None = None
    """The signature's validation when it was made."""


class Forwarded(DossierEvent):
    from_holder: Holder
    to_holder: Holder
    kind: ForwardKind
    note: str
    planned_due_at: datetime | None = None
    """When this step should be finished (control sheet, R-10/R-11); events
    recorded before it existed read as None: no planned time was recorded."""


class SupplementRequested(DossierEvent):
    items: tuple[str, ...]
    reason: str


class SupplementReceived(DossierEvent):
    documents: dict[str, DocumentMetadata]
    paused_seconds: int
    due_at: datetime | None
    files: tuple[StoredFile, ...] = ()
    """The stored facts of each supplied file; empty in events recorded
    before supplements carried real files."""


class FinancialObligationRequested(DossierEvent):
    fees: tuple[Fee, ...]
    reason: str


class FinancialObligationPaid(DossierEvent):
    channel: PaymentChannel
    receipt: str
    paused_seconds: int
    due_at: datetime | None


class Reappointed(DossierEvent):
    """Apology letter (Mẫu 04) with the one allowed new appointment."""

    reason: str
    previous_due_at: datetime
    due_at: datetime


class Stopped(DossierEvent):
    reason: str


class Withdrawn(DossierEvent):
    reason: str


class Resolved(DossierEvent):
    results: tuple[IssuedResult, ...]
    decision: str
    timeliness: Timeliness
    late_without_apology: bool = False
    """Late against the due time and no apology/re-appointment was made (R-12)."""


class Returned(DossierEvent):
    method: ReturnMethod


class Rated(DossierEvent):
    satisfaction: Satisfaction
    comment: str


class TransferredToSuccessor(DossierEvent):
    """Handed to the successor of a unit that ceased to exist (a reorganisation
    plan): the code, due time, pauses and clock stay as they were."""

    from_agency: str
    to_agency: str
    from_holder: Holder
    to_holder: Holder
    legal_act: LegalAct
    effective_on: date
    reason: str
    plan_id: str = ""


DOSSIER_EVENTS: tuple[type[DossierEvent], ...] = (
    Lodged,
    SubmittedOnline,
    ReceivedAtDesk,
    Received,
    Refused,
    DigitalAccountChecked,
    ComponentDigitized,
    ComponentReused,
    ComponentSigned,
    Forwarded,
    SupplementRequested,
    SupplementReceived,
    FinancialObligationRequested,
    FinancialObligationPaid,
    Reappointed,
    Stopped,
    Withdrawn,
    Resolved,
    Returned,
    Rated,
    TransferredToSuccessor,
)
"""Every dossier event class declared here (a test checks none is missing)."""
