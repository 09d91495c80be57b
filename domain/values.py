# Value types stored inside events: a storage contract (add fields with defaults only).
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from uuid import UUID

from domain import bounds
from domain.errors import (
    InvalidAgencyCodeError,
    InvalidFieldCodeError,
    InvalidValueError,
)

_AGENCY_CODE = re.compile(r"^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})\Z", re.ASCII)
_FIELD_CODE = re.compile(r"^[A-Z]\d{2}-[A-Z0-9]{1,12}\Z", re.ASCII)
_ZERO = {3: "000", 2: "00"}
#: Codes that passed the check (a unit code never becomes invalid).
_VALID_AGENCY_CODES: set[str] = set()


@dataclass(frozen=True, order=True)
class AgencyCode:
    """QCVN 102:2016 identifier ``V1V2V3.Z1Z2.Y1Y2.MX1X2`` of a state unit."""

    value: str

    def __post_init__(self) -> None:
        value = self.value
        if type(value) is str and value in _VALID_AGENCY_CODES:
            return  # checked before: commands name the same few units again
        match = _AGENCY_CODE.match(value)
        if match is None:
            raise InvalidAgencyCodeError(value)
        v, z, y, _ = match.groups()
        if (z != "00" and y == "00") or (v != "000" and z == "00"):
            raise InvalidAgencyCodeError(value)
        if type(value) is str and len(_VALID_AGENCY_CODES) < 100_000:
            _VALID_AGENCY_CODES.add(value)

    def __str__(self) -> str:
        return self.value

    @property
    def level1(self) -> str:
        return self.value[-3:]

    @property
    def province(self) -> AgencyCode:
        """The level-1 unit this one belongs to, e.g. ``000.00.00.H34``."""
        return AgencyCode(f"000.00.00.{self.level1}")

    @property
    def depth(self) -> int:
        """1 for a level-1 unit (province), up to 4."""
        v, z, y, _ = self.value.split(".")
        return 1 + sum(1 for part in (y, z, v) if part.strip("0"))

    @property
    def parent(self) -> AgencyCode | None:
        v, z, y, m = self.value.split(".")
        if v != "000":
            return AgencyCode(f"000.{z}.{y}.{m}")
        if z != "00":
            return AgencyCode(f"000.00.{y}.{m}")
        if y != "00":
            return AgencyCode(f"000.00.00.{m}")
        return None

    def is_within(self, ancestor: AgencyCode) -> bool:
        """True when this unit is ``ancestor`` or lies in its subtree."""
        node: AgencyCode | None = self
        while node is not None:
            if node == ancestor:
                return True
            node = node.parent
        return False


def validate_field_code(code: str) -> str:
    """TT 01/2018 Art. 20 field code ``MX1X2-LV``."""
    if not _FIELD_CODE.match(code):
        raise InvalidFieldCodeError(code)
    return code


class AgencyLevel(Enum):
    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"


class Role(Enum):
    CITIZEN = "citizen"
    DESK = "desk"
    SPECIALIST = "specialist"
    LEADER = "leader"
    SYSTEM = "system"

    def label(self, language: str = "vi") -> str:
        vi, en = _ROLE_LABELS[self.value]
        return en if language.startswith("en") else vi


_ROLE_LABELS = {
    "citizen": ("công dân", "citizen"),
    "desk": ("cán bộ một cửa", "desk officer"),
    "specialist": ("chuyên viên", "specialist"),
    "leader": ("lãnh đạo", "leader"),
    "system": ("hệ thống", "system"),
}

OFFICER_ROLES = frozenset({Role.DESK, Role.SPECIALIST, Role.LEADER})


@dataclass(frozen=True)
class Authentication:
    """How a citizen was authenticated (R-61): token issuer and e-ID level."""

    issuer: str
    eid_level: int

    def __post_init__(self) -> None:
        bounds.text(self.issuer, "authentication.issuer", 512, required=True)
        if type(self.eid_level) is not int or self.eid_level not in (1, 2):
            raise InvalidValueError(
                "authentication.eidLevel", "mức 1 hoặc 2", "level 1 or 2"
            )


@dataclass(frozen=True)
class Actor:
    """Who acted: a citizen, an officer of a unit, or the system itself."""

    id: str
    role: Role
    agency_code: str | None = None
    department: str | None = None
    authentication: Authentication | None = None

    def __post_init__(self) -> None:
        # Token claims become part of every event: bounded like any value.
        bounds.text(self.id, "actor.id", bounds.SHORT_TEXT_LENGTH, required=True)
        if self.department is not None:
            bounds.text(self.department, "actor.department", bounds.NAME_LENGTH)

    @property
    def is_officer(self) -> bool:
        return self.role in OFFICER_ROLES


@dataclass(frozen=True)
class Trace:
    """The who/when/why-chain every event carries.

    ``at`` is the effective (business) time; the event's own timestamp is
    the recorded time, and they differ when history is imported or simulated.
    """

    actor: Actor
    at: datetime
    correlation_id: UUID
    causation_id: UUID | None = None

    def __post_init__(self) -> None:
        bounds.instant(self.at, "at")


@dataclass(frozen=True)
class LegalAct:
    """The legal act a change rests on: its number/symbol and date of issue,
    e.g. ``LegalAct("202/2025/QH15", date(2025, 6, 12))``."""

    number: str
    issued_on: date

    def __post_init__(self) -> None:
        number = bounds.text(
            self.number, "legalAct.number", bounds.SHORT_TEXT_LENGTH, required=True
        )
        object.__setattr__(self, "number", number.strip())
        bounds.document_date(self.issued_on, "legalAct.issuedOn")

    def __str__(self) -> str:
        return f"{self.number} ({self.issued_on:%d/%m/%Y})"
