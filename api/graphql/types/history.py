"""What reviewers see: a dossier as the system knew it at a moment."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.presenters import plain
from application import history as h


@strawberry.type(
    description="Một bước: ai, vai trò, đơn vị, lý do, thời điểm / one step"
)
class HistoryStep:
    version: int
    event: str
    recorded_at: datetime = strawberry.field(
        description="Khi hệ thống ghi nhận / recorded"
    )
    effective_at: datetime = strawberry.field(
        description="Thời điểm hiệu lực / effective"
    )
    actor_id: str
    role: str
    agency_code: str | None
    department: str | None
    reason: str
    procedure_version: int
    calendar_version: int
    correlation_id: str
    details: JSON


@strawberry.type
class HistoryPause:
    kind: str
    started_at: datetime
    ended_at: datetime | None
    paused_seconds: int | None
    due_before: datetime | None
    due_after: datetime | None


@strawberry.type
class HistoryReappointment:
    at: datetime
    actor_id: str
    reason: str
    previous_due_at: datetime
    due_at: datetime


@strawberry.type(
    description="Hạn giải quyết và cách tính / the due time and its derivation"
)
class DueDerivation:
    received_at: datetime | None
    procedure_code: str
    procedure_version: int
    time_limit: str
    calendar_version: int | None
    initial_due_at: datetime | None
    pauses: list[HistoryPause]
    reappointment: HistoryReappointment | None
    due_at: datetime | None
    supplement_requests: int
    finished_at: datetime | None
    timeliness: str | None
    late_without_apology: bool
    explanation: list[str]


@strawberry.type
class HistoryDocument:
    component_code: str
    name: str
    status: str
    document_id: str | None
    sha256: str
    signed_by: str


@strawberry.type(description="Hồ sơ như hệ thống biết tại thời điểm asOf (thanh tra)")
class DossierHistory:
    dossier_id: str
    as_of: datetime | None
    known: bool
    version: int
    code: str | None
    status: str | None
    national_status_code: int | None
    applicant_id: str | None
    competent_agency: str | None
    holder_agency: str | None
    holder_department: str | None
    documents: list[HistoryDocument]
    due: DueDerivation | None
    steps: list[HistoryStep]

    @classmethod
    def of(cls, found: h.DossierAsOf) -> DossierHistory:
        due = found.due
        return cls(
            dossier_id=str(found.dossier_id),
            as_of=found.as_of,
            known=found.known,
            version=found.version,
            code=found.code,
            status=found.status,
            national_status_code=found.national_status_code,
            applicant_id=found.applicant_id,
            competent_agency=found.competent_agency,
            holder_agency=found.holder_agency,
            holder_department=found.holder_department,
            documents=[HistoryDocument(**vars(d)) for d in found.documents],
            due=None
            if due is None
            else DueDerivation(
                received_at=due.received_at,
                procedure_code=due.procedure_code,
                procedure_version=due.procedure_version,
                time_limit=due.time_limit,
                calendar_version=due.calendar_version,
                initial_due_at=due.initial_due_at,
                pauses=[HistoryPause(**vars(p)) for p in due.pauses],
                reappointment=HistoryReappointment(**vars(due.reappointment))
                if due.reappointment
                else None,
                due_at=due.due_at,
                supplement_requests=due.supplement_requests,
                finished_at=due.finished_at,
                timeliness=due.timeliness,
                late_without_apology=due.late_without_apology,
                explanation=list(due.explanation),
            ),
            steps=[
                HistoryStep(
                    **{k: v for k, v in vars(s).items() if k != "details"},
                    details=plain(s.details),
                )
                for s in found.steps
            ],
        )
