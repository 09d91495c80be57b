"""Values of cross-province forwarding (a storage contract: stored in
snapshots and sent between instances; add fields with defaults only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import bounds
from domain.deadline import Timeliness
from domain.dossier_status import DossierStatus
from domain.dossier_values import Applicant, Channel, Holder, IssuedResult

PROVINCE = re.compile(r"[A-Z][0-9]{2}")
_CHILDREN = uuid5(NAMESPACE_URL, "https://motcua.vn/cross-province/child")


class CrossBoundaryState(Enum):
    """R-17's cross-boundary states of the source dossier, with their numbers."""

    RECEIVED = 1
    PROCESSING = 2
    RETURNED = 3
    AWAITING_RECEIVING_UNIT = 4

    def label(self, language: str = "vi") -> str:
        vi, en = _STATE_LABELS[self]
        return en if language.startswith("en") else vi

    @property
    def held_elsewhere(self) -> bool:
        """The other province holds the dossier: this one only records reports."""
        return self is not CrossBoundaryState.RETURNED


_STATE_LABELS = {
    CrossBoundaryState.RECEIVED: ("Đã tiếp nhận", "Received"),
    CrossBoundaryState.PROCESSING: ("Đang xử lý", "Processing"),
    CrossBoundaryState.RETURNED: ("Đã trả kết quả", "Returned"),
    CrossBoundaryState.AWAITING_RECEIVING_UNIT: (
        "Chờ đơn vị tiếp nhận",
        "Awaiting the receiving unit",
    ),
}


def child_id(source_province: str, source_event_id: str) -> UUID:
    """The child dossier's id: one per forwarding event, whoever computes it."""
    return uuid5(_CHILDREN, f"{source_province}/{source_event_id}")


def event_id(dossier_id: UUID, version: int) -> str:
    """An event's identity in the store (also its ``Nats-Msg-Id``)."""
    return f"{dossier_id}/{version}"


# -- what travels between the instances ------------------------------------


@dataclass(frozen=True)
class ForwardRequest:
    """What province A sends province B to open the child dossier."""

    source_province: str
    source_id: UUID
    source_version: int
    source_code: str
    applicant: Applicant
    procedure_code: str
    channel: Channel
    summary: str
    to_holder: Holder
    note: str

    @property
    def source_event_id(self) -> str:
        return event_id(self.source_id, self.source_version)

    @property
    def child_id(self) -> UUID:
        return child_id(self.source_province, self.source_event_id)


@dataclass(frozen=True)
class ProvinceReport:
    """What province B reports back about the child: where it stands after
    its ``child_version``-th event (reports never go backwards)."""

    province: str
    source_id: UUID
    child_id: UUID
    child_version: int
    status: DossierStatus
    code: str | None = None
    due_at: datetime | None = None
    results: tuple[IssuedResult, ...] = ()
    decision: str = ""
    timeliness: Timeliness | None = None
    late_without_apology: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        bounds.text(self.reason, "reason", bounds.REASON_LENGTH, multiline=True)
