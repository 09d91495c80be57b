"""What the dossier's command mixins (``dossier_components``,
``dossier_across``) use of the aggregate: their ``self``."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from domain.dossier_events import DossierEvent
from domain.dossier_rules import Command
from domain.dossier_state import DossierState
from domain.dossier_status import DossierStatus
from domain.dossier_values import (
    Applicant,
    ComponentState,
    Holder,
    VersionedCalendar,
)
from domain.values import Trace


class DossierSelf(Protocol):
    applicant: Applicant
    components: dict[str, ComponentState]
    _state: DossierState

    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...

    @property
    def code(self) -> str | None: ...

    @property
    def status(self) -> DossierStatus: ...

    @property
    def holder(self) -> Holder: ...

    @property
    def competent_agency(self) -> str: ...

    @property
    def receiving_agency(self) -> str | None: ...

    def _check(self, command: Command, trace: Trace) -> None: ...

    def _record(
        self,
        event_class: type[DossierEvent],
        trace: Trace,
        calendar: VersionedCalendar,
        **fields: object,
    ) -> None: ...

    def _component(self, code: str) -> ComponentState: ...

    def awaiting_signature(
        self, trace: Trace, component_code: str
    ) -> ComponentState: ...
