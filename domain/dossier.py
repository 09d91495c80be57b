# Storage contract: event classes below only gain fields; rename/move = register_topic.
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.agency import AgencyRegistry
from domain.deadline import Granularity, TimeLimit, Timeliness, classify
from domain.digitized_document import NOT_FOUND as NO_SUCH_DOCUMENT
from domain.digitized_document import (
    DigitizedDocument,
    DocumentKind,
    Origin,
    ReuseRefusedError,
    local_date,
)
from domain.dossier_code import DOSSIER_CODE
from domain.dossier_rules import ALLOWED_ROLES, LEGAL_FROM, Command
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
    ReuseSource,
    Satisfaction,
    VersionedCalendar,
    canonical_applicant_id,
)
from domain.errors import (
    ActorNotAllowedError,
    AlreadyHeldError,
    AlreadyRatedError,
    ComponentError,
    CrossProvinceForwardError,
    IllegalTransitionError,
    InvalidProcedureError,
    MissingDataError,
    PlannedDueError,
    ReappointmentError,
    ResultError,
    SupplementError,
    UnregisteredAgencyError,
    UnregisteredUnitError,
    UnsignedComponentsError,
    field_name,
    shown,
)
from domain.errors import Bilingual as B
from domain.files import StoredFile, UnknownFileError
from domain.procedure import DigitizationScope, Fee, OnlineLevel, ProcedureDefinition
from domain.values import Actor, AgencyCode, Role, Trace
from domain.visibility import DossierNotVisibleError, may_see
from domain.working_time import check_instant


