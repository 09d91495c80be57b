"""Pure checks the dossier commands apply to what they are given.

Each takes plain values and raises a bilingual domain error; none reads or
changes a dossier, so every command (and a test) can use them alone.
"""

from __future__ import annotations

from domain import bounds
from domain.agency import AgencyRegistry
from domain.dossier_code import DOSSIER_CODE
from domain.dossier_values import ComponentState, Holder
from domain.errors import (
    ActorNotAllowedError,
    ComponentError,
    CrossProvinceForwardError,
    MissingDataError,
    UnregisteredAgencyError,
    UnregisteredUnitError,
    field_name,
    shown,
)
from domain.errors import Bilingual as B
from domain.procedure import DigitizationScope, ProcedureDefinition
from domain.values import AgencyCode


def components_of(procedure: ProcedureDefinition) -> dict[str, ComponentState]:
    return {c.code: ComponentState.from_component(c) for c in procedure.components}


def required_text(value: str, name: str, limit: int = bounds.REASON_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip():
        raise MissingDataError(field_name(name))
    return bounds.text(value, name, limit, required=True, multiline=True)


def optional_text(value: str, name: str) -> str:
    """Optional free text (notes, comments): bounded like a reason."""
    return bounds.text(value, name, bounds.REASON_LENGTH, multiline=True)


def summary_text(value: str) -> str:
    return bounds.text(value, "summary", bounds.SUMMARY_LENGTH, multiline=True)


def digitizable(components: dict[str, ComponentState], code: str) -> ComponentState:
    """A component of this procedure that is in digitization scope.

    Every path that attaches a document (desk scan, online submission,
    supplement, reuse) goes through here: out-of-scope components (shared
    data, photocopies, shown only, classified) never carry a document.
    """
    bounds.code(code, "componentCode")
    component = components.get(code)
    if component is None:
        raise ComponentError(code)
    if component.scope is not DigitizationScope.IN_SCOPE:
        raise ComponentError(
            B(
                f"{code} không thuộc phạm vi số hóa ({component.scope.label('vi')})",
                f"{code} is not digitized ({component.scope.label('en')})",
            )
        )
    return component


def check_receiving_unit(receiving: str, competent: str, code: str) -> None:
    """The desk must be in the competent agency's province; R-17 code unit."""
    match = DOSSIER_CODE.match(code)
    if match is None:
        raise MissingDataError(
            B(f"mã hồ sơ {shown(code)}", f"dossier code {shown(code)}")
        )
    if AgencyCode(receiving).level1 != AgencyCode(competent).level1:
        raise ActorNotAllowedError(
            B(
                f"{receiving} không thuộc tỉnh của {competent}",
                f"{receiving} is outside the province of {competent}",
            )
        )
    if match.group(1) not in (receiving, competent):
        raise MissingDataError(
            B(
                f"mã hồ sơ {shown(code)} của đơn vị {receiving}",
                f"dossier code {shown(code)} for unit {receiving}",
            )
        )


def check_registered_desk(unit: str, registry: AgencyRegistry) -> None:
    """R-03: only units in the agency catalogue receive dossiers and issue codes."""
    if registry.departments_of(unit) is None:
        raise UnregisteredUnitError(unit)


def check_forward_target(to: Holder, competent: str, registry: AgencyRegistry) -> None:
    target = AgencyCode(to.agency_code)
    if target.level1 != AgencyCode(competent).level1:
        raise CrossProvinceForwardError(target.value)
    departments = registry.departments_of(target.value)
    if departments is None:
        raise UnregisteredAgencyError(target.value)
    if to.department is not None and departments and to.department not in departments:
        raise UnregisteredAgencyError(f"{target.value} / {to.department}")
