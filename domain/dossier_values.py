"""Values recorded in dossier events (a storage contract: add fields with defaults)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from uuid import UUID

from domain import bounds
from domain.deadline import TimeLimit
from domain.errors import InvalidValueError
from domain.procedure import Component, DigitizationScope, ProcedureDefinition
from domain.values import AgencyCode
from domain.working_time import WorkingCalendar

# Enterprise/tax codes: 10 digits, or 13 for a branch or dependent unit,
# written NNNNNNNNNN-NNN (Circular 105/2020/TT-BTC) or as 13 plain digits.
_TAX_CODE = re.compile(r"[0-9]{10}(?:-?[0-9]{3})?", re.ASCII)
_PLAIN_13 = re.compile(r"[0-9]{13}", re.ASCII)

_APPLICANT_IDS: dict[str, tuple[re.Pattern[str], str, str]] = {
    # The first three digits are the province of birth registration, 001-096
    # (Circular 07/2016/TT-BCA); 000 and 097-999 are no province.
    "citizen": (
        re.compile(r"0(?:0[1-9]|[1-8][0-9]|9[0-6])[0-9]{9}", re.ASCII),
        "số định danh cá nhân 12 chữ số, bắt đầu bằng mã tỉnh 001-096",
        "a 12-digit personal identification number starting with a province"
        " code 001-096",
    ),
    "identity_card": (
        re.compile(r"[0-9]{9}", re.ASCII),
        "số chứng minh nhân dân 9 chữ số",
        "a 9-digit identity card number",
    ),
    "passport": (
        re.compile(r"[A-Z0-9]{6,12}", re.ASCII),
        "số hộ chiếu 6-12 chữ in hoa hoặc chữ số",
        "a passport number of 6-12 capital letters or digits",
    ),
    "enterprise": (
        _TAX_CODE,
        "mã số doanh nghiệp 10 hoặc 13 chữ số (NNNNNNNNNN-NNN)",
        "a 10- or 13-digit enterprise code (NNNNNNNNNN-NNN)",
    ),
    "cooperative": (
        _TAX_CODE,
        "mã số hợp tác xã 10 hoặc 13 chữ số (NNNNNNNNNN-NNN)",
        "a 10- or 13-digit cooperative code (NNNNNNNNNN-NNN)",
    ),
    "organisation": (
        re.compile(r"[0-9]{7}", re.ASCII),
        "mã đơn vị có quan hệ với ngân sách 7 chữ số",
        "a 7-digit budget-unit code",
    ),
}


class ApplicantKind(Enum):
    """Who the applicant is, each with its own identifier rule."""

    CITIZEN = "citizen"  # CCCD / personal identification number, 12 digits
    IDENTITY_CARD = "identity_card"  # old CMND, 9 digits
    PASSPORT = "passport"  # foreigners
    ENTERPRISE = "enterprise"  # enterprise/tax code, 10 digits or NNNNNNNNNN-NNN
    COOPERATIVE = "cooperative"  # cooperative code, same form as enterprises
    ORGANISATION = "organisation"  # other organisations: budget-unit code, 7 digits

    def check(self, applicant_id: object) -> str:
        """The identifier in its one canonical form, or ``InvalidValueError``."""
        pattern, vi, en = _APPLICANT_IDS[self.value]
        if not isinstance(applicant_id, str) or not pattern.fullmatch(applicant_id):
            raise InvalidValueError("applicantId", vi, en)
        return canonical_applicant_id(applicant_id)


def canonical_applicant_id(value: str) -> str:
    """One owner, one spelling: a 13-digit tax code as ``NNNNNNNNNN-NNN``.

    No other identifier form has 13 plain digits, so this applies to dossier
    owners and citizen token subjects alike, whatever kind they claim.
    """
    if _PLAIN_13.fullmatch(value):
        return f"{value[:10]}-{value[10:]}"
    return value


def applicant_id_forms() -> tuple[re.Pattern[str], ...]:
    """Every identifier form an applicant (and so a citizen token subject) may have."""
    return tuple(pattern for pattern, _, _ in _APPLICANT_IDS.values())


@dataclass(frozen=True)
class Applicant:
    """The owner of a dossier, identified by the rule of its kind."""

    id: str
    name: str
    kind: ApplicantKind = ApplicantKind.CITIZEN

    def __post_init__(self) -> None:
        if not isinstance(self.kind, ApplicantKind):
            raise InvalidValueError("applicantKind", "không hợp lệ", "unknown kind")
        object.__setattr__(self, "id", self.kind.check(self.id))
        name = bounds.text(
            self.name, "applicantName", bounds.NAME_LENGTH, required=True
        )
        object.__setattr__(self, "name", name)


class Channel(Enum):
    """KenhThucHien: 1 at the desk, 2 online, 3 by public post."""

    DESK = "desk"
    ONLINE = "online"
    POST = "post"

    @property
    def national_code(self) -> int:
        return {Channel.DESK: 1, Channel.ONLINE: 2, Channel.POST: 3}[self]


class ComponentStatus(Enum):
    PENDING = "pending"
    ELECTRONIC = "electronic"
    DIGITIZED = "digitized"
    REUSED = "reused"
    NOT_DIGITIZED = "not_digitized"


class ReuseSource(Enum):
    """Where a reused document came from (DuocTaiSuDung / DuocLayTuKhoDMQG)."""

    WAREHOUSE_COMPONENT = "warehouse_component"
    WAREHOUSE_RESULT = "warehouse_result"
    NATIONAL_WAREHOUSE = "national_warehouse"


@dataclass(frozen=True)
class DocumentMetadata:
    """TT 01/2023 metadata of a digitized document (R-23)."""

    document_id: UUID
    sha256: str
    number_symbol: str = ""
    issued_on: date | None = None
    issuer: str = ""
    valid_until: date | None = None
    summary: str = ""
    signer: str = ""
    permanent: bool = False
    """Valid without end (ThoiHanVinhVien); then ``valid_until`` stays empty."""
    validity_scope: str = ""
    """Where the document is valid (PhamViHieuLuc), e.g. "toàn quốc"."""

    def __post_init__(self) -> None:
        bounds.uuid(self.document_id, "document.documentId")
        bounds.sha256(self.sha256, "document.sha256")
        for name, field, limit in (
            ("number_symbol", "numberSymbol", bounds.SHORT_TEXT_LENGTH),
            ("issuer", "issuer", bounds.SHORT_TEXT_LENGTH),
            ("summary", "summary", bounds.SUMMARY_LENGTH),
            ("signer", "signer", bounds.NAME_LENGTH),
            ("validity_scope", "validityScope", bounds.SHORT_TEXT_LENGTH),
        ):
            value = bounds.text(
                getattr(self, name), f"document.{field}", limit, multiline=True
            )
            object.__setattr__(self, name, value)
        bounds.document_date(self.issued_on, "document.issuedOn")
        bounds.document_date(self.valid_until, "document.validUntil")
        if type(self.permanent) is not bool:
            raise InvalidValueError("document.permanent", "đúng/sai", "true or false")
        if self.permanent and self.valid_until is not None:
            raise InvalidValueError(
                "document.validUntil",
                "giấy tờ vô thời hạn không có ngày hết hiệu lực",
                "a permanent document has no end of validity",
            )
        if (
            self.valid_until is not None
            and self.issued_on is not None
            and self.valid_until < self.issued_on
        ):
            raise InvalidValueError(
                "document.validUntil",
                "hết hiệu lực trước ngày ban hành",
                "ends before the issue date",
            )


@dataclass(frozen=True)
class ComponentState:
    code: str
    name: str
    document_type_code: str
    scope: DigitizationScope
    mandatory: bool
    status: ComponentStatus = ComponentStatus.PENDING
    document_id: UUID | None = None
    sha256: str = ""
    signed_by: str = ""
    reuse_source: ReuseSource | None = None

    @classmethod
    def from_component(cls, component: Component) -> ComponentState:
        status = (
            ComponentStatus.PENDING
            if component.scope is DigitizationScope.IN_SCOPE
            else ComponentStatus.NOT_DIGITIZED
        )
        return cls(
            code=component.code,
            name=component.name,
            document_type_code=component.document_type_code,
            scope=component.scope,
            mandatory=component.mandatory,
            status=status,
        )

    @property
    def ready_to_forward(self) -> bool:
        if not self.mandatory or self.scope is not DigitizationScope.IN_SCOPE:
            return True
        if self.status is ComponentStatus.DIGITIZED:
            return bool(self.signed_by)
        return self.status in (ComponentStatus.REUSED, ComponentStatus.ELECTRONIC)


@dataclass(frozen=True)
class DigitalAccount:
    """Result of checking the applicant's account (R-20)."""

    has_account: bool
    verified_with_vneid: bool = False
    eid_level: int = 0
    provider: str = ""
    """Who answered: an identity provider's name, or "officer" when the desk
    entered it (empty in events recorded before the provider port)."""

    def __post_init__(self) -> None:
        if type(self.eid_level) is not int or self.eid_level not in (0, 1, 2):
            raise InvalidValueError("eidLevel", "mức 0, 1 hoặc 2", "level 0, 1 or 2")


