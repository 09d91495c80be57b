"""Enums and small types shared by every level."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain.dossier_status import DossierStatus as DomainStatus
from projections.public_status import Completion as DomainCompletion


@strawberry.enum(description="Mức độ hoàn thành công khai / public completion level")
class Completion(Enum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_APPLICANT = "waiting_for_applicant"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    CLOSED = "closed"

    @classmethod
    def of(cls, completion: DomainCompletion) -> Completion:
        return cls(completion.value)


@strawberry.enum(description="Trạng thái hồ sơ / dossier status (national codes 1–10)")
class DossierStatus(Enum):
    SUBMITTED = "submitted"
    RECEIVED = "received"
    REFUSED = "refused"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    AWAITING_PAYMENT = "awaiting_payment"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESOLVED = "resolved"
    RETURNED = "returned"

    @classmethod
    def of(cls, status: DomainStatus) -> DossierStatus:
        return cls(status.value)

    @property
    def domain(self) -> DomainStatus:
        return DomainStatus(self.value)
