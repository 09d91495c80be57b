"""The dossier's components: digitized at the desk, reused from the owner's
warehouse, signed (R-19–R-23), and what enters the warehouse.

Methods of ``domain.dossier.Dossier`` (a mixin: the aggregate's rules and
events stay the aggregate's; this only groups its commands by concern).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from domain import bounds
from domain import dossier_events as events
from domain.digitized_document import NOT_FOUND as NO_SUCH_DOCUMENT
from domain.digitized_document import (
    DigitizedDocument,
    DocumentKind,
    Origin,
    ReuseRefusedError,
    local_date,
)
from domain.dossier_checks import digitizable
from domain.dossier_rules import Command
from domain.dossier_values import (
    ComponentState,
    ComponentStatus,
    DocumentMetadata,
    VersionedCalendar,
)
from domain.errors import Bilingual as B
from domain.errors import ComponentError
from domain.files import SignatureCheck, StoredFile, UnknownFileError
from domain.procedure import DigitizationScope
from domain.values import Trace

if TYPE_CHECKING:
    from domain.dossier_self import DossierSelf


class ComponentCommands:
    def digitize_component(
        self: DossierSelf,
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
        component = digitizable(self.components, component_code)
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
            events.ComponentDigitized,
            trace,
            calendar,
            component_code=component_code,
            document=document,
            file=file,
        )
        return stored

    def reusable_component(
        self: DossierSelf, trace: Trace, component_code: str
    ) -> ComponentState:
        """The component ``trace.actor`` may fill by reuse now (checked before
        asking a remote warehouse)."""
        self._check(Command.REUSE_COMPONENT, trace)
        return digitizable(self.components, component_code)

    def reuse_component(
        self: DossierSelf,
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
        component = digitizable(self.components, component_code)
        if document is None:
            raise ReuseRefusedError(NO_SUCH_DOCUMENT)
        document.check_reusable(
            owner_id=self.applicant.id,
            type_codes={component.document_type_code},
            on=local_date(trace.at),
        )
        self._record(
            events.ComponentReused,
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

    def awaiting_signature(
        self: DossierSelf, trace: Trace, component_code: str
    ) -> ComponentState:
        """The digitized, unsigned component ``trace.actor`` may sign now."""
        self._check(Command.SIGN_COMPONENT, trace)
        component = self._component(component_code)
        if component.status is not ComponentStatus.DIGITIZED or component.signed_by:
            raise ComponentError(
                B(
                    f"{component_code} không ở trạng thái chờ ký số",
                    f"{component_code} is not awaiting a signature",
                )
            )
        return component

    def sign_component(
        self: DossierSelf,
        *,
        trace: Trace,
        calendar: VersionedCalendar,
        component_code: str,
        document: DigitizedDocument,
        signed: StoredFile,
        check: SignatureCheck,
    ) -> DigitizedDocument:
        """Record the receiving officer's PAdES signature on the scan: the
        signed copy replaces it on the dossier and in the warehouse."""
        component = self.awaiting_signature(trace, component_code)
        if document.id != component.document_id or not check.passed:
            raise ComponentError(
                B(
                    f"{component_code}: chữ ký không khớp bản quét",
                    f"{component_code}: the signature does not match the scan",
                )
            )
        self._record(
            events.ComponentSigned,
            trace,
            calendar,
            component_code=component_code,
            signature_sha256=signed.sha256,
            file=signed,
            check=check,
        )
        document.record_signature(trace=trace, file=signed, check=check)
        return document

    def _warehouse_entries(
        self: DossierSelf,
        trace: Trace,
        documents: Mapping[str, DocumentMetadata],
        files: Mapping[str, StoredFile],
    ) -> list[DigitizedDocument]:
        """In-scope components received as files enter the owner's warehouse
        like desk scans (TT 01/2023: results of earlier procedures and what
        sector law requires; R-22/R-23), with the dossier code as source.
        Files recorded before their facts were kept stay out."""
        agency = self.receiving_agency or self.competent_agency
        entered = []
        for code, metadata in documents.items():
            component = self.components.get(code)
            file = files.get(metadata.sha256)
            if (
                file is None
                or component is None
                or component.scope is not DigitizationScope.IN_SCOPE
                or component.document_id != metadata.document_id
            ):
                continue
            entered.append(
                DigitizedDocument.register(
                    trace=trace,
                    owner_id=self.applicant.id,
                    kind=DocumentKind.COMPONENT,
                    type_code=component.document_type_code,
                    metadata=metadata,
                    file=file,
                    origin=Origin(agency, self.id, self.code, code),
                )
            )
        return entered

    def _component(self: DossierSelf, code: str) -> ComponentState:
        bounds.code(code, "componentCode")
        try:
            return self.components[code]
        except KeyError:
            raise ComponentError(code) from None

    def _set_component(self: DossierSelf, code: str, **changes: object) -> None:
        self.components[code] = replace(self.components[code], **changes)  # type: ignore[arg-type]
