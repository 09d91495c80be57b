"""What officers see of dossiers in their agency subtree."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.officer_view import OfficerPresentation
from api.graphql.types.common import DossierStatus
from domain.cross_province_values import CrossBoundaryState
from domain.dossier_status import DossierStatus as Status
from projections.control_sheet import ControlStep
from projections.timeline import TimelineEntry
from projections.worklist import WorkItem


def _party(agency: str | None, department: str | None, language: str) -> str:
    if agency is None:
        return "Applicant" if language.startswith("en") else "Người nộp hồ sơ"
    return agency + (f" / {department}" if department else "")


@strawberry.type(
    description="Một dòng của Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05): "
    "một lần bàn giao / one hand-over of the processing control sheet"
)
class ControlSheetLine:
    step: int
    from_: str = strawberry.field(name="from", description="Bên giao / who gave")
    from_agency: str | None
    from_department: str | None
    from_officer: str | None
    to: str = strawberry.field(description="Bên nhận / who received")
    to_agency: str
    to_department: str | None
    to_officer: str | None
    handed_over_at: datetime
    planned_due_at: datetime | None
    completed_at: datetime | None
    timeliness: str | None = strawberry.field(
        description="early | on_time | late against plannedDueAt; null while open"
    )
    national_status_code: int
    status_label: str

    @classmethod
    def of(
        cls, step: ControlStep, language: str, view: OfficerPresentation
    ) -> ControlSheetLine:
        return cls(
            step=step.step,
            from_=_party(step.from_agency, step.from_department, language),
            from_agency=step.from_agency,
            from_department=step.from_department,
            from_officer=step.from_officer,
            to=_party(step.to_agency, step.to_department, language),
            to_agency=step.to_agency,
            to_department=step.to_department,
            to_officer=step.to_officer,
            handed_over_at=step.handed_over_at,
            planned_due_at=step.planned_due_at,
            completed_at=step.completed_at,
            timeliness=view.step_timeliness(step),
            national_status_code=step.status_code,
            status_label=_national_label(step.status_code, language),
        )


def _national_label(code: int, language: str) -> str:
    status = next((s for s in Status if s.national_code == code), None)
    return status.label(language) if status else str(code)


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


@strawberry.type(
    description="Liên thông liên tỉnh (phi địa giới, R-17) / cross-province forwarding"
)
class CrossBoundary:
    state: int | None = strawberry.field(
        description="1 đã tiếp nhận, 2 đang xử lý, 3 đã trả kết quả, 4 chờ đơn vị "
        "tiếp nhận / 1 received, 2 processing, 3 returned, 4 awaiting the receiving "
        "unit (source dossier); null on a child dossier"
    )
    label: str | None
    province: str = strawberry.field(
        description="the other province (target of a source, source of a child)"
    )
    code: str | None = strawberry.field(
        description="the dossier's code in the other province"
    )

    @classmethod
    def of(cls, item: WorkItem, language: str) -> CrossBoundary | None:
        if item.source_province is not None:
            return cls(
                state=None,
                label=None,
                province=item.source_province,
                code=item.source_code,
            )
        if item.cross_province is None or item.cross_boundary is None:
            return None
        state = CrossBoundaryState(item.cross_boundary)
        return cls(
            state=state.value,
            label=state.label(language),
            province=item.cross_province,
            code=item.cross_code,
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
    due_at_shown: datetime | None = strawberry.field(
        description="dueAt as printed: a due time at the day's closing shown as the "
        "next working morning when MOTCUA_DUE_AT_CLOSE_ROLLS_OVER=y (same instant)"
    )
    needs_apology: bool = strawberry.field(
        description="Chưa giải quyết xong khi còn ≤ 1 ngày làm việc đến hạn và chưa "
        "xin lỗi, hẹn lại (R-12) / due within one working day, no apology yet"
    )
    reappointed: bool
    late_without_apology: bool = strawberry.field(
        description="Giải quyết quá hạn mà không có văn bản xin lỗi, hẹn lại"
    )
    control_sheet: list[ControlSheetLine]
    cross_boundary: CrossBoundary | None = strawberry.field(
        default=None,
        description="Liên thông liên tỉnh / forwarded across provinces (R-17)",
    )

    @classmethod
    def of(
        cls,
        item: WorkItem,
        language: str,
        view: OfficerPresentation,
        timeline: list[TimelineEntry] | None = None,
        steps: list[ControlStep] | None = None,
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
            due_at_shown=view.shown_due(item.due_at),
            needs_apology=view.needs_apology(item),
            reappointed=item.reappointed,
            late_without_apology=item.late_without_apology,
            control_sheet=[ControlSheetLine.of(s, language, view) for s in steps or []],
            cross_boundary=CrossBoundary.of(item, language),
        )
