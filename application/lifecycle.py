"""Dossier lifecycle core: beginnings, code claims, the generic command path, reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from application.catalogue import Catalogue
from application.codes import CodeAllocator
from application.errors import DossierNotFoundError, VersionConflictError
from domain.agency import Agency
from domain.calendar import Calendar
from domain.deadline import Granularity
from domain.dossier import Dossier
from domain.dossier_code import DossierCode, is_dossier_code
from domain.dossier_values import (
    Applicant,
    Channel,
    DocumentMetadata,
    VersionedCalendar,
)
from domain.procedure import Procedure
from domain.values import AgencyCode, Trace

_CODE_ATTEMPTS = 200


@dataclass(frozen=True)
class Reception:
    """What a reception returns: the new code and the log position to wait for."""

    dossier_id: UUID
    code: str
    notification_id: int


class DossierLifecycle(Catalogue):
    """Dossiers from submission to rating, plus the catalogue they depend on."""

    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Dossier: 25,
        Procedure: 20,
        Calendar: 50,
        Agency: 50,
    }

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.codes = CodeAllocator(self.repository)
        self._listeners: list[Callable[[int], None]] = []
        self.granularity = Granularity(self.setting("TIMELINESS_GRANULARITY", "date"))
        self.cross_boundary_code_unit = self.setting(
            "CROSS_BOUNDARY_CODE_UNIT", "competent"
        )

    def subscribe(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(position)`` after every save in this process."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if recordings:
            for listener in self._listeners:
                listener(recordings[-1].notification.id)

    # -- beginnings -----------------------------------------------------------

    def submit_dossier(
        self,
        *,
        trace: Trace,
        applicant: Applicant,
        procedure_code: str,
        documents: dict[str, DocumentMetadata] | None = None,
        summary: str = "",
    ) -> tuple[UUID, int]:
        """Submit a dossier online (status 1, no code until the desk receives it)."""
        procedure = self.get_procedure(procedure_code)
        calendar = self.working_calendar(procedure.definition.competent_agency.level1)
        dossier = Dossier.submit_online(
            dossier_id=uuid4(),
            trace=trace,
            applicant=applicant,
            procedure_id=procedure.id,
            procedure=procedure.definition,
            procedure_version=procedure.version,
            calendar=calendar,
            documents=documents or {},
            summary=summary,
        )
        return dossier.id, self.save(dossier)[-1].notification.id

    def receive_dossier(
        self,
        *,
        trace: Trace,
        applicant: Applicant,
        procedure_code: str,
        channel: Channel = Channel.DESK,
        summary: str = "",
    ) -> Reception:
        """Receive a paper dossier at the desk: code, receipt time and due time."""
        procedure = self.get_procedure(procedure_code)
        definition = procedure.definition
        calendar = self.working_calendar(definition.competent_agency.level1)
        dossier_id = uuid4()

        def build(code: str) -> list[Any]:
            dossier = Dossier.receive_at_desk(
                dossier_id=dossier_id,
                trace=trace,
                code=code,
                applicant=applicant,
                procedure_id=procedure.id,
                procedure=definition,
                procedure_version=procedure.version,
                calendar=calendar,
                channel=channel,
                summary=summary,
            )
            return [dossier, DossierCode.issue(code=code, dossier_id=dossier_id)]

        unit = self._code_unit(trace, definition.competent_agency.value)
        return self._claim_code(unit, trace, dossier_id, build)

    def receive_submitted_dossier(
        self, dossier_id: UUID, *, trace: Trace, expected_version: int | None = None
    ) -> Reception:
        """Accept an online submission: it gets its code and due time now."""
        first = self._load(dossier_id, expected_version)
        unit = self._code_unit(trace, first.competent_agency)

        def build(code: str) -> list[Any]:
            dossier = self._load(dossier_id, expected_version)
            calendar = self._calendar_of(dossier)
            dossier.receive(trace=trace, code=code, calendar=calendar)
            return [dossier, DossierCode.issue(code=code, dossier_id=dossier_id)]

        return self._claim_code(unit, trace, dossier_id, build)

    # -- every other command ----------------------------------------------------

    def execute(
        self,
        dossier_id: UUID,
        command: Callable[[Dossier, VersionedCalendar], None],
        *,
        expected_version: int | None = None,
    ) -> int | None:
        """Load, run one aggregate command, save once; returns the log position."""
        dossier = self._load(dossier_id, expected_version)
        command(dossier, self._calendar_of(dossier))
        try:
            recordings = self.save(dossier)
        except IntegrityError:
            raise VersionConflictError(
                expected=expected_version or dossier.version, actual="?"
            ) from None
        return recordings[-1].notification.id if recordings else None

    # -- reads by id ------------------------------------------------------------

    def get_dossier(self, dossier_id: UUID, version: int | None = None) -> Dossier:
        try:
            dossier: Dossier = self.repository.get(dossier_id, version=version)
        except AggregateNotFoundError:
            raise DossierNotFoundError(str(dossier_id)) from None
        if not isinstance(dossier, Dossier):
            raise DossierNotFoundError(str(dossier_id))
        return dossier

    def dossier_id_for(self, code: str) -> UUID:
        if not is_dossier_code(code):
            raise DossierNotFoundError(code)
        try:
            index: DossierCode = self.repository.get(DossierCode.create_id(code))
        except AggregateNotFoundError:
            raise DossierNotFoundError(code) from None
        return index.dossier_id

    def find_dossier(self, code: str) -> Dossier:
        return self.get_dossier(self.dossier_id_for(code))

    # -- helpers ----------------------------------------------------------------

    def _load(self, dossier_id: UUID, expected_version: int | None) -> Dossier:
        dossier = self.get_dossier(dossier_id)
        if expected_version is not None and dossier.version != expected_version:
            raise VersionConflictError(
                expected=expected_version, actual=dossier.version
            )
        return dossier

    def _calendar_of(self, dossier: Dossier) -> VersionedCalendar:
        return self.working_calendar(AgencyCode(dossier.competent_agency).level1)

    def _code_unit(self, trace: Trace, competent: str) -> AgencyCode:
        receiving = AgencyCode(trace.actor.agency_code or competent)
        competent_code = AgencyCode(competent)
        related = receiving.is_within(competent_code) or competent_code.is_within(
            receiving
        )
        if not related and self.cross_boundary_code_unit == "competent":
            return competent_code
        return receiving

    def _claim_code(
        self,
        unit: AgencyCode,
        trace: Trace,
        dossier_id: UUID,
        build: Callable[[str], list[Any]],
    ) -> Reception:
        day = trace.at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        for _ in range(_CODE_ATTEMPTS):
            code = self.codes.candidate(unit, day)
            aggregates = build(code)
            try:
                recordings = self.save(*aggregates)
            except IntegrityError:
                if DossierCode.create_id(code) not in self.repository:
                    raise VersionConflictError(expected="?", actual="?") from None
                self.codes.conflicted(unit, day, code)
                continue
            self.codes.claimed(unit, day, code)
            return Reception(dossier_id, code, recordings[-1].notification.id)
        raise VersionConflictError(expected="code", actual="taken")
