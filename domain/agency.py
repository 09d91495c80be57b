# Storage contract: event classes below only gain fields; rename/move = register_topic.
from __future__ import annotations

from typing import Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.errors import InvalidAgencyCodeError, MissingDataError, field_name
from domain.values import AgencyCode, AgencyLevel, Trace

_LEVEL_DEPTH = {
    AgencyLevel.PROVINCE: 1,
    AgencyLevel.DEPARTMENT: 2,
    AgencyLevel.DISTRICT: 2,
    AgencyLevel.COMMUNE: 3,
}


class AgencyRegistry(Protocol):
    """The agency catalogue as dossier rules need it (R-03: registered units only)."""

    def departments_of(self, code: str) -> frozenset[str] | None:
        """Department codes of a registered unit; ``None`` when it is not registered."""
        ...


class Agency(Aggregate):
    """A state unit with a QCVN 102:2016 identifier and its departments (phòng ban)."""

    class Registered(Aggregate.Created):
        trace: Trace
        code: AgencyCode
        name: str
        level: AgencyLevel

        def apply(self, aggregate: Agency) -> None:
            aggregate.code = self.code
            aggregate.name = self.name
            aggregate.level = self.level
            aggregate.departments = {}

    class DepartmentAdded(Aggregate.Event):
        trace: Trace
        department_code: str
        name: str

        def apply(self, aggregate: Agency) -> None:
            aggregate.departments[self.department_code] = self.name

    class Renamed(Aggregate.Event):
        trace: Trace
        name: str

        def apply(self, aggregate: Agency) -> None:
            aggregate.name = self.name

    code: AgencyCode
    name: str
    level: AgencyLevel
    departments: dict[str, str]

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @staticmethod
    def create_id(code: AgencyCode) -> UUID:
        return uuid5(NAMESPACE_URL, f"/agencies/{code.value}")

    @classmethod
    def register(
        cls, *, trace: Trace, code: AgencyCode, name: str, level: AgencyLevel
    ) -> Agency:
        if not name.strip():
            raise MissingDataError(field_name("name"))
        name = bounds.text(name, "name", bounds.NAME_LENGTH, required=True)
        depth = _LEVEL_DEPTH[level]
        if code.depth != depth and not (
            level is AgencyLevel.COMMUNE and code.depth == 4
        ):
            raise InvalidAgencyCodeError(code.value, level=level.value)
        return cls._create(
            cls.Registered,
            id=cls.create_id(code),
            trace=trace,
            code=code,
            name=name.strip(),
            level=level,
        )

    @property
    def parent_code(self) -> AgencyCode | None:
        return self.code.parent

    def add_department(self, *, trace: Trace, department_code: str, name: str) -> None:
        if not department_code.strip() or not name.strip():
            raise MissingDataError(field_name("department"))
        bounds.code(department_code, "departmentCode")
        name = bounds.text(name, "name", bounds.NAME_LENGTH, required=True)
        if self.departments.get(department_code) == name:
            return
        self.trigger_event(
            self.DepartmentAdded,
            trace=trace,
            department_code=department_code,
            name=name.strip(),
        )

    def rename(self, *, trace: Trace, name: str) -> None:
        if not name.strip():
            raise MissingDataError(field_name("name"))
        name = bounds.text(name, "name", bounds.NAME_LENGTH, required=True)
        if name != self.name:
            self.trigger_event(self.Renamed, trace=trace, name=name.strip())