class ForwardKind(Enum):
    DEPARTMENT = "department"
    AGENCY = "agency"
    CROSS_BOUNDARY = "cross_boundary"


class PaymentChannel(Enum):
    DESK = "desk"
    ONLINE_NATIONAL = "online_national"
    ONLINE_LOCAL = "online_local"


class ReturnMethod(Enum):
    DESK = "desk"
    POST = "post"
    ELECTRONIC = "electronic"


class Satisfaction(Enum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"


@dataclass(frozen=True)
class IssuedResult:
    """A result document the competent person and the agency signed."""

    result_code: str
    document_id: UUID
    sha256: str
    number_symbol: str = ""
    valid_until: date | None = None
    permanent: bool = False

    def __post_init__(self) -> None:
        bounds.code(self.result_code, "results.resultCode")
        bounds.uuid(self.document_id, "results.documentId")
        bounds.sha256(self.sha256, "results.sha256")
        number_symbol = bounds.text(
            self.number_symbol, "results.numberSymbol", bounds.SHORT_TEXT_LENGTH
        )
        object.__setattr__(self, "number_symbol", number_symbol)
        bounds.document_date(self.valid_until, "results.validUntil")
        if type(self.permanent) is not bool or (
            self.permanent and self.valid_until is not None
        ):
            raise InvalidValueError(
                "results.permanent",
                "vô thời hạn thì không có ngày hết hiệu lực",
                "a permanent result has no end of validity",
            )


@dataclass(frozen=True)
class Holder:
    """Who holds the dossier now: an agency and optionally one of its departments."""

    agency_code: str
    department: str | None = None

    def __post_init__(self) -> None:
        AgencyCode(self.agency_code)
        if self.department is not None:
            bounds.code(self.department, "department")


@dataclass(frozen=True)
class VersionedCalendar:
    """A working calendar with the Calendar aggregate version it came from."""

    version: int
    calendar: WorkingCalendar


@dataclass(frozen=True)
class AppliedProcedure:
    """What a dossier keeps of the procedure version it follows.

    The full definition stays retrievable by procedure id and version, so the
    event carries only what the dossier's rules and read models use.
    """

    code: str
    name: str
    competent_agency: str
    time_limit: TimeLimit
    result_codes: tuple[str, ...]

    @classmethod
    def of(cls, definition: ProcedureDefinition) -> AppliedProcedure:
        return cls(
            code=definition.code,
            name=definition.name,
            competent_agency=definition.competent_agency.value,
            time_limit=definition.time_limit,
            result_codes=tuple(r.result_code for r in definition.results),
        )
