"""The public procedure catalogue."""

from __future__ import annotations

import strawberry

from projections.catalogue import CatalogueEntry


@strawberry.type
class ProcedureComponent:
    code: str
    name: str
    document_type_code: str
    scope: str
    mandatory: bool


@strawberry.type
class ProcedureResult:
    result_code: str
    name: str


@strawberry.type
class ProcedureFee:
    code: str
    name: str
    amount: str


@strawberry.type
class TimeLimit:
    unit: str
    amount: str


@strawberry.type(description="Thủ tục hành chính / administrative procedure (TTHC)")
class Procedure:
    code: str
    name: str
    field_code: str
    agency_code: str
    agency_name: str | None
    time_limit: TimeLimit
    components: list[ProcedureComponent]
    results: list[ProcedureResult]
    fees: list[ProcedureFee]
    online_level: str

    @classmethod
    def of(cls, entry: CatalogueEntry) -> Procedure:
        return cls(
            code=entry.code,
            name=entry.name,
            field_code=entry.field_code,
            agency_code=entry.agency_code,
            agency_name=entry.agency_name,
            time_limit=TimeLimit(
                unit=entry.time_limit_unit, amount=entry.time_limit_amount
            ),
            components=[
                ProcedureComponent(
                    code=c["code"],
                    name=c["name"],
                    document_type_code=c["documentTypeCode"],
                    scope=c["scope"],
                    mandatory=c["mandatory"],
                )
                for c in entry.components
            ],
            results=[
                ProcedureResult(result_code=r["resultCode"], name=r["name"])
                for r in entry.results
            ],
            fees=[
                ProcedureFee(code=f["code"], name=f["name"], amount=f["amount"])
                for f in entry.fees
            ],
            online_level=entry.online_level,
        )
