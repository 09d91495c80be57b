"""What an authenticated applicant sees of their own dossiers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.graphql.types.common import DossierStatus
from api.graphql.types.scalars import Money
from projections.citizen import CitizenDossier as Row
from projections.citizen import (
    CitizenFee,
    CitizenResult,
    CitizenStep,
    CitizenSupplement,
)


@strawberry.type
class DossierStep:
    at: datetime
    description: str
    agency_code: str | None
    agency_name: str | None
    department: str | None


@strawberry.type
class SupplementRequest:
    requested_at: datetime
    component_codes: list[str]
    reason: str
    received_at: datetime | None


@strawberry.type
class FeeLine:
    code: str
    name: str
    amount: Money  # type: ignore[valid-type]


@strawberry.type
class FeeRequest:
    requested_at: datetime
    total: Money  # type: ignore[valid-type]
    lines: list[FeeLine]
    paid_at: datetime | None
    channel: str | None


@strawberry.type
class ResultDocument:
    result_code: str
    document_id: strawberry.ID
    number_symbol: str


@strawberry.type(
    description="Một lần cán bộ hoặc thanh tra mở hồ sơ / one time an officer or "
    "reviewer opened the dossier"
)
class DossierAccess:
    at: datetime
    officer_id: str = strawberry.field(
        description="Cán bộ/thanh tra đã mở / the officer or reviewer who opened it"
    )
    role: str
    agency_code: str | None
    department: str | None
    purpose: str


@strawberry.type(description="Hồ sơ của chính công dân / the applicant's own dossier")
class CitizenDossier:
    code: str | None
    procedure_code: str
    procedure_name: str
    status: DossierStatus
    national_status_code: int
    status_label: str
    agency_code: str
    agency_name: str | None
    department: str | None
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    steps: list[DossierStep]
    supplements: list[SupplementRequest]
    fees: list[FeeRequest]
    results: list[ResultDocument]
    dossier_id: strawberry.ID

    @strawberry.field(description="Ai đã mở hồ sơ của tôi / who opened my dossier")
    async def opened_by(self, info: strawberry.Info[Any, None]) -> list[DossierAccess]:
        context = info.context
        view = context.services.access_view
        if view is None:
            return []
        entries = await context.read(view.for_dossier, str(self.dossier_id))
        return [
            DossierAccess(
                at=e.at,
                officer_id=e.actor_id,
                role=e.role,
                agency_code=e.agency_code,
                department=e.department,
                purpose=e.purpose,
            )
            for e in entries
        ]

    @classmethod
    def of(
        cls,
        row: Row,
        *,
        language: str,
        names: dict[str, str],
        steps: list[CitizenStep],
        supplements: list[CitizenSupplement],
        fees: list[CitizenFee],
        results: list[CitizenResult],
    ) -> CitizenDossier:
        en = language == "en"
        return cls(
            dossier_id=strawberry.ID(row.dossier_id),
            code=row.code,
            procedure_code=row.procedure_code,
            procedure_name=row.procedure_name,
            status=DossierStatus.of(row.status),
            national_status_code=row.national_code,
            status_label=row.status.label(language),
            agency_code=row.agency_code,
            agency_name=names.get(row.agency_code),
            department=row.department,
            submitted_at=row.submitted_at,
            received_at=row.received_at,
            due_at=row.due_at,
            finished_at=row.finished_at,
            returned_at=row.returned_at,
            steps=[
                DossierStep(
                    at=s.at,
                    description=s.step_en if en else s.step_vi,
                    agency_code=s.agency_code,
                    agency_name=names.get(s.agency_code or ""),
                    department=s.department,
                )
                for s in steps
            ],
            supplements=[
                SupplementRequest(
                    requested_at=s.requested_at,
                    component_codes=list(s.items),
                    reason=s.reason,
                    received_at=s.received_at,
                )
                for s in supplements
            ],
            fees=[
                FeeRequest(
                    requested_at=f.requested_at,
                    total=f.total,
                    lines=[FeeLine(code=c, name=n, amount=a) for c, n, a in f.lines],
                    paid_at=f.paid_at,
                    channel=f.channel,
                )
                for f in fees
            ],
            results=[
                ResultDocument(
                    result_code=r.result_code,
                    document_id=strawberry.ID(r.document_id),
                    number_symbol=r.number_symbol,
                )
                for r in results
            ],
        )
