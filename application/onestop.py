"""The one-stop application: one named use case per dossier command."""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from application.errors import (
    ConcurrentWriteError,
    DocumentExistsError,
    DocumentNotFoundError,
    IdentityUnavailableError,
)
from application.lifecycle import CommandOutcome, DossierLifecycle, Reception
from application.national_warehouse import (
    NationalQuery,
    NationalWarehouseUnavailableError,
)
from application.signing import check_of
from domain import bounds
from domain.digitized_document import DigitizedDocument, DocumentKind, Origin
from domain.dossier import Dossier
from domain.dossier_values import (
    DigitalAccount,
    DocumentMetadata,
    Holder,
    IssuedResult,
    PaymentChannel,
    ReturnMethod,
    Satisfaction,
    VersionedCalendar,
)
from domain.errors import Bilingual
from domain.files import StoredFile, UnknownFileError
from domain.procedure import Fee
from domain.values import Role, Trace

__all__ = ["CommandOutcome", "OneStop", "Reception"]

_ACCESS_ATTEMPTS = 5


class OneStop(DossierLifecycle):
    """Hệ thống một cửa điện tử: the write side of motcua."""

    name = "motcua"

    def refuse_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Refuse an online submission (Mẫu 03), with the reason."""
        return self.execute(
            dossier_id,
            lambda d, c: d.refuse(trace=trace, calendar=c, reason=reason),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def check_digital_account(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        account: DigitalAccount | None = None,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record the applicant's digital account (R-20): as the identity
        provider answers it, or as the desk ``account`` entered it."""

        def check(dossier: Dossier, calendar: VersionedCalendar) -> object:
            found = account
            if found is None:
                if self.identity is None:
                    raise IdentityUnavailableError()
                found = self.identity.account_of(dossier.applicant)
            dossier.check_digital_account(trace=trace, calendar=calendar, account=found)
            return None

        return self.execute(
            dossier_id, check, expected_version=expected_version, actor=trace.actor
        )

    def digitize_component(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        component_code: str,
        document: DocumentMetadata,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record a scanned component with its TT 01/2023 metadata.

        ``document.sha256`` names an uploaded file; the scan enters the
        owner's warehouse as ``document.document_id`` in the same save.
        """

        def digitize(dossier: Dossier, calendar: VersionedCalendar) -> object:
            if self.id_taken(document.document_id):
                raise DocumentExistsError(str(document.document_id))
            stored = dossier.digitize_component(
                trace=trace,
                calendar=calendar,
                component_code=component_code,
                document=document,
                file=self.files.facts(document.sha256),
            )
            self._record_signatures(stored, trace)
            return stored

        return self.execute(
            dossier_id, digitize, expected_version=expected_version, actor=trace.actor
        )

    def reuse_component(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        component_code: str,
        document_id: UUID,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Attach a valid document of the same owner and type from the warehouse."""

        def reuse(dossier: Dossier, calendar: VersionedCalendar) -> object:
            return dossier.reuse_component(
                trace=trace,
                calendar=calendar,
                component_code=component_code,
                document=self.warehouse_document(document_id),
            )

        return self.execute(
            dossier_id, reuse, expected_version=expected_version, actor=trace.actor
        )

    def reuse_from_national_warehouse(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        component_code: str,
        result_code: str,
        number_symbol: str = "",
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Bring the applicant's document of ``result_code`` from the national
        warehouse and reuse it for the component (R-21, DuocLayTuKhoDMQG): it
        enters the provincial warehouse as a ``NATIONAL`` document (provenance:
        the result code, issuer and number-symbol the warehouse gave; its
        signatures validated) and the reuse is recorded with the source
        ``national_warehouse``. Timeout, not found, malformed: typed, nothing
        written."""
        wanted = bounds.code(result_code, "resultCode")
        symbol = bounds.text(number_symbol, "numberSymbol", bounds.SHORT_TEXT_LENGTH)

        def reuse(dossier: Dossier, calendar: VersionedCalendar) -> object:
            component = dossier.reusable_component(trace, component_code)
            if self.national_warehouse is None:
                raise NationalWarehouseUnavailableError(
                    Bilingual("chưa cấu hình", "not configured")
                )
            found = self.national_warehouse.find(
                NationalQuery(
                    owner_id=dossier.applicant.id,
                    requester_id=trace.actor.id,
                    requester_name=trace.actor.id,
                    procedure_code=dossier.procedure_code,
                    result_code=wanted,
                    number_symbol=symbol,
                )
            )
            checks = self.signing.check_upload(found.pdf)
            digest = hashlib.sha256(found.pdf).hexdigest()
            file = self.files.add(
                found.pdf, StoredFile(digest, len(found.pdf), found.pages)
            )
            assert trace.actor.agency_code is not None  # desk role checked
            document = DigitizedDocument.register(
                trace=trace,
                owner_id=dossier.applicant.id,
                kind=DocumentKind.NATIONAL,
                type_code=component.document_type_code,
                metadata=DocumentMetadata(
                    document_id=uuid4(),
                    sha256=digest,
                    number_symbol=found.number_symbol,
                    issuer=found.issuer,
                    summary=found.name,
                ),
                file=file,
                origin=Origin(
                    trace.actor.agency_code, dossier.id, dossier.code, found.result_code
                ),
            )
            if checks:
                document.record_validation(
                    trace=trace,
                    checks=checks,
                    indication=checks[-1].indication,
                )
            return dossier.reuse_component(
                trace=trace,
                calendar=calendar,
                component_code=component_code,
                document=document,
            )

        return self.execute(
            dossier_id, reuse, expected_version=expected_version, actor=trace.actor
        )

    def open_document(
        self, document_id: UUID, *, trace: Trace
    ) -> tuple[DigitizedDocument, bytes]:
        """The document and its file's bytes (re-hashed), for one who may open it.

        An officer's download is recorded on the document (its owner sees
        who accessed it); the owner's own downloads are not.
        """
        for _ in range(_ACCESS_ATTEMPTS):
            document = self.warehouse_document(document_id)
            if document is None:
                raise DocumentNotFoundError(str(document_id))
            if not self._may_open(document, trace):
                raise DocumentNotFoundError(str(document_id))
            data = self.files.read(document.file.sha256)
            if trace.actor.role is Role.CITIZEN:
                return document, data
            document.record_access(trace=trace)
            try:
                self.save(document)
            except IntegrityError:
                continue  # reused meanwhile: record on the newer version
            return document, data
        raise ConcurrentWriteError()

    def sign_component(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        component_code: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """The receiving officer signs the stored scan (PAdES); the signed copy
        replaces it on the dossier and in the warehouse."""

        def sign(dossier: Dossier, calendar: VersionedCalendar) -> object:
            component = dossier.awaiting_signature(trace, component_code)
            document = (
                None
                if component.document_id is None
                else self.warehouse_document(component.document_id)
            )
            if document is None:  # scanned before files were kept
                raise UnknownFileError(component.sha256 or component_code)
            signed, check = self.signing.sign(
                document.file, trace.actor, "Số hóa thành phần hồ sơ"
            )
            return dossier.sign_component(
                trace=trace,
                calendar=calendar,
                component_code=component_code,
                document=document,
                signed=signed,
                check=check,
            )

        return self.execute(
            dossier_id, sign, expected_version=expected_version, actor=trace.actor
        )

    def validate_document(
        self, document_id: UUID, *, trace: Trace
    ) -> DigitizedDocument:
        """Validate the signatures of a document's file again; the outcome is
        appended to the document (an earlier one is never overwritten)."""
        for _ in range(_ACCESS_ATTEMPTS):
            document = self.warehouse_document(document_id)
            if document is None or not self._may_open(document, trace):
                raise DocumentNotFoundError(str(document_id))
            validation = self.signing.port().validate(
                self.files.read(document.file.sha256)
            )
            checks = tuple(check_of(r) for r in validation.signatures)
            document.record_validation(
                trace=trace, checks=checks, indication=validation.indication.value
            )
            try:
                self.save(document)
            except IntegrityError:
                continue
            return document
        raise ConcurrentWriteError()

    def forward_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        to: Holder,
        note: str = "",
        planned_due_at: datetime | None = None,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Hand the dossier to a registered department or agency of the province,
        or to a competent agency of a connected province (R-17)."""
        self.check_in_force(to.agency_code, trace.at)
        return self.execute(
            dossier_id,
            lambda d, c: d.forward(
                trace=trace,
                calendar=c,
                to=to,
                registry=self,
                note=note,
                planned_due_at=planned_due_at,
                peers=self.options.peer_provinces,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def request_supplement(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        items: tuple[str, ...],
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Ask the applicant for missing components (Mẫu 02); the clock stops."""
        return self.execute(
            dossier_id,
            lambda d, c: d.request_supplement(
                trace=trace, calendar=c, items=items, reason=reason
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def receive_supplement(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        documents: dict[str, DocumentMetadata] | None = None,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record the supplement; the due time moves by the paused working time.
        Each document names a file its supplier may use (a citizen: their own
        upload); in-scope files of a received dossier enter the warehouse."""
        given = documents or {}

        def supplement(dossier: Dossier, calendar: VersionedCalendar) -> object:
            self.check_new_documents(given)
            entered = dossier.receive_supplement(
                trace=trace,
                calendar=calendar,
                documents=given,
                files=self.uploaded_files(trace.actor, given),
            )
            for document in entered:
                self.record_validation(document, trace)
            return entered

        return self.execute(
            dossier_id, supplement, expected_version=expected_version, actor=trace.actor
        )

    def request_payment(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        fees: tuple[Fee, ...],
        reason: str = "",
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Ask for fees or taxes; the clock stops until they are paid."""
        return self.execute(
            dossier_id,
            lambda d, c: d.request_payment(
                trace=trace, calendar=c, fees=fees, reason=reason
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def confirm_payment(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        channel: PaymentChannel,
        receipt: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Record a payment; the due time moves by the paused working time."""
        return self.execute(
            dossier_id,
            lambda d, c: d.confirm_payment(
                trace=trace, calendar=c, channel=channel, receipt=receipt
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def reappoint_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        due_at: datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Apologise and set a new due time (once, ≥ 1 working day before due)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.reappoint(
                trace=trace,
                calendar=c,
                due_at=due_at,
                reason=reason,
                cutoff_hours=self.apology_cutoff_hours,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def stop_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Stop processing (status 8)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.stop(trace=trace, calendar=c, reason=reason),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def withdraw_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        reason: str = "",
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """The applicant withdraws the dossier (status 7)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.withdraw(trace=trace, calendar=c, reason=reason),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def resolve_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        results: tuple[IssuedResult, ...],
        decision: str,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Issue the signed result (status 9); the citizen sees it once returned."""
        return self.execute(
            dossier_id,
            lambda d, c: self._signed_results(
                d.resolve(
                    trace=trace,
                    calendar=c,
                    results=results,
                    decision=decision,
                    files=self._new_documents(results),
                    granularity=self.granularity,
                ),
                trace,
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def _record_signatures(self, document: DigitizedDocument, trace: Trace) -> bool:
        """Validate the signatures an uploaded file already carries and record
        the outcome on its document; a signature that fails refuses it all.
        False when the file carries none."""
        validation = self.signing.validate(document.file)
        if validation is None:
            return False
        document.record_validation(
            trace=trace,
            checks=tuple(check_of(r) for r in validation.signatures),
            indication=validation.indication.value,
        )
        return True

    def _signed_results(
        self, documents: list[DigitizedDocument], trace: Trace
    ) -> list[DigitizedDocument]:
        """Results arrive signed (validated, recorded) or are signed now by the
        competent person and sealed by the agency (Decree 30/2020 Art. 5)."""
        for document in documents:
            if self._record_signatures(document, trace):
                continue
            signed, checks = self.signing.sign_result(
                document.file, trace.actor, "Kết quả giải quyết thủ tục hành chính"
            )
            document.record_signature(trace=trace, file=signed, check=checks[-1])
            document.record_validation(
                trace=trace, checks=checks, indication=checks[-1].indication
            )
        return documents

    def _may_open(self, document: DigitizedDocument, trace: Trace) -> bool:
        related = [document.origin.dossier_id, *document.reused_by]
        dossiers = [self.get_dossier(i) for i in dict.fromkeys(related) if i]
        return document.may_open(trace.actor, dossiers)

    def _new_documents(
        self, results: tuple[IssuedResult, ...]
    ) -> dict[str, StoredFile | None]:
        """The stored file of each result, once its warehouse id is known free."""
        for result in results:
            if self.id_taken(result.document_id):
                raise DocumentExistsError(str(result.document_id))
        return {r.sha256: self.files.facts(r.sha256) for r in results}

    def return_result(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        method: ReturnMethod,
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """Hand the result over at the desk, by post or electronically (status 10)."""
        return self.execute(
            dossier_id,
            lambda d, c: d.return_result(trace=trace, calendar=c, method=method),
            expected_version=expected_version,
            actor=trace.actor,
        )

    def rate_dossier(
        self,
        dossier_id: UUID,
        *,
        trace: Trace,
        satisfaction: Satisfaction,
        comment: str = "",
        expected_version: int | None = None,
    ) -> CommandOutcome:
        """The applicant rates the service once."""
        return self.execute(
            dossier_id,
            lambda d, c: d.rate(
                trace=trace, calendar=c, satisfaction=satisfaction, comment=comment
            ),
            expected_version=expected_version,
            actor=trace.actor,
        )
