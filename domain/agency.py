# Storage contract: event classes below only gain fields; rename/move = register_topic.
from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.errors import (
    AgencyEndedError,
    EffectiveDateError,
    InvalidAgencyCodeError,
    MissingDataError,
    field_name,
)
from domain.named_ids import url_id
from domain.values import AgencyCode, AgencyLevel, LegalAct, Trace

_LEVEL_DEPTH = {
    AgencyLevel.PROVINCE: 1,
    AgencyLevel.DEPARTMENT: 2,
    AgencyLevel.DISTRICT: 2,
    AgencyLevel.COMMUNE: 3,
}
_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def business_day(trace: Trace, effective_on: date | None) -> date:
    """The day a change counts from: its effective date, else when it was done."""
    return effective_on or trace.at.astimezone(_VIETNAM).date()


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
        effective_on: date | None = None
        """Established on (None: registered without a date, e.g. the seed)."""
        legal_act: LegalAct | None = None
        parent_code: str | None = None
        """Structural parent when it differs from the code's (two-tier communes)."""
        predecessors: tuple[str, ...] = ()

        def apply(self, aggregate: Agency) -> None:
            aggregate.code = self.code
            aggregate.name = self.name
            aggregate.level = self.level
            aggregate.departments = {}
            aggregate.parent = self.parent_code
            aggregate.predecessors = tuple(self.predecessors)
            aggregate.established_on = self.effective_on
            aggregate.last_day = business_day(self.trace, self.effective_on)

    class DepartmentAdded(Aggregate.Event):
        trace: Trace
        department_code: str
        name: str

        def apply(self, aggregate: Agency) -> None:
            aggregate.departments[self.department_code] = self.name

    class Renamed(Aggregate.Event):
        trace: Trace
        name: str
        effective_on: date | None = None
        legal_act: LegalAct | None = None

        def apply(self, aggregate: Agency) -> None:
            aggregate.name = self.name
            aggregate.last_day = business_day(self.trace, self.effective_on)

    class Change(Aggregate.Event):
        """Base of the lifecycle changes: each effective on a day, by a legal act."""

        trace: Trace
        effective_on: date
        legal_act: LegalAct

        def apply(self, aggregate: Agency) -> None:
            aggregate.last_day = self.effective_on

    class Reparented(Change):
        parent_code: str

        def apply(self, aggregate: Agency) -> None:
            super().apply(aggregate)
            aggregate.parent = self.parent_code

    class Ended(Change):
        """Base of the four ways a unit ends; never recorded itself."""

        successors: tuple[str, ...]

        def apply(self, aggregate: Agency) -> None:
            super().apply(aggregate)
            aggregate.ended_on = self.effective_on
            aggregate.successors = tuple(self.successors)
            aggregate.end = type(self).__name__

    class CodeChanged(Ended):
        """The unit goes on under a new code (its only successor)."""

    class MergedInto(Ended):
        """Merged into one successor (sáp nhập / hợp nhất)."""

    class Split(Ended):
        """Split among successors (chia tách); per procedure, who takes over."""

        procedure_successors: dict[str, str]

        def apply(self, aggregate: Agency) -> None:
            super().apply(aggregate)
            aggregate.procedure_successors = tuple(
                sorted(self.procedure_successors.items())
            )

    class Dissolved(Ended):
        """Dissolved (giải thể); successors may be empty."""

        reason: str

    code: AgencyCode
    name: str
    level: AgencyLevel
    departments: dict[str, str]
    # Lifecycle state; class defaults keep snapshots taken before it readable.
    parent: str | None = None
    predecessors: tuple[str, ...] = ()
    established_on: date | None = None
    ended_on: date | None = None
    end: str | None = None
    successors: tuple[str, ...] = ()
    procedure_successors: tuple[tuple[str, str], ...] = ()
    last_day: date | None = None

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @staticmethod
    def create_id(code: AgencyCode) -> UUID:
        return url_id(f"/agencies/{code.value}")

    @classmethod
    def register(
        cls,
        *,
        trace: Trace,
        code: AgencyCode,
        name: str,
        level: AgencyLevel,
        effective_on: date | None = None,
        legal_act: LegalAct | None = None,
        parent_code: str | None = None,
        predecessors: tuple[str, ...] = (),
    ) -> Agency:
        if not name.strip():
            raise MissingDataError(field_name("name"))
        name = bounds.text(name, "name", bounds.NAME_LENGTH, required=True)
        depth = _LEVEL_DEPTH[level]
        # Two-tier local government (since 2025) puts communes directly under
        # the province: a commune is a level-2, -3 or -4 unit.
        if code.depth != depth and not (
            level is AgencyLevel.COMMUNE and code.depth in (2, 4)
        ):
            raise InvalidAgencyCodeError(code.value, level=level.value)
        if parent_code is not None:
            parent_code = AgencyCode(parent_code).value
        bounds.document_date(effective_on, "effectiveOn")
        return cls._create(
            cls.Registered,
            id=cls.create_id(code),
            trace=trace,
            code=code,
            name=name.strip(),
            level=level,
            effective_on=effective_on,
            legal_act=legal_act,
            parent_code=parent_code,
            predecessors=tuple(AgencyCode(p).value for p in predecessors),
        )

    @property
    def parent_code(self) -> AgencyCode | None:
        if self.parent is not None:
            return AgencyCode(self.parent)
        return self.code.parent

    @property
    def is_ended(self) -> bool:
        return self.ended_on is not None

    # -- lifecycle (each change effective on a day, by a legal act) --------

    def reparent(
        self, *, trace: Trace, parent_code: str, effective_on: date, legal_act: LegalAct
    ) -> None:
        parent = AgencyCode(parent_code).value
        self._check_change(effective_on)
        if parent == self.code.value:
            raise InvalidAgencyCodeError(parent)
        if self.parent_code is not None and parent == self.parent_code.value:
            return
        self.trigger_event(
            self.Reparented,
            trace=trace,
            effective_on=effective_on,
            legal_act=legal_act,
            parent_code=parent,
        )

    def change_code(
        self, *, trace: Trace, new_code: str, effective_on: date, legal_act: LegalAct
    ) -> None:
        self._end(self.CodeChanged, trace, effective_on, legal_act, (new_code,))

    def merge_into(
        self, *, trace: Trace, successor: str, effective_on: date, legal_act: LegalAct
    ) -> None:
        self._end(self.MergedInto, trace, effective_on, legal_act, (successor,))

    def split(
        self,
        *,
        trace: Trace,
        successors: tuple[str, ...],
        procedure_successors: dict[str, str],
        effective_on: date,
        legal_act: LegalAct,
    ) -> None:
        named = {AgencyCode(s).value for s in successors}
        for procedure, unit in procedure_successors.items():
            bounds.code(procedure, "procedureCode")
            if AgencyCode(unit).value not in named:
                raise InvalidAgencyCodeError(unit)
        self._end(
            self.Split,
            trace,
            effective_on,
            legal_act,
            successors,
            procedure_successors=dict(procedure_successors),
        )

    def dissolve(
        self,
        *,
        trace: Trace,
        effective_on: date,
        legal_act: LegalAct,
        reason: str,
        successors: tuple[str, ...] = (),
    ) -> None:
        reason = bounds.text(reason, "reason", bounds.REASON_LENGTH, required=True)
        self._end(
            self.Dissolved, trace, effective_on, legal_act, successors, reason=reason
        )

    def _end(
        self,
        event: type[Agency.Ended],
        trace: Trace,
        effective_on: date,
        legal_act: LegalAct,
        successors: tuple[str, ...],
        **fields: object,
    ) -> None:
        self._check_change(effective_on)
        codes = tuple(dict.fromkeys(AgencyCode(s).value for s in successors))
        if self.code.value in codes:
            raise InvalidAgencyCodeError(self.code.value)
        self.trigger_event(
            event,
            trace=trace,
            effective_on=effective_on,
            legal_act=legal_act,
            successors=codes,
            **fields,
        )

    def _check_change(self, effective_on: date) -> None:
        bounds.document_date(effective_on, "effectiveOn")
        if self.ended_on is not None:
            raise AgencyEndedError(self.code.value, self.ended_on.isoformat())
        if self.last_day is not None and effective_on < self.last_day:
            raise EffectiveDateError(
                self.code.value,
                effective_on.isoformat(),
                self.last_day.isoformat(),
            )

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

    def rename(
        self,
        *,
        trace: Trace,
        name: str,
        effective_on: date | None = None,
        legal_act: LegalAct | None = None,
    ) -> None:
        if not name.strip():
            raise MissingDataError(field_name("name"))
        name = bounds.text(name, "name", bounds.NAME_LENGTH, required=True)
        if effective_on is not None:
            self._check_change(effective_on)
        if name != self.name:
            self.trigger_event(
                self.Renamed,
                trace=trace,
                name=name.strip(),
                effective_on=effective_on,
                legal_act=legal_act,
            )
