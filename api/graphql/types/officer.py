"""What officers see of dossiers in their agency subtree."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.types.common import DossierStatus
from projections.timeline import TimelineEntry
from projections.worklist import WorkItem


@strawberry.type
class TimelineItem:
    version: int
    event_type: str
    at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    actor_agency: str | None
    actor_department: str | None
    description: str
    reason: str | None

    @classmethod
    def of(cls, entry: TimelineEntry, language: str) -> TimelineItem:
        return cls(
            version=entry.version,
            event_type=entry.event_type,
            at=entry.at,
            recorded_at=entry.recorded_at,
            actor_id=entry.actor_id,
            actor_role=entry.actor_role,
            actor_agency=entry.actor_agency,
            actor_department=entry.actor_department,
            description=entry.summary(language),
            reason=entry.reason,
        )


@strawberry.type(description="Hồ sơ trong danh sách công việc của cán bộ")
class OfficerDossier:
    dossier_id: strawberry.ID
    code: str | None
    applicant_id: str
    applicant_name: str
    procedure_code: str
    procedure_name: str
    competent_agency: str
    receiving_agency: str | None
    holder_agency: str
    holder_department: str | None
    status: DossierStatus
    national_status_code: int
    status_label: str
    channel: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    supplement_requests: int
    timeliness: str | None
    version: int
    timeline: list[TimelineItem]

    @classmethod
    def of(
        cls, item: WorkItem, language: str, timeline: list[TimelineEntry] | None = None
    ) -> OfficerDossier:
        return cls(
            dossier_id=strawberry.ID(item.dossier_id),
            code=item.code,
            applicant_id=item.applicant_id,
            applicant_name=item.applicant_name,
            procedure_code=item.procedure_code,
            procedure_name=item.procedure_name,
            competent_agency=item.competent_agency,
            receiving_agency=item.receiving_agency,
            holder_agency=item.holder_agency,
            holder_department=item.holder_department,
            status=DossierStatus.of(item.status),
            national_status_code=item.national_code,
            status_label=item.status.label(language),
            channel=item.channel,
            submitted_at=item.submitted_at,
            received_at=item.received_at,
            due_at=item.due_at,
            finished_at=item.finished_at,
            supplement_requests=item.supplement_requests,
            timeliness=item.timeliness,
            version=item.version,
            timeline=[TimelineItem.of(e, language) for e in timeline or []],
        )
