"""Who may see a dossier: the one rule for commands and reads.

Applicants see their own dossiers; officers see the dossiers any unit of
their subtree handles (competent, holding, involved or receiving); any desk
of the province sees an online submission still waiting for reception. A
dossier an actor may not see must look exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import DomainError, InvalidAgencyCodeError
from domain.values import Actor, AgencyCode, Role


class DossierNotVisibleError(DomainError):
    """Refused because the actor may not see the dossier (answered as not found)."""

    code = "DOSSIER_NOT_FOUND"
    vi = "Không tìm thấy hồ sơ {a0}"
    en = "Dossier {a0} not found"


def unit_sees(viewer_unit: str, unit: str | None) -> bool:
    """``unit`` lies in the subtree of ``viewer_unit`` (malformed codes see nothing)."""
    if not unit:
        return False
    try:
        return AgencyCode(unit).is_within(AgencyCode(viewer_unit))
    except InvalidAgencyCodeError:
        return False


def may_see(
    actor: Actor,
    *,
    applicant_id: str,
    competent_agency: str,
    receiving_agency: str | None,
    units: Iterable[str | None],
) -> bool:
    """The visibility rule over a dossier's parties (aggregate or read-model row)."""
    if actor.role is Role.SYSTEM:
        return True
    if actor.role is Role.CITIZEN:
        return actor.id == applicant_id
    viewer = actor.agency_code
    if not viewer:
        return False
    return officer_sees(
        viewer,
        competent_agency=competent_agency,
        receiving_agency=receiving_agency,
        units=units,
    )


def officer_sees(
    viewer: str,
    *,
    competent_agency: str,
    receiving_agency: str | None,
    units: Iterable[str | None],
) -> bool:
    """Staff of ``viewer``'s subtree see a dossier any unit of it handles or
    handled (competent, receiving, holding, involved); before reception, any
    unit of the competent agency's province sees it."""
    if unit_sees(viewer, receiving_agency) or unit_sees(viewer, competent_agency):
        return True
    if any(unit_sees(viewer, unit) for unit in units):
        return True
    if receiving_agency is None:
        try:
            return AgencyCode(viewer).level1 == AgencyCode(competent_agency).level1
        except InvalidAgencyCodeError:
            return False
    return False
