"""Values recorded in dossier events (a storage contract: add fields with defaults)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from uuid import UUID

from domain.deadline import TimeLimit
from domain.errors import MissingDataError
from domain.procedure import Component, DigitizationScope, ProcedureDefinition
from domain.working_time import WorkingCalendar

_PERSONAL_ID = re.compile(r"^\d{12}$")
_ENTERPRISE_CODE = re.compile(r"^\d{10}(-\d{3})?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ApplicantKind(Enum):
    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class Applicant:
    """The owner of a dossier: a 12-digit personal id or an enterprise code."""

    id: str
    name: str
    kind: ApplicantKind = ApplicantKind.CITIZEN

    def __post_init__(self) -> None:
        pattern = (
            _PERSONAL_ID if self.kind is ApplicantKind.CITIZEN else _ENTERPRISE_CODE
        )
        if not pattern.match(self.id):
            raise MissingDataError(f"applicant id {self.id!r} ({self.kind.value})")
        if not self.name.strip():
            raise MissingDataError("applicant name")


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

    def __post_init__(self) -> None:
        if not _SHA256.match(self.sha256):
            raise MissingDataError("document sha256")


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

    def __post_init__(self) -> None:
        if not _SHA256.match(self.sha256):
            raise MissingDataError("result sha256")


@dataclass(frozen=True)
class Holder:
    """Who holds the dossier now: an agency and optionally one of its departments."""

    agency_code: str
    department: str | None = None


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