class Dossier(Aggregate):
    """One applicant's dossier for one procedure, from submission to rating."""

    class Event(Aggregate.Event):
        trace: Trace
        procedure_version: int
        calendar_version: int

    class Lodged(Event, Aggregate.Created):
        """Base of the two ways a dossier begins; never recorded itself."""

        applicant: Applicant
        procedure_id: UUID
        procedure: AppliedProcedure
        channel: Channel
        components: dict[str, ComponentState]
        summary: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate.applicant = self.applicant
            aggregate.procedure_id = self.procedure_id
            aggregate.procedure_code = self.procedure.code
            aggregate.procedure_name = self.procedure.name
            aggregate.procedure_version = self.procedure_version
            aggregate.time_limit = self.procedure.time_limit
            aggregate.result_codes = list(self.procedure.result_codes)
            aggregate.competent_agency = self.procedure.competent_agency
            aggregate.channel = self.channel
            aggregate.components = dict(self.components)
            aggregate.summary = self.summary
            aggregate.submitted_at = self.trace.at

    class SubmittedOnline(Lodged):
        def apply(self, aggregate: Dossier) -> None:
            super().apply(aggregate)
            aggregate.status = DossierStatus.SUBMITTED
            aggregate.holder = Holder(aggregate.competent_agency)
            aggregate.involved_agencies = [aggregate.competent_agency]

    class ReceivedAtDesk(Lodged):
        code: str
        receiving_agency: str
        due_at: datetime | None

        def apply(self, aggregate: Dossier) -> None:
            super().apply(aggregate)
            aggregate._accept(
                self.code, self.receiving_agency, self.trace.at, self.due_at
            )

    class Received(Event):
        code: str
        receiving_agency: str
        due_at: datetime | None

        def apply(self, aggregate: Dossier) -> None:
            aggregate._accept(
                self.code, self.receiving_agency, self.trace.at, self.due_at
            )

    class Refused(Event):
        reason: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate.status = DossierStatus.REFUSED
            aggregate.finished_at = self.trace.at

    class DigitalAccountChecked(Event):
        account: DigitalAccount

        def apply(self, aggregate: Dossier) -> None:
            aggregate.digital_account = self.account

    class ComponentDigitized(Event):
        component_code: str
        document: DocumentMetadata
        file: StoredFile | None = None
        """The stored scan (hash, size, pages, type); None in events recorded
        before scans were kept as files."""

        def apply(self, aggregate: Dossier) -> None:
            aggregate._set_component(
                self.component_code,
                status=ComponentStatus.DIGITIZED,
                signed_by="",
                document_id=self.document.document_id,
                sha256=self.document.sha256,
            )

    class ComponentReused(Event):
        component_code: str
        document_id: UUID
        source: ReuseSource
        sha256: str = ""
        """The reused document's file; empty in events recorded before the
        warehouse kept files."""

        def apply(self, aggregate: Dossier) -> None:
            aggregate._set_component(
                self.component_code,
                status=ComponentStatus.REUSED,
                document_id=self.document_id,
                sha256=self.sha256,
                reuse_source=self.source,
            )

    class ComponentSigned(Event):
        component_code: str
        signature_sha256: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate._set_component(self.component_code, signed_by=self.trace.actor.id)

    class Forwarded(Event):
        from_holder: Holder
        to_holder: Holder
        kind: ForwardKind
        note: str
        planned_due_at: datetime | None = None
        """When this step should be finished (control sheet, R-10/R-11); events
        recorded before it existed read as None: no planned time was recorded."""

        def apply(self, aggregate: Dossier) -> None:
            aggregate.holder = self.to_holder
            if self.to_holder.agency_code not in aggregate.involved_agencies:
                aggregate.involved_agencies.append(self.to_holder.agency_code)
            aggregate.status = DossierStatus.IN_PROGRESS

    class SupplementRequested(Event):
        items: tuple[str, ...]
        reason: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate._pause(DossierStatus.AWAITING_SUPPLEMENT, self.trace.at)
            aggregate.supplement_requests += 1
            aggregate.supplement_items = tuple(self.items)

    class SupplementReceived(Event):
        documents: dict[str, DocumentMetadata]
        paused_seconds: int
        due_at: datetime | None

        def apply(self, aggregate: Dossier) -> None:
            for code, document in self.documents.items():
                aggregate._set_component(
                    code,
                    status=ComponentStatus.ELECTRONIC,
                    document_id=document.document_id,
                    sha256=document.sha256,
                )
            aggregate._resume(self.paused_seconds, self.due_at)

    class FinancialObligationRequested(Event):
        fees: tuple[Fee, ...]
        reason: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate._pause(DossierStatus.AWAITING_PAYMENT, self.trace.at)
            aggregate.fees_requested = list(self.fees)

    class FinancialObligationPaid(Event):
        channel: PaymentChannel
        receipt: str
        paused_seconds: int
        due_at: datetime | None

        def apply(self, aggregate: Dossier) -> None:
            aggregate.paid_via = self.channel
            aggregate._resume(self.paused_seconds, self.due_at)

    class Reappointed(Event):
        """Apology letter (Mẫu 04) with the one allowed new appointment."""

        reason: str
        previous_due_at: datetime
        due_at: datetime

        def apply(self, aggregate: Dossier) -> None:
            aggregate.due_at = self.due_at
            aggregate.reappointed = True

    class Stopped(Event):
        reason: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate._finish(DossierStatus.STOPPED, self.trace.at)

    class Withdrawn(Event):
        reason: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate._finish(DossierStatus.WITHDRAWN, self.trace.at)

    class Resolved(Event):
        results: tuple[IssuedResult, ...]
        decision: str
        timeliness: Timeliness
        late_without_apology: bool = False
        """Late against the due time and no apology/re-appointment was made (R-12)."""

        def apply(self, aggregate: Dossier) -> None:
            aggregate.results = list(self.results)
            aggregate.timeliness = self.timeliness
            aggregate.late_without_apology = self.late_without_apology
            aggregate._finish(DossierStatus.RESOLVED, self.trace.at)

    class Returned(Event):
        method: ReturnMethod

        def apply(self, aggregate: Dossier) -> None:
            aggregate.status = DossierStatus.RETURNED
            aggregate.returned_at = self.trace.at
            aggregate.return_method = self.method

    class Rated(Event):
        satisfaction: Satisfaction
        comment: str

        def apply(self, aggregate: Dossier) -> None:
            aggregate.satisfaction = self.satisfaction

    code: str | None
    status: DossierStatus
    applicant: Applicant
    procedure_id: UUID
    procedure_code: str
    procedure_name: str
    procedure_version: int
    time_limit: TimeLimit
    result_codes: list[str]
    competent_agency: str
    receiving_agency: str | None
    channel: Channel
    components: dict[str, ComponentState]
    summary: str
    holder: Holder
    involved_agencies: list[str]
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    supplement_items: tuple[str, ...] = ()
    """Components the open supplement request asks for (empty when none is open,
    or in a snapshot taken before this was kept: then only scope is checked)."""

    def __init__(self) -> None:
        self.code = None
        self.receiving_agency = None
        self.received_at = None
        self.due_at = None
        self.digital_account: DigitalAccount | None = None
        self.supplement_requests = 0
        self.paused_at: datetime | None = None
        self.resume_status: DossierStatus | None = None
        self.paused_seconds = 0
        self.fees_requested: list[Fee] = []
        self.paid_via: PaymentChannel | None = None
        self.reappointed = False
        self.results: list[IssuedResult] = []
        self.timeliness: Timeliness | None = None
        self.late_without_apology = False
        self.finished_at: datetime | None = None
        self.returned_at: datetime | None = None
        self.return_method: ReturnMethod | None = None
        self.satisfaction: Satisfaction | None = None

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
        summary: str = "",
    ) -> Dossier:
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
        components = _components(procedure)
        for code, document in documents.items():
            _digitizable(components, code)
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
        return cls._create(
            cls.SubmittedOnline,
            id=dossier_id,
            trace=trace,
            applicant=applicant,
            procedure_id=procedure_id,
            procedure=AppliedProcedure.of(procedure),
            procedure_version=procedure_version,
            calendar_version=calendar.version,
            channel=Channel.ONLINE,
            components=components,
            summary=_summary(summary),
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
        _check_receiving_unit(actor.agency_code, procedure.competent_agency.value, code)
        _check_registered_desk(actor.agency_code, registry)
        return cls._create(
            cls.ReceivedAtDesk,
            id=dossier_id,
            trace=trace,
            applicant=applicant,
            procedure_id=procedure_id,
            procedure=AppliedProcedure.of(procedure),
            procedure_version=procedure_version,
            calendar_version=calendar.version,
            channel=channel,
            components=_components(procedure),
            summary=_summary(summary),
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
    ) -> None:
        self._check(Command.RECEIVE, trace)
        assert trace.actor.agency_code is not None  # guaranteed by the desk role check
        _check_receiving_unit(trace.actor.agency_code, self.competent_agency, code)
        _check_registered_desk(trace.actor.agency_code, registry)
        self._record(
            self.Received,
            trace,
            calendar,
            code=code,
            receiving_agency=trace.actor.agency_code,
            due_at=self.time_limit.due_at(trace.at, calendar.calendar),
        )

    def refuse(self, *, trace: Trace, calendar: VersionedCalendar, reason: str) -> None:
        self._check(Command.REFUSE, trace)
        self._record(self.Refused, trace, calendar, reason=_required(reason, "reason"))

    def check_digital_account(
        self, *, trace: Trace, calendar: VersionedCalendar, account: DigitalAccount
    ) -> None:
        self._check(Command.CHECK_DIGITAL_ACCOUNT, trace)
        if account != self.digital_account:
            self._record(self.DigitalAccountChecked, trace, calendar, account=account)

    def digitize_component(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        component_code: str,
        document: DocumentMetadata,
        file: StoredFile | None,
    ) -> DigitizedDocument:
        """Record the scan of a component (``file``: the upload ``document.sha256``
        names, None if there is none); it enters the owner's warehouse."""
        self._check(Command.DIGITIZE_COMPONENT, trace)
        component = _digitizable(self.components, component_code)
        if file is None:
            raise UnknownFileError(document.sha256)
        assert trace.actor.agency_code is not None  # desk role checked above
        stored = DigitizedDocument.register(
            trace=trace,
            owner_id=self.applicant.id,
            kind=DocumentKind.COMPONENT,
            type_code=component.document_type_code,
            metadata=document,
            file=file,
            origin=Origin(trace.actor.agency_code, self.id, self.code, component_code),
        )
        self._record(
            self.ComponentDigitized,
            trace,
            calendar,
            component_code=component_code,
            document=document,
            file=file,
        )
        return stored

    def reuse_component(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        component_code: str,
        document: DigitizedDocument | None,
    ) -> DigitizedDocument:
        """Take a valid document of the same owner and type from the warehouse
        (``None``: no such document); the reuse is recorded on the dossier and
        on the document."""
        self._check(Command.REUSE_COMPONENT, trace)
        component = _digitizable(self.components, component_code)
        if document is None:
            raise ReuseRefusedError(NO_SUCH_DOCUMENT)
        document.check_reusable(
            owner_id=self.applicant.id,
            type_codes={component.document_type_code},
            on=local_date(trace.at),
        )
        self._record(
            self.ComponentReused,
            trace,
            calendar,
            component_code=component_code,
            document_id=document.id,
            source=document.kind.reuse_source,
            sha256=document.file.sha256,
        )
        document.record_reuse(
            trace=trace,
            dossier_id=self.id,
            dossier_code=self.code,
            component_code=component_code,
        )
        return document

    def sign_component(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        component_code: str,
        signature_sha256: str,
    ) -> None:
        self._check(Command.SIGN_COMPONENT, trace)
        component = self._component(component_code)
        if component.status is not ComponentStatus.DIGITIZED or component.signed_by:
            raise ComponentError(
                B(
                    f"{component_code} không ở trạng thái chờ ký số",
                    f"{component_code} is not awaiting a signature",
                )
            )
        self._record(
            self.ComponentSigned,
            trace,
            calendar,
            component_code=component_code,
            signature_sha256=bounds.sha256(signature_sha256, "signatureSha256"),
        )

    def forward(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        to: Holder,
        registry: AgencyRegistry,
        note: str = "",
        planned_due_at: datetime | None = None,
    ) -> None:
        """Hand over to a registered unit of this province, with the step's deadline.

        The step's planned deadline is the officer's, if given (it must lie
        after now and not after the dossier's due time), else the due time.
        """
        self._check(Command.FORWARD, trace)
        unsigned = [c.code for c in self.components.values() if not c.ready_to_forward]
        if unsigned:
            raise UnsignedComponentsError(", ".join(unsigned))
        target = AgencyCode(to.agency_code)
        _check_forward_target(to, self.competent_agency, registry)
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
            self.Forwarded,
            trace,
            calendar,
            from_holder=self.holder,
            to_holder=to,
            kind=kind,
            note=_text(note, "note"),
            planned_due_at=planned,
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
            self.SupplementRequested,
            trace,
            calendar,
            items=tuple(items),
            reason=_required(reason, "reason"),
        )

    def receive_supplement(
        self,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        documents: dict[str, DocumentMetadata],
    ) -> None:
        self._check(Command.RECEIVE_SUPPLEMENT, trace)
        bounds.bounded(documents, "documents", bounds.MAX_DOCUMENTS)
        for code in documents:
            _digitizable(self.components, code)
        self._check_supplement(trace.actor.role, documents)
        paused, due = self._resumed_clock(trace.at, calendar)
        self._record(
            self.SupplementReceived,
            trace,
            calendar,
            documents=dict(documents),
            paused_seconds=paused,
            due_at=due,
        )

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
            self.FinancialObligationRequested,
            trace,
            calendar,
            fees=tuple(fees),
            reason=_text(reason, "reason"),
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
            self.FinancialObligationPaid,
            trace,
            calendar,
            channel=channel,
            receipt=_required(receipt, "receipt", bounds.SHORT_TEXT_LENGTH),
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
            self.Reappointed,
            trace,
            calendar,
            reason=_required(reason, "reason"),
            previous_due_at=self.due_at,
            due_at=due_at,
        )

    def stop(self, *, trace: Trace, calendar: VersionedCalendar, reason: str) -> None:
        self._check(Command.STOP, trace)
        self._record(self.Stopped, trace, calendar, reason=_required(reason, "reason"))

    def withdraw(
        self, *, trace: Trace, calendar: VersionedCalendar, reason: str
    ) -> None:
        self._check(Command.WITHDRAW, trace)
        if trace.actor.role is not Role.CITIZEN:
            _required(reason, "reason")
        self._record(self.Withdrawn, trace, calendar, reason=_text(reason, "reason"))

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
            self.Resolved,
            trace,
            calendar,
            results=tuple(results),
            decision=_required(decision, "decision"),
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
        self._record(self.Returned, trace, calendar, method=method)

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
            self.Rated,
            trace,
            calendar,
            satisfaction=satisfaction,
            comment=_text(comment, "comment"),
        )

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
        return may_see(
            actor,
            applicant_id=self.applicant.id,
            competent_agency=self.competent_agency,
            receiving_agency=self.receiving_agency,
            units=(self.holder.agency_code, *self.involved_agencies),
        )

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
        event_class: type[Dossier.Event],
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

    def _component(self, code: str) -> ComponentState:
        bounds.code(code, "componentCode")
        try:
            return self.components[code]
        except KeyError:
            raise ComponentError(code) from None

    def _set_component(self, code: str, **changes: object) -> None:
        self.components[code] = replace(self.components[code], **changes)  # type: ignore[arg-type]

    def _accept(
        self, code: str, receiving_agency: str, at: datetime, due_at: datetime | None
    ) -> None:
        self.code = code
        self.receiving_agency = receiving_agency
        self.received_at = at
        self.due_at = due_at
        self.status = DossierStatus.RECEIVED
        self.holder = Holder(receiving_agency)
        self.involved_agencies = [self.competent_agency]

    def _pause(self, status: DossierStatus, at: datetime) -> None:
        self.resume_status = self.status
        self.status = status
        self.paused_at = at

    def _resume(self, paused_seconds: int, due_at: datetime | None) -> None:
        self.supplement_items = ()
        self.status = self.resume_status or DossierStatus.IN_PROGRESS
        self.resume_status = None
        self.paused_at = None
        self.paused_seconds += paused_seconds
        self.due_at = due_at

    def _resumed_clock(
        self, at: datetime, calendar: VersionedCalendar
    ) -> tuple[int, datetime | None]:
        assert self.paused_at is not None  # every paused status sets it
        pause = self.time_limit.pause_length(self.paused_at, at, calendar.calendar)
        if self.due_at is None:
            return int(pause.total_seconds()), None
        due = self.time_limit.extend(self.due_at, pause, calendar.calendar)
        return int(pause.total_seconds()), max(due, self.due_at)

    def _finish(self, status: DossierStatus, at: datetime) -> None:
        self.status = status
        self.finished_at = at


