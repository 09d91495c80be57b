"""The dossier aggregate: commands check the rules and record events.

Events are in ``domain.dossier_events``; which command is legal when in
``domain.dossier_rules``; checks of command input in ``domain.dossier_checks``;
visibility in ``domain.visibility``; the state fold in ``domain.dossier_state``.
Commands on components (digitize, reuse, sign) are in
``domain.dossier_components``, cross-province forwarding in
``domain.dossier_across`` (mixins of this class).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import bounds
from domain import cross_province as across
from domain import dossier_events as events
from domain.agency import AgencyRegistry
from domain.deadline import Granularity, TimeLimit, Timeliness, classify
from domain.digitized_document import (
    DigitizedDocument,
    DocumentKind,
    Origin,
    local_date,
)
from domain.dossier_across import AcrossCommands
from domain.dossier_checks import (
    check_forward_target,
    check_receiving_unit,
    check_registered_desk,
    components_of,
    digitizable,
    optional_text,
    required_text,
    summary_text,
)
from domain.dossier_components import ComponentCommands
from domain.dossier_events import DossierEvent
from domain.dossier_rules import ALLOWED_ROLES, LEGAL_FROM, Command
from domain.dossier_state import DossierState, evolve
from domain.dossier_status import DossierStatus
from domain.dossier_values import (
    Applicant,
    AppliedProcedure,
    Channel,
    ComponentState,
    ComponentStatus,
    DigitalAccount,
    DocumentMetadata,
    ForwardKind,
    Holder,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    Satisfaction,
    VersionedCalendar,
    canonical_applicant_id,
)
from domain.errors import (
    ActorNotAllowedError,
    AlreadyHeldError,
    AlreadyRatedError,
    IllegalTransitionError,
    InvalidProcedureError,
    MissingDataError,
    PlannedDueError,
    ReappointmentError,
    ResultError,
    SupplementError,
    UnsignedComponentsError,
)
from domain.errors import Bilingual as B
from domain.files import StoredFile, UnknownFileError
from domain.procedure import DigitizationScope, Fee, OnlineLevel, ProcedureDefinition
from domain.values import Actor, AgencyCode, LegalAct, Role, Trace
from domain.visibility import DossierNotVisibleError
from domain.working_time import check_instant


def _uploaded(
    documents: Mapping[str, DocumentMetadata], files: Mapping[str, StoredFile]
) -> tuple[StoredFile, ...]:
    """The stored file behind each document, as the store knows it (size,
    pages, type are never the client's word); ``UnknownFileError`` for a
    hash that is not among the supplier's uploads."""
    found: dict[str, StoredFile] = {}
    for document in documents.values():
        file = files.get(document.sha256)
        if file is None or file.sha256 != document.sha256:
            raise UnknownFileError(document.sha256)
        found[file.sha256] = file
    return tuple(found.values())


class Dossier(ComponentCommands, AcrossCommands, Aggregate):
    """One applicant's dossier for one procedure, from submission to rating.

    Where it stands (status, units, clock, due time, timeliness) is ``state``,
    folded by ``domain.dossier_state.evolve`` like every read model folds it;
    the aggregate keeps besides only the details its commands check.
    """

    Event = DossierEvent
    """Its events are in ``domain.dossier_events`` (aliased below by name)."""

    class_version = 2
    """2: the lifecycle moved into ``state`` (older snapshots are upcast)."""

    personal_text_fields: ClassVar[frozenset[str]] = frozenset(
        {"reason", "note", "comment", "summary"}
    )
    """Free text of its events that can carry the applicant's personal data:
    stored sealed under the applicant's key (application/personal_data.py)."""

    @property
    def data_subject(self) -> str:
        """Whose personal data this dossier holds."""
        return self.applicant.id

    applicant: Applicant
    procedure_id: UUID
    procedure_code: str
    procedure_name: str
    procedure_version: int
    time_limit: TimeLimit
    result_codes: list[str]
    components: dict[str, ComponentState]
    summary: str
    _state: DossierState
    supplement_items: tuple[str, ...] = ()
    """Components the open supplement request asks for (empty when none is open,
    or in a snapshot taken before this was kept: then only scope is checked)."""
    pending_documents: tuple[tuple[str, DocumentMetadata], ...] = ()
    """Files the citizen uploaded before reception, by component: they enter
    the warehouse when an officer receives the dossier (R-22/R-23)."""
    pending_files: tuple[StoredFile, ...] = ()
    """The stored facts of those files."""

    def __init__(self) -> None:
        self.digital_account: DigitalAccount | None = None
        self.fees_requested: list[Fee] = []
        self.paid_via: PaymentChannel | None = None
        self.results: list[IssuedResult] = []

    # -- where it stands (the fold) ---------------------------------------

    @property
    def state(self) -> DossierState:
        state = self._state
        if state.version != self.version:  # restored from a version-1 snapshot
            state = self._state = replace(state, version=self.version)
        return state

    @property
    def code(self) -> str | None:
        return self._state.code

    @property
    def status(self) -> DossierStatus:
        return self._state.status

    @property
    def competent_agency(self) -> str:
        return self._state.competent_agency

    @property
    def receiving_agency(self) -> str | None:
        return self._state.receiving_agency

    @property
    def channel(self) -> Channel:
        return self._state.channel

    @property
    def holder(self) -> Holder:
        return self._state.holder

    @property
    def involved_agencies(self) -> tuple[str, ...]:
        return self._state.involved_agencies

    @property
    def submitted_at(self) -> datetime:
        return self._state.submitted_at

    @property
    def received_at(self) -> datetime | None:
        return self._state.received_at

    @property
    def due_at(self) -> datetime | None:
        return self._state.due_at

    @property
    def paused_at(self) -> datetime | None:
        return self._state.paused_at

    @property
    def paused_seconds(self) -> int:
        return self._state.paused_seconds

    @property
    def supplement_requests(self) -> int:
        return self._state.supplement_requests

    @property
    def reappointed(self) -> bool:
        return self._state.reappointed

    @property
    def finished_at(self) -> datetime | None:
        return self._state.finished_at

    @property
    def timeliness(self) -> Timeliness | None:
        return self._state.timeliness

    @property
    def late_without_apology(self) -> bool:
        return self._state.late_without_apology

    @property
    def returned_at(self) -> datetime | None:
        return self._state.returned_at

    @property
    def return_method(self) -> ReturnMethod | None:
        return self._state.return_method

    @property
    def satisfaction(self) -> Satisfaction | None:
        return self._state.satisfaction

    @staticmethod
    def upcast_v1_v2(stored: dict[str, Any]) -> None:
        """A snapshot of the flat version-1 layout: its lifecycle becomes ``state``."""
        lifecycle = {
            "competent_agency": stored.pop("competent_agency"),
            "channel": stored.pop("channel"),
            "status": stored.pop("status"),
            "holder": stored.pop("holder"),
            "involved_agencies": tuple(stored.pop("involved_agencies")),
            "submitted_at": stored.pop("submitted_at"),
            "code": stored.pop("code"),
            "receiving_agency": stored.pop("receiving_agency"),
            "received_at": stored.pop("received_at"),
            "due_at": stored.pop("due_at"),
            "paused_from": stored.pop("resume_status"),
            "paused_at": stored.pop("paused_at"),
            "paused_seconds": stored.pop("paused_seconds"),
            "supplement_requests": stored.pop("supplement_requests"),
            "reappointed": stored.pop("reappointed"),
            "finished_at": stored.pop("finished_at"),
            "timeliness": stored.pop("timeliness"),
            "late_without_apology": stored.pop("late_without_apology"),
            "returned_at": stored.pop("returned_at"),
            "return_method": stored.pop("return_method"),
            "satisfaction": stored.pop("satisfaction"),
        }
        stored["_state"] = DossierState(
            version=0,  # the snapshot's version, set by ``state`` on first use
            updated_at=stored["_modified_on"],
            **lifecycle,
        )

    # -- beginnings -------------------------------------------------------

    @classmethod
    def submit_online(
        cls,
        *,
        dossier_id: UUID,
        trace: Trace,
        applicant: Applicant,
        procedure_id: UUID,
        procedure: ProcedureDefinition,
        procedure_version: int,
        calendar: VersionedCalendar,
        documents: dict[str, DocumentMetadata],
        files: Mapping[str, StoredFile],
        summary: str = "",
    ) -> Dossier:
        """``files``: the stored file of each document's hash that the
        applicant uploaded (a hash missing from it is not theirs)."""
        if trace.actor.role not in (Role.CITIZEN, Role.SYSTEM) or (
            trace.actor.role is Role.CITIZEN
            and canonical_applicant_id(trace.actor.id) != applicant.id
        ):
            raise ActorNotAllowedError(
                B(
                    "chỉ người nộp hồ sơ được nộp trực tuyến",
                    "only the applicant submits online",
                )
            )
        if procedure.online_level is OnlineLevel.NONE:
            raise InvalidProcedureError(
                B(
                    f"{procedure.code} không được cung cấp trực tuyến",
                    f"{procedure.code} is not offered online",
                )
            )
        bounds.bounded(documents, "documents", bounds.MAX_DOCUMENTS)
        components = components_of(procedure)
        for code, document in documents.items():
            digitizable(components, code)
            components[code] = replace(
                components[code],
                status=ComponentStatus.ELECTRONIC,
                document_id=document.document_id,
                sha256=document.sha256,
            )
        missing = [
            c.code
            for c in components.values()
            if c.mandatory
            and c.scope is DigitizationScope.IN_SCOPE
            and c.status is ComponentStatus.PENDING
        ]
        if missing:
            raise MissingDataError(", ".join(missing))
        uploaded = _uploaded(documents, files)
        return cls._create(
            events.SubmittedOnline,
            id=dossier_id,
            trace=trace,
            applicant=applicant,
            procedure_id=procedure_id,
            procedure=AppliedProcedure.of(procedure),
            procedure_version=procedure_version,
            calendar_version=calendar.version,
            channel=Channel.ONLINE,
            components=components,
            summary=summary_text(summary),
            documents=dict(documents),
            files=uploaded,
        )

    @classmethod
    def receive_at_desk(
        cls,
        *,
        dossier_id: UUID,
        trace: Trace,
        code: str,
        applicant: Applicant,
        procedure_id: UUID,
        procedure: ProcedureDefinition,
        procedure_version: int,
        calendar: VersionedCalendar,
        registry: AgencyRegistry,
        channel: Channel = Channel.DESK,
        summary: str = "",
    ) -> Dossier:
        actor = trace.actor
        if actor.role is not Role.DESK or actor.agency_code is None:
            raise ActorNotAllowedError(
                B(
                    "chỉ cán bộ một cửa được tiếp nhận hồ sơ",
                    "only a one-stop desk officer receives dossiers",
                )
            )
        check_receiving_unit(actor.agency_code, procedure.competent_agency.value, code)
        check_registered_desk(actor.agency_code, registry)
        return cls._create(
            events.ReceivedAtDesk,
            id=dossier_id,
            trace=trace,
            applicant=applicant,
            procedure_id=procedure_id,
            procedure=AppliedProcedure.of(procedure),
            procedure_version=procedure_version,
            calendar_version=calendar.version,
            channel=channel,
            components=components_of(procedure),
            summary=summary_text(summary),
            code=code,
            receiving_agency=actor.agency_code,
            due_at=procedure.time_limit.due_at(trace.at, calendar.calendar),
        )

    # -- commands ---------------------------------------------------------

    def receive(
        self,
        *,
        trace: Trace,
        code: str,
        calendar: VersionedCalendar,
        registry: AgencyRegistry,
    ) -> list[DigitizedDocument]:
        """Give an online submission its code; the in-scope files the citizen
        uploaded enter the owner's warehouse, received by this officer."""
        self._check(Command.RECEIVE, trace)
        documents = dict(self.pending_documents)
        files = {f.sha256: f for f in self.pending_files}
        assert trace.actor.agency_code is not None  # guaranteed by the desk role check
        check_receiving_unit(trace.actor.agency_code, self.competent_agency, code)
        check_registered_desk(trace.actor.agency_code, registry)
        self._record(
            events.Received,
            trace,
            calendar,
            code=code,
            receiving_agency=trace.actor.agency_code,
            due_at=self.time_limit.due_at(trace.at, calendar.calendar),
        )
        return self._warehouse_entries(trace, documents, files)

    def refuse(self, *, trace: Trace, calendar: VersionedCalendar, reason: str) -> None:
        self._check(Command.REFUSE, trace)
        self._record(
            events.Refused, trace, calendar, reason=required_text(reason, "reason")
        )

    def check_digital_account(
        self, *, trace: Trace, calendar: VersionedCalendar, account: DigitalAccount
    ) -> None:
        self._check(Command.CHECK_DIGITAL_ACCOUNT, trace)
        if account != self.digital_account:
            self._record(events.DigitalAccountChecked, trace, calendar, account=account)

    def forward(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        to: Holder,
        registry: AgencyRegistry,
        note: str = "",
        planned_due_at: datetime | None = None,
        peers: frozenset[str] = frozenset(),
    ) -> None:
        """Hand over to a registered unit of this province, with the step's deadline.

        The step's planned deadline is the officer's, if given (it must lie
        after now and not after the dossier's due time), else the due time.
        A unit of another province is reached only when that province is one
        of ``peers`` (``_forward_to_province``); otherwise it is refused.
        """
        self._check(Command.FORWARD, trace)
        unsigned = [c.code for c in self.components.values() if not c.ready_to_forward]
        if unsigned:
            raise UnsignedComponentsError(", ".join(unsigned))
        target = AgencyCode(to.agency_code)
        own = AgencyCode(self.competent_agency).level1
        if target.level1 != own and peers:
            self._forward_to_province(trace, calendar, to, own, peers, note)
            return
        check_forward_target(to, self.competent_agency, registry)
        if to == self.holder:
            raise AlreadyHeldError(
                f"{to.agency_code} / {to.department}"
                if to.department
                else to.agency_code
            )
        planned = self._planned_due(trace, planned_due_at)
        if target == AgencyCode(self.holder.agency_code):
            kind = ForwardKind.DEPARTMENT
        elif target.level1 == AgencyCode(self.holder.agency_code).level1:
            kind = ForwardKind.AGENCY
        else:
            kind = ForwardKind.CROSS_BOUNDARY
        self._record(
            events.Forwarded,
            trace,
            calendar,
            from_holder=self.holder,
            to_holder=to,
            kind=kind,
            note=optional_text(note, "note"),
            planned_due_at=planned,
        )

    @classmethod
    def open_from_province(
        cls,
        *,
        trace: Trace,
        request: across.ForwardRequest,
        procedure_id: UUID,
        procedure: ProcedureDefinition,
        procedure_version: int,
        calendar: VersionedCalendar,
        registry: AgencyRegistry,
    ) -> Dossier:
        """The child of another province's dossier, awaiting this province's desk.

        The target must be a registered unit here, within the agency competent
        for the procedure (else ``NotCompetentInProvinceError``).
        """
        if trace.actor.role is not Role.SYSTEM:
            raise ActorNotAllowedError(
                B("chỉ hệ thống liên thông mở hồ sơ", "only the integration opens it")
            )
        target = AgencyCode(request.to_holder.agency_code)
        competent = procedure.competent_agency
        if not target.is_within(competent) and not competent.is_within(target):
            raise across.NotCompetentInProvinceError(target.value, procedure.code)
        departments = registry.departments_of(target.value)
        if departments is None:
            raise across.NotCompetentInProvinceError(target.value, procedure.code)
        department = request.to_holder.department
        if department is not None and departments and department not in departments:
            raise across.NotCompetentInProvinceError(
                f"{target.value} / {department}", procedure.code
            )
        return cls._create(
            across.OpenedFromProvince,
            id=request.child_id,
            trace=trace,
            applicant=request.applicant,
            procedure_id=procedure_id,
            procedure=AppliedProcedure.of(procedure),
            procedure_version=procedure_version,
            calendar_version=calendar.version,
            channel=request.channel,
            components=components_of(procedure),
            summary=summary_text(request.summary),
            source_province=request.source_province,
            source_id=request.source_id,
            source_code=request.source_code,
            source_event_id=request.source_event_id,
            to_holder=request.to_holder,
            note=optional_text(request.note, "note"),
        )

    def request_supplement(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        items: tuple[str, ...],
        reason: str,
    ) -> None:
        self._check(Command.REQUEST_SUPPLEMENT, trace)
        if not items:
            raise MissingDataError(B("thành phần cần bổ sung", "items"))
        bounds.bounded(items, "componentCodes", bounds.MAX_COMPONENTS)
        for code in items:
            self._component(code)
        self._record(
            events.SupplementRequested,
            trace,
            calendar,
            items=tuple(items),
            reason=required_text(reason, "reason"),
        )

    def receive_supplement(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        documents: dict[str, DocumentMetadata],
        files: Mapping[str, StoredFile],
    ) -> list[DigitizedDocument]:
        """Record a supplement; ``files``: the stored file of each document's
        hash its supplier may use. Once the dossier has a code, the in-scope
        files enter the owner's warehouse at once."""
        self._check(Command.RECEIVE_SUPPLEMENT, trace)
        bounds.bounded(documents, "documents", bounds.MAX_DOCUMENTS)
        for code in documents:
            digitizable(self.components, code)
        self._check_supplement(trace.actor.role, documents)
        uploaded = _uploaded(documents, files)
        paused, due = self._resumed_clock(trace.at, calendar)
        self._record(
            events.SupplementReceived,
            trace,
            calendar,
            documents=dict(documents),
            paused_seconds=paused,
            due_at=due,
            files=uploaded,
        )
        if self.code is None:
            return []
        return self._warehouse_entries(trace, documents, files)

    def request_payment(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        fees: tuple[Fee, ...],
        reason: str = "",
    ) -> None:
        self._check(Command.REQUEST_PAYMENT, trace)
        if not fees or any(f.amount <= 0 for f in fees):
            raise MissingDataError(B("các khoản phí, lệ phí", "fees"))
        bounds.bounded(fees, "fees", bounds.MAX_FEES)
        self._record(
            events.FinancialObligationRequested,
            trace,
            calendar,
            fees=tuple(fees),
            reason=optional_text(reason, "reason"),
        )

    def confirm_payment(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        channel: PaymentChannel,
        receipt: str,
    ) -> None:
        self._check(Command.CONFIRM_PAYMENT, trace)
        paused, due = self._resumed_clock(trace.at, calendar)
        self._record(
            events.FinancialObligationPaid,
            trace,
            calendar,
            channel=channel,
            receipt=required_text(receipt, "receipt", bounds.SHORT_TEXT_LENGTH),
            paused_seconds=paused,
            due_at=due,
        )

    def reappoint(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        due_at: datetime,
        reason: str,
        cutoff_hours: int = 8,
    ) -> None:
        """Apologise and re-appoint: once, at least ``cutoff_hours`` working
        hours before the due time (Decree 61 Art. 19: one working day)."""
        self._check(Command.REAPPOINT, trace)
        if self.reappointed:
            raise ReappointmentError(B("chỉ được hẹn lại một lần", "at most once"))
        if self.due_at is None:
            raise ReappointmentError(
                B(
                    "thủ tục không có thời hạn giải quyết",
                    "the procedure has no due time",
                )
            )
        bounds.reappointed_due(due_at, self.due_at)
        check_instant(due_at, "dueAt")
        if trace.at >= self.due_at:
            raise ReappointmentError(
                B("đã quá hạn giải quyết", "the due time has passed")
            )
        left = calendar.calendar.working_time_between(trace.at, self.due_at)
        if cutoff_hours and left < timedelta(hours=cutoff_hours):
            raise ReappointmentError(
                B(
                    f"còn ít hơn {cutoff_hours} giờ làm việc trước hạn giải quyết",
                    f"less than {cutoff_hours} working hours before the due time",
                )
            )
        if not calendar.calendar.is_working_instant(due_at):
            raise ReappointmentError(
                B(
                    "hạn mới phải nằm trong giờ làm việc của một ngày làm việc",
                    "the new due time must lie within working hours of a working day",
                )
            )
        if due_at <= self.due_at:
            raise ReappointmentError(
                B(
                    "hạn mới phải sau hạn giải quyết hiện tại",
                    "the new due time must be later",
                )
            )
        self._record(
            events.Reappointed,
            trace,
            calendar,
            reason=required_text(reason, "reason"),
            previous_due_at=self.due_at,
            due_at=due_at,
        )

    def stop(self, *, trace: Trace, calendar: VersionedCalendar, reason: str) -> None:
        self._check(Command.STOP, trace)
        self._record(
            events.Stopped, trace, calendar, reason=required_text(reason, "reason")
        )

    def withdraw(
        self, *, trace: Trace, calendar: VersionedCalendar, reason: str
    ) -> None:
        self._check(Command.WITHDRAW, trace)
        if trace.actor.role is not Role.CITIZEN:
            required_text(reason, "reason")
        self._record(
            events.Withdrawn, trace, calendar, reason=optional_text(reason, "reason")
        )

    def resolve(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        results: tuple[IssuedResult, ...],
        decision: str,
        files: Mapping[str, StoredFile | None],
        granularity: Granularity = Granularity.DATE,
    ) -> list[DigitizedDocument]:
        """Issue the results; each enters the owner's warehouse (hidden from
        the owner until returned, R-25). ``files``: the stored file of each
        result's ``sha256`` (None: no such upload)."""
        self._check(Command.RESOLVE, trace)
        bounds.bounded(results, "results", bounds.MAX_RESULTS)
        unknown = [
            r.result_code for r in results if r.result_code not in self.result_codes
        ]
        if unknown:
            raise ResultError(", ".join(unknown))
        if self.result_codes and not results:
            raise ResultError(B("chưa có văn bản kết quả", "no result document"))
        if len({r.document_id for r in results}) != len(results):
            raise ResultError(B("trùng mã giấy tờ", "a document id is repeated"))
        documents = [
            self._result_document(trace, r, files.get(r.sha256)) for r in results
        ]
        timeliness = classify(
            trace.at,
            self.due_at,
            self.supplement_requests,
            calendar.calendar,
            granularity,
        )
        past_due = classify(trace.at, self.due_at, 0, calendar.calendar, granularity)
        self._record(
            events.Resolved,
            trace,
            calendar,
            results=tuple(results),
            decision=required_text(decision, "decision"),
            timeliness=timeliness,
            late_without_apology=past_due is Timeliness.LATE and not self.reappointed,
        )
        return documents

    def _result_document(
        self, trace: Trace, result: IssuedResult, file: StoredFile | None
    ) -> DigitizedDocument:
        if file is None:
            raise UnknownFileError(result.sha256)
        assert trace.actor.agency_code is not None  # a leader of a unit
        return DigitizedDocument.register(
            trace=trace,
            owner_id=self.applicant.id,
            kind=DocumentKind.RESULT,
            type_code=result.result_code,
            metadata=DocumentMetadata(
                document_id=result.document_id,
                sha256=result.sha256,
                number_symbol=result.number_symbol,
                issued_on=local_date(trace.at),
                issuer=trace.actor.agency_code,
                signer=trace.actor.id,
                valid_until=result.valid_until,
                permanent=result.permanent,
            ),
            file=file,
            origin=Origin(
                trace.actor.agency_code, self.id, self.code, result.result_code
            ),
        )

    def return_result(
        self, *, trace: Trace, calendar: VersionedCalendar, method: ReturnMethod
    ) -> None:
        self._check(Command.RETURN_RESULT, trace)
        self._record(events.Returned, trace, calendar, method=method)

    def rate(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        satisfaction: Satisfaction,
        comment: str = "",
    ) -> None:
        self._check(Command.RATE, trace)
        if self.satisfaction is not None:
            raise AlreadyRatedError()
        self._record(
            events.Rated,
            trace,
            calendar,
            satisfaction=satisfaction,
            comment=optional_text(comment, "comment"),
        )

    # -- how events change the dossier ------------------------------------

    def _absorb(self, event: DossierEvent) -> None:
        """Every event moves the state (``evolve``); a few also change details."""
        lodged = isinstance(event, events.Lodged)
        self._state = evolve(None if lodged else self._state, event)
        match event:
            case events.SubmittedOnline():
                self._absorb_lodged(event)
                self.pending_documents = tuple((event.documents or {}).items())
                self.pending_files = tuple(event.files)
            case events.Lodged():
                self._absorb_lodged(event)
            case events.Received():
                self.pending_documents, self.pending_files = (), ()
            case events.DigitalAccountChecked():
                self.digital_account = event.account
            case events.ComponentDigitized():
                self._set_component(
                    event.component_code,
                    status=ComponentStatus.DIGITIZED,
                    signed_by="",
                    document_id=event.document.document_id,
                    sha256=event.document.sha256,
                )
            case events.ComponentReused():
                self._set_component(
                    event.component_code,
                    status=ComponentStatus.REUSED,
                    document_id=event.document_id,
                    sha256=event.sha256,
                    reuse_source=event.source,
                )
            case events.ComponentSigned():
                signed = event.file
                self._set_component(
                    event.component_code,
                    signed_by=event.trace.actor.id,
                    **({"sha256": signed.sha256} if signed else {}),
                )
            case events.SupplementRequested():
                self.supplement_items = tuple(event.items)
            case events.SupplementReceived():
                for code, document in event.documents.items():
                    self._set_component(
                        code,
                        status=ComponentStatus.ELECTRONIC,
                        document_id=document.document_id,
                        sha256=document.sha256,
                    )
                self.supplement_items = ()
                if self.code is None:  # before reception: enters at reception
                    self.pending_documents = tuple(
                        {**dict(self.pending_documents), **event.documents}.items()
                    )
                    self.pending_files = (*self.pending_files, *event.files)
            case events.FinancialObligationRequested():
                self.fees_requested = list(event.fees)
            case events.FinancialObligationPaid():
                self.paid_via = event.channel
                self.supplement_items = ()
            case events.Resolved() | across.ResultReturnedByProvince():
                self.results = list(event.results)

    def _absorb_lodged(self, event: events.Lodged) -> None:
        self.applicant = event.applicant
        self.procedure_id = event.procedure_id
        self.procedure_code = event.procedure.code
        self.procedure_name = event.procedure.name
        self.procedure_version = event.procedure_version
        self.time_limit = event.procedure.time_limit
        self.result_codes = list(event.procedure.result_codes)
        self.components = dict(event.components)
        self.summary = event.summary

    # -- helpers ----------------------------------------------------------

    @property
    def result_returned(self) -> bool:
        """The result was handed over: the citizen may now see it (R-25)."""
        return self.returned_at is not None

    @property
    def national_status_code(self) -> int:
        return self.status.national_code

    def visible_to(self, actor: Actor) -> bool:
        """May ``actor`` see this dossier at all (``domain.visibility``)?"""
        return self._state.seen_by(actor, self.applicant.id)

    def _check(self, command: Command, trace: Trace) -> None:
        actor = trace.actor
        # Visibility first: an unseen dossier answers like an unknown one,
        # whatever the role or status would have said.
        if not self.visible_to(actor):
            raise DossierNotVisibleError(self.code or str(self.id))
        if actor.role not in ALLOWED_ROLES[command]:
            raise ActorNotAllowedError(
                B(
                    f"{actor.role.label('vi')} không được {command.label('vi')}",
                    f"a {actor.role.label('en')} may not {command.label('en')}",
                )
            )
        if actor.role is Role.CITIZEN and canonical_applicant_id(
            actor.id
        ) != canonical_applicant_id(self.applicant.id):
            raise ActorNotAllowedError(
                B("không phải người nộp hồ sơ", "not the applicant")
            )
        if actor.is_officer and not (
            actor.agency_code is not None and self._may_act(actor.agency_code)
        ):
            raise ActorNotAllowedError(
                B(
                    f"{actor.agency_code} không tham gia xử lý hồ sơ này",
                    f"{actor.agency_code} is outside this dossier",
                )
            )
        # A reorganisation here still moves competence (TRANSFER_TO_SUCCESSOR).
        if self._state.held_elsewhere and command is not Command.TRANSFER_TO_SUCCESSOR:
            raise across.HeldByProvinceError(self._state.across_province)
        if self.status not in LEGAL_FROM[command]:
            raise IllegalTransitionError(action=command, status=self.status)

    def _check_supplement(
        self, role: Role, documents: dict[str, DocumentMetadata]
    ) -> None:
        """A supplement brings what was requested, nothing else (Mẫu 02).

        At the desk, paper may come for requested items that are not
        digitized, so documents cover a subset of the request. Online, the
        applicant must upload every requested in-scope item: an empty or
        partial upload would restart the clock with nothing supplied.
        """
        requested = tuple(self.supplement_items)
        if not requested:  # a snapshot from before requests were kept
            if role is Role.CITIZEN and not documents:
                raise SupplementError(
                    B("chưa có giấy tờ bổ sung nào", "no document supplied")
                )
            return
        unrequested = sorted(set(documents) - set(requested))
        if unrequested:
            raise SupplementError(
                B(
                    f"không được yêu cầu bổ sung: {', '.join(unrequested)}",
                    f"not requested: {', '.join(unrequested)}",
                )
            )
        if role is not Role.CITIZEN:
            return
        uploadable = [
            code
            for code in requested
            if self.components[code].scope is DigitizationScope.IN_SCOPE
        ]
        if not uploadable:
            raise SupplementError(
                B(
                    "các thành phần được yêu cầu phải nộp bản giấy tại bộ phận một cửa",
                    "the requested items are brought on paper to the one-stop desk",
                )
            )
        missing = [code for code in uploadable if code not in documents]
        if missing:
            raise SupplementError(
                B(
                    f"còn thiếu thành phần được yêu cầu: {', '.join(missing)}",
                    f"requested items missing: {', '.join(missing)}",
                )
            )

    def _planned_due(self, trace: Trace, given: datetime | None) -> datetime | None:
        if given is None:
            return self.due_at
        check_instant(given, "plannedDueAt")
        if given <= trace.at:
            raise PlannedDueError(
                B("phải sau thời điểm chuyển", "not after the hand-over")
            )
        if self.due_at is not None and given > self.due_at:
            raise PlannedDueError(
                B(
                    "sau hạn giải quyết của hồ sơ",
                    "after the dossier's due time",
                )
            )
        return given

    def _may_act(self, agency_code: str) -> bool:
        """Staff of the units handling it, or the desk that received it."""
        if agency_code == self.receiving_agency:
            return True
        actor_unit = AgencyCode(agency_code)
        if self.receiving_agency is None:
            return actor_unit.level1 == AgencyCode(self.competent_agency).level1
        return any(actor_unit.is_within(AgencyCode(c)) for c in self.involved_agencies)

    def _record(
        self,
        event_class: type[DossierEvent],
        trace: Trace,
        calendar: VersionedCalendar,
        **fields: object,
    ) -> None:
        self.trigger_event(
            event_class,
            trace=trace,
            procedure_version=self.procedure_version,
            calendar_version=calendar.version,
            **fields,
        )

    def _resumed_clock(
        self, at: datetime, calendar: VersionedCalendar
    ) -> tuple[int, datetime | None]:
        assert self.paused_at is not None  # every paused status sets it
        pause = self.time_limit.pause_length(self.paused_at, at, calendar.calendar)
        if self.due_at is None:
            return int(pause.total_seconds()), None
        due = self.time_limit.extend(self.due_at, pause, calendar.calendar)
        return int(pause.total_seconds()), max(due, self.due_at)

    # -- reorganisation ----------------------------------------------------

    def transfer_to_successor(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        to_agency: str,
        to_holder: Holder,
        legal_act: LegalAct,
        effective_on: date,
        reason: str,
        plan_id: str = "",
    ) -> None:
        """Move competence (and the holder) to successor units; nothing else."""
        self._check(Command.TRANSFER_TO_SUCCESSOR, trace)
        AgencyCode(to_agency)
        AgencyCode(to_holder.agency_code)
        if to_agency == self.competent_agency and to_holder == self.holder:
            return
        self._record(
            events.TransferredToSuccessor,
            trace,
            calendar,
            from_agency=self.competent_agency,
            to_agency=to_agency,
            from_holder=self.holder,
            to_holder=to_holder,
            legal_act=legal_act,
            effective_on=effective_on,
            reason=required_text(reason, "reason"),
            plan_id=bounds.text(plan_id, "planId", bounds.CODE_LENGTH),
        )


# Stored topics name the events ``domain.dossier:Dossier.<Name>``: resolving one
# by import (before ``domain.dossier_events`` registered it) reads these names.
for _event_class in (*events.DOSSIER_EVENTS, *across.CROSS_PROVINCE_EVENTS):
    setattr(Dossier, _event_class.__name__, _event_class)
