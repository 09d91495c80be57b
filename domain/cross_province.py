"""Cross-province forwarding (phi địa giới, R-17): one dossier, two instances.

A dossier received in province A for a competent agency of province B is
forwarded to B's instance (``ForwardedToProvince`` on the *source* dossier).
B opens a linked *child* dossier (``OpenedFromProvince``, its own code once B's
desk receives it) and reports what happens to it back; A records each report on
the source dossier (accepted / status / result returned / refused), so the
citizen follows one dossier, under A's code, with B's progress.

The events are dossier events (stored topics ``domain.dossier:Dossier.<Name>``);
how they change the status is in ``domain.dossier_state`` like every other
rule. The child's id is derived from the source event's id, so a redelivered
request can only ever open the same child.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.cross_province_values import (
    PROVINCE,
    CrossBoundaryState,
    ForwardRequest,
    ProvinceReport,
    child_id,
    event_id,
)
from domain.deadline import Timeliness
from domain.dossier_events import DossierEvent, Lodged
from domain.dossier_status import DossierStatus
from domain.dossier_values import Holder, IssuedResult
from domain.errors import DomainError, LabelledError
from domain.values import Trace

__all__ = [
    "CrossBoundaryState",
    "ForwardRequest",
    "ProvinceReport",
    "child_id",
    "event_id",
]

# -- errors ---------------------------------------------------------------


class UnknownProvinceError(DomainError):
    code = "UNKNOWN_PROVINCE"
    vi = "Tỉnh {a0} không có trong danh sách tỉnh liên thông (MOTCUA_PEER_PROVINCES)"
    en = "Province {a0} is not a connected province (MOTCUA_PEER_PROVINCES)"


class NotCompetentInProvinceError(DomainError):
    code = "NOT_COMPETENT_IN_PROVINCE"
    vi = "{a0} không có thẩm quyền giải quyết thủ tục {a1} tại tỉnh này"
    en = "{a0} is not competent for procedure {a1} in this province"


class HeldByProvinceError(DomainError):
    code = "HELD_BY_PROVINCE"
    vi = "Hồ sơ đang được tỉnh {a0} giải quyết (liên thông liên tỉnh)"
    en = "The dossier is being handled by province {a0} (cross-province)"


def check_peer(province: str, own: str, peers: frozenset[str]) -> str:
    """The target province: another province this instance is connected to."""
    if not PROVINCE.fullmatch(province) or province == own or province not in peers:
        raise UnknownProvinceError(province)
    return province


# -- events on the source dossier (province A) -----------------------------


class ForwardedToProvince(DossierEvent):
    """Handed to a competent agency of another province (state 4 until it answers)."""

    from_holder: Holder
    to_holder: Holder
    province: str
    child_id: UUID
    note: str


class AcceptedByProvince(DossierEvent):
    """The other province's desk received it: the child's code (state 1)."""

    province: str
    child_id: UUID
    child_version: int
    child_code: str
    child_due_at: datetime | None


class StatusReportedByProvince(DossierEvent):
    """The child's status changed (state 2); the source shows it."""

    province: str
    child_id: UUID
    child_version: int
    status: DossierStatus
    child_code: str | None = None
    """The child's code, when it has one (a report may overtake the acceptance)."""


class ResultReturnedByProvince(DossierEvent):
    """The other province resolved it and returned the result here (state 3)."""

    province: str
    child_id: UUID
    child_version: int
    results: tuple[IssuedResult, ...]
    decision: str
    timeliness: Timeliness
    late_without_apology: bool = False


class RefusedByProvince(DossierEvent):
    """The other province did not take it: back with the unit that forwarded it."""

    province: str
    child_id: UUID
    child_version: int
    reason: str


# -- the child dossier (province B) ---------------------------------------


class OpenedFromProvince(Lodged):
    """A child dossier opened for a dossier of another province (awaiting
    this province's desk: state 4 there, ``SUBMITTED`` here)."""

    source_province: str
    source_id: UUID
    source_code: str
    source_event_id: str
    to_holder: Holder
    note: str


CROSS_PROVINCE_EVENTS: tuple[type[DossierEvent], ...] = (
    ForwardedToProvince,
    AcceptedByProvince,
    StatusReportedByProvince,
    ResultReturnedByProvince,
    RefusedByProvince,
    OpenedFromProvince,
)


class InboundRefusal(Aggregate):
    """A forwarding request this province could not open a child for (unknown
    procedure or agency here): recorded at the child's id, so a redelivered
    request is refused once, and reported back like a child's refusal."""

    class Refused(Aggregate.Created):
        trace: Trace
        source_province: str
        source_id: UUID
        source_event_id: str
        error_code: str

        reason: str

    trace: Trace
    source_province: str
    source_id: UUID
    source_event_id: str
    error_code: str
    reason: str

    @classmethod
    def record(
        cls, *, trace: Trace, request: ForwardRequest, error: LabelledError
    ) -> InboundRefusal:
        return cls._create(
            cls.Refused,
            id=request.child_id,
            trace=trace,
            source_province=request.source_province,
            source_id=request.source_id,
            source_event_id=request.source_event_id,
            error_code=error.code,
            reason=str(error)[:2000],
        )
