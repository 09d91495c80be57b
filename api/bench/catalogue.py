"""A tiny catalogue for benchmarks: one province, one department, one procedure.

The bench procedure asks for no in-scope mandatory component, so a dossier
can be forwarded right after the desk receives it (no digitize/sign steps).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from application.clock import trace_for
from application.onestop import OneStop
from domain.deadline import TimeLimit, TimeUnit
from domain.dossier_values import Applicant, Holder
from domain.procedure import (
    Component,
    DigitizationScope,
    Fee,
    OnlineLevel,
    ProcedureDefinition,
    ResultDocument,
)
from domain.values import Actor, AgencyCode, AgencyLevel, Role

VN = timezone(timedelta(hours=7))
PROVINCE = "000.00.00.H34"
DEPARTMENT = "000.00.12.H34"
CALENDAR = "H34"
PROCEDURE = "9.900001"
#: A Monday, 08:00 in Vietnam; benchmark traces start here.
START = datetime(2026, 3, 2, 8, 0, tzinfo=VN)

SEEDER = Actor("motcua-bench", Role.SYSTEM)
DESK = Actor("bench-desk", Role.DESK, PROVINCE, "TTPVHCC")
APPLICANT = Applicant("062000000001", "Nguyễn Văn An")
FORWARD_TO = Holder(DEPARTMENT, "PHC")


def bench_procedure() -> ProcedureDefinition:
    """Shaped like a real TTHC, but nothing blocks forwarding after reception."""
    return ProcedureDefinition(
        code=PROCEDURE,
        name="Thủ tục đo hiệu năng (benchmark)",
        field_code="H34-HT",
        competent_agency=AgencyCode(DEPARTMENT),
        time_limit=TimeLimit(TimeUnit.WORKING_DAYS, Decimal(3)),
        components=(
            Component("TP1", "Tờ khai", "GT.TK", mandatory=False),
            Component(
                "TP2", "Căn cước công dân", "GT.CCCD", DigitizationScope.SHOWN_ONLY
            ),
            Component("TP3", "Bản sao giấy tờ", "GT.BS", DigitizationScope.PHOTOCOPY),
        ),
        results=(ResultDocument("KQ.H34.900001", "Kết quả đo hiệu năng"),),
        fees=(Fee("LP1", "Lệ phí", Decimal(8000)),),
        online_level=OnlineLevel.FULL,
    )


def seed_bench_catalogue(app: OneStop) -> None:
    """Register the agencies, the H34 calendar and the bench procedure."""
    trace = trace_for(SEEDER, at=START - timedelta(days=7))
    app.register_agency(
        trace=trace, code=PROVINCE, name="UBND tỉnh (bench)", level=AgencyLevel.PROVINCE
    )
    app.register_agency(
        trace=trace,
        code=DEPARTMENT,
        name="Sở Tư pháp (bench)",
        level=AgencyLevel.DEPARTMENT,
    )
    app.define_calendar(
        trace=trace, province=CALENDAR, years=range(START.year, START.year + 3)
    )
    app.publish_procedure(trace=trace, definition=bench_procedure())
