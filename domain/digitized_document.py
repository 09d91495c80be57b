# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""The citizen data warehouse (Kho quản lý dữ liệu điện tử): one aggregate per
digitized document or result, with its TT 01/2023 metadata (R-23) and every
reuse and officer access recorded on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import ClassVar, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.dossier_values import DocumentMetadata, ReuseSource
from domain.errors import Bilingual as B
from domain.errors import DomainError, InvalidValueError
from domain.files import SignatureCheck, StoredFile
from domain.values import Actor, Role, Trace

_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

#: Validity of a digitized document whose metadata gives neither an end nor
#: "permanent": six months from digitization (Thanh Hóa's practice, domain.md §4.5).
DEFAULT_VALIDITY = timedelta(days=183)


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in Vietnam (validity is counted in days)."""
    return moment.astimezone(_VIETNAM).date()


def validity_end(metadata: DocumentMetadata, digitized_at: datetime) -> date | None:
    """Last day a document is valid; None when permanent. Neither an end nor
    "permanent" given: ``DEFAULT_VALIDITY`` from its digitization."""
    if metadata.permanent:
        return None
    if metadata.valid_until is not None:
        return metadata.valid_until
    return local_date(digitized_at + DEFAULT_VALIDITY)


class DocumentKind(Enum):
    """LoaiSoHoa: a dossier component (0) or a result (1); or a document
    brought from the national warehouse (DVCQG Kho)."""

    COMPONENT = "component"
    RESULT = "result"
    NATIONAL = "national"

    @property
    def reuse_source(self) -> ReuseSource:
        return {
            DocumentKind.COMPONENT: ReuseSource.WAREHOUSE_COMPONENT,
            DocumentKind.RESULT: ReuseSource.WAREHOUSE_RESULT,
            DocumentKind.NATIONAL: ReuseSource.NATIONAL_WAREHOUSE,
        }[self]


class ReuseRefusedError(DomainError):
    """A document offered for reuse that this dossier may not take.

    The same answer for a document that does not exist and one of another
    owner, so reuse reveals nothing about other people's documents.
    """

    code = "REUSE_REFUSED"
    vi = "Không thể tái sử dụng giấy tờ: {a0}"
    en = "The document cannot be reused: {a0}"


NOT_FOUND = B(
    "không có giấy tờ này trong kho của người nộp",
    "no such document in the applicant's warehouse",
)


class DossierView(Protocol):
    """What the access rule needs of a dossier (``domain.dossier.Dossier``)."""

    @property
    def id(self) -> UUID: ...

    @property
    def result_returned(self) -> bool: ...

    def visible_to(self, actor: Actor) -> bool: ...


@dataclass(frozen=True)
class Origin:
    """Where a document was digitized or issued."""

    agency_code: str
    dossier_id: UUID | None = None
    dossier_code: str | None = None
    item_code: str = ""
    """The component code (or result code) in that dossier."""


class DigitizedDocument(Aggregate):
    """GiayToSoHoa: a document in its owner's warehouse."""

    class Event(Aggregate.Event):
        trace: Trace

    class Registered(Event, Aggregate.Created):
        owner_id: str
        kind: DocumentKind
        type_code: str
        """The document type code (MaGiayTo) or the result code (MaKetQua)."""
        metadata: DocumentMetadata
        file: StoredFile
        origin: Origin

        def apply(self, aggregate: DigitizedDocument) -> None:
            aggregate.owner_id = self.owner_id
            aggregate.kind = self.kind
            aggregate.type_code = self.type_code
            aggregate.metadata = self.metadata
            aggregate.file = self.file
            aggregate.origin = self.origin
            aggregate.digitized_at = self.trace.at
            aggregate.digitizer = self.trace.actor.id

    class Reused(Event):
        dossier_id: UUID
        dossier_code: str | None
        component_code: str

        def apply(self, aggregate: DigitizedDocument) -> None:
            aggregate.reused_by = [*aggregate.reused_by, self.dossier_id]

    class Signed(Event):
        """The file now carries one more signature (the signed copy replaces it)."""

        file: StoredFile
        check: SignatureCheck

        def apply(self, aggregate: DigitizedDocument) -> None:
            aggregate.file = self.file
            aggregate.checks = [*aggregate.checks, self.check]

    class SignaturesValidated(Event):
        """The signatures the file carries, validated now (appended, never
        replacing an earlier validation)."""

        checks: tuple[SignatureCheck, ...]
        indication: str

        def apply(self, aggregate: DigitizedDocument) -> None:
            aggregate.checks = list(self.checks)

    class Accessed(Event):
        """An officer downloaded the document (visible to its owner)."""

        def apply(self, aggregate: DigitizedDocument) -> None:
            pass

    personal_text_fields: ClassVar[frozenset[str]] = frozenset({"owner_id"})
    """The owner's id: stored sealed under the owner's key, so shredding the
    owner leaves the document's trail without naming them."""

    @property
    def data_subject(self) -> str:
        """Whose personal data this document is."""
        return self.owner_id

    owner_id: str
    kind: DocumentKind
    type_code: str
    metadata: DocumentMetadata
    file: StoredFile
    origin: Origin
    reused_by: list[UUID]
    digitized_at: datetime
    digitizer: str

    def __init__(self) -> None:
        self.reused_by = []
        self.checks: list[SignatureCheck] = []
        """The latest validation of each signature the file carries."""

    @classmethod
    def register(
        cls,
        *,
        trace: Trace,
        owner_id: str,
        kind: DocumentKind,
        type_code: str,
        metadata: DocumentMetadata,
        file: StoredFile,
        origin: Origin,
    ) -> DigitizedDocument:
        bounds.code(type_code, "typeCode")
        if metadata.sha256 != file.sha256:
            raise InvalidValueError(
                "document.sha256",
                "khác mã băm của tệp đã lưu",
                "differs from the stored file's hash",
            )
        return cls._create(
            cls.Registered,
            id=metadata.document_id,
            trace=trace,
            owner_id=owner_id,
            kind=kind,
            type_code=type_code,
            metadata=metadata,
            file=file,
            origin=origin,
        )

    @property
    def valid_until(self) -> date | None:
        """Last day of validity; None when permanent (ThoiHanVinhVien)."""
        return validity_end(self.metadata, self.digitized_at)

    def valid_on(self, day: date) -> bool:
        end = self.valid_until
        return end is None or day <= end

    def check_reusable(self, *, owner_id: str, type_codes: set[str], on: date) -> None:
        """May a dossier of ``owner_id`` take this document for a component of
        one of ``type_codes`` on ``on``? ``ReuseRefusedError`` says why not."""
        if self.owner_id != owner_id:
            raise ReuseRefusedError(NOT_FOUND)
        if self.type_code not in type_codes:
            raise ReuseRefusedError(
                B(
                    f"giấy tờ loại {self.type_code} không dùng cho thành phần này",
                    f"a document of type {self.type_code} does not fit this component",
                )
            )
        if not self.valid_on(on):
            raise ReuseRefusedError(
                B(
                    f"giấy tờ đã hết hiệu lực từ {self.valid_until}",
                    f"the document expired on {self.valid_until}",
                )
            )

    def may_open(self, actor: Actor, dossiers: Sequence[DossierView]) -> bool:
        """Who may download the file: its owner (a result only once its dossier
        was returned, R-25), or an officer who may see a dossier it came from
        or was reused in (``dossiers``); anyone else is told it does not exist."""
        if actor.role is Role.CITIZEN:
            if actor.id != self.owner_id:
                return False
            if self.kind is not DocumentKind.RESULT:
                return True
            source = next((d for d in dossiers if d.id == self.origin.dossier_id), None)
            return source is not None and source.result_returned
        if actor.role is Role.SYSTEM:
            return True
        return any(d.visible_to(actor) for d in dossiers)

    def record_reuse(
        self,
        *,
        trace: Trace,
        dossier_id: UUID,
        dossier_code: str | None,
        component_code: str,
    ) -> None:
        self.trigger_event(
            self.Reused,
            trace=trace,
            dossier_id=dossier_id,
            dossier_code=dossier_code,
            component_code=component_code,
        )

    def record_signature(
        self, *, trace: Trace, file: StoredFile, check: SignatureCheck
    ) -> None:
        self.trigger_event(self.Signed, trace=trace, file=file, check=check)

    def record_validation(
        self, *, trace: Trace, checks: tuple[SignatureCheck, ...], indication: str
    ) -> None:
        self.trigger_event(
            self.SignaturesValidated, trace=trace, checks=checks, indication=indication
        )

    def record_access(self, *, trace: Trace) -> None:
        self.trigger_event(self.Accessed, trace=trace)