def _components(procedure: ProcedureDefinition) -> dict[str, ComponentState]:
    return {c.code: ComponentState.from_component(c) for c in procedure.components}


def _required(value: str, name: str, limit: int = bounds.REASON_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MissingDataError(field_name(name))
    return bounds.text(value, name, limit, required=True, multiline=True)


def _text(value: str, name: str) -> str:
    """Optional free text (notes, comments): bounded like a reason."""
    return bounds.text(value, name, bounds.REASON_LENGTH, multiline=True)


def _summary(value: str) -> str:
    return bounds.text(value, "summary", bounds.SUMMARY_LENGTH, multiline=True)


def _digitizable(components: dict[str, ComponentState], code: str) -> ComponentState:
    """A component of this procedure that is in digitization scope.

    Every path that attaches a document (desk scan, online submission,
    supplement, reuse) goes through here: out-of-scope components (shared
    data, photocopies, shown only, classified) never carry a document.
    """
    bounds.code(code, "componentCode")
    component = components.get(code)
    if component is None:
        raise ComponentError(code)
    if component.scope is not DigitizationScope.IN_SCOPE:
        raise ComponentError(
            B(
                f"{code} không thuộc phạm vi số hóa ({component.scope.label('vi')})",
                f"{code} is not digitized ({component.scope.label('en')})",
            )
        )
    return component


def _check_receiving_unit(receiving: str, competent: str, code: str) -> None:
    """The desk must be in the competent agency's province; R-17 code unit."""
    match = DOSSIER_CODE.match(code)
    if match is None:
        raise MissingDataError(
            B(f"mã hồ sơ {shown(code)}", f"dossier code {shown(code)}")
        )
    if AgencyCode(receiving).level1 != AgencyCode(competent).level1:
        raise ActorNotAllowedError(
            B(
                f"{receiving} không thuộc tỉnh của {competent}",
                f"{receiving} is outside the province of {competent}",
            )
        )
    if match.group(1) not in (receiving, competent):
        raise MissingDataError(
            B(
                f"mã hồ sơ {shown(code)} của đơn vị {receiving}",
                f"dossier code {shown(code)} for unit {receiving}",
            )
        )


def _check_registered_desk(unit: str, registry: AgencyRegistry) -> None:
    """R-03: only units in the agency catalogue receive dossiers and issue codes."""
    if registry.departments_of(unit) is None:
        raise UnregisteredUnitError(unit)


def _check_forward_target(to: Holder, competent: str, registry: AgencyRegistry) -> None:
    target = AgencyCode(to.agency_code)
    if target.level1 != AgencyCode(competent).level1:
        raise CrossProvinceForwardError(target.value)
    departments = registry.departments_of(target.value)
    if departments is None:
        raise UnregisteredAgencyError(target.value)
    if to.department is not None and departments and to.department not in departments:
        raise UnregisteredAgencyError(f"{target.value} / {to.department}")
