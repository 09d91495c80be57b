"""The small Kon Tum catalogue that benchmarks and tests share: one source.

Five units of province H34 (province, two departments, a district, a
commune), the H34 working calendar, three procedures shaped like real TTHC
(birth registration, criminal record, building permit) and the benchmarks'
own procedure, which asks for no in-scope mandatory component, so a dossier
can be forwarded right after the desk receives it (no digitize/sign steps).
``tests/factories.py`` builds its dossiers on these.
"""

from __future__ import annotations

from collections.abc import Iterable
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
JUSTICE = "000.00.12.H34"
CONSTRUCTION = "000.00.15.H34"
DISTRICT = "000.00.30.H34"
COMMUNE = "000.01.30.H34"
OTHER_PROVINCE = "000.00.00.H35"
CALENDAR = "H34"

AGENCIES = (
    (PROVINCE, "UBND tỉnh Kon Tum", AgencyLevel.PROVINCE),
    (JUSTICE, "Sở Tư pháp", AgencyLevel.DEPARTMENT),
    (CONSTRUCTION, "Sở Xây dựng", AgencyLevel.DEPARTMENT),
    (DISTRICT, "UBND huyện Đắk Hà", AgencyLevel.DISTRICT),
    (COMMUNE, "UBND xã Hà Mòn", AgencyLevel.COMMUNE),
)

ADMIN = Actor("admin", Role.SYSTEM)
APPLICANT = Applicant("062000000001", "Nguyễn Văn An")
OTHER_APPLICANT = Applicant("062000000002", "Trần Thị Bình")
BIRTH = "1.001193"
CRIMINAL_RECORD = "2.000488"
BUILDING = "1.009994"
#: A Monday, 08:00 in Vietnam; tests and benchmark traces start here.
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=VN)


def desk(agency: str = PROVINCE, officer: str = "desk-1") -> Actor:
    return Actor(officer, Role.DESK, agency, "TTPVHCC")


def specialist(agency: str = JUSTICE, officer: str = "spec-1") -> Actor:
    return Actor(officer, Role.SPECIALIST, agency, "PHC")


def leader(agency: str = JUSTICE, officer: str = "lead-1") -> Actor:
    return Actor(officer, Role.LEADER, agency, "BGD")


def birth_registration(limit: TimeLimit | None = None) -> ProcedureDefinition:
    return ProcedureDefinition(
        code=BIRTH,
        name="Đăng ký khai sinh",
        field_code="H34-HT",
        competent_agency=AgencyCode(JUSTICE),
        time_limit=limit or TimeLimit(TimeUnit.WORKING_DAYS, Decimal(3)),
        components=(
            Component("TP1", "Tờ khai đăng ký khai sinh", "GT.TKKS"),
            Component("TP2", "Giấy chứng sinh", "GT.GCS"),
            Component(
                "TP3", "Căn cước công dân", "GT.CCCD", DigitizationScope.SHOWN_ONLY
            ),
            Component("TP4", "Văn bản ủy quyền", "GT.UQ", mandatory=False),
        ),
        results=(ResultDocument("KQ.H34.000001", "Giấy khai sinh"),),
        fees=(Fee("LP1", "Lệ phí đăng ký khai sinh", Decimal(8000)),),
        online_level=OnlineLevel.FULL,
    )


def criminal_record() -> ProcedureDefinition:
    return ProcedureDefinition(
        code=CRIMINAL_RECORD,
        name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
        field_code="H34-LLTP",
        competent_agency=AgencyCode(JUSTICE),
        time_limit=TimeLimit(TimeUnit.WORKING_DAYS, Decimal(10)),
        components=(Component("TP1", "Tờ khai yêu cầu cấp Phiếu LLTP", "GT.TKLLTP"),),
        results=(ResultDocument("KQ.H34.000002", "Phiếu lý lịch tư pháp"),),
        fees=(Fee("LP1", "Phí cung cấp thông tin lý lịch tư pháp", Decimal(200000)),),
        online_level=OnlineLevel.PARTIAL,
    )


def building_permit() -> ProcedureDefinition:
    return ProcedureDefinition(
        code=BUILDING,
        name="Cấp giấy phép xây dựng",
        field_code="H34-XD",
        competent_agency=AgencyCode(CONSTRUCTION),
        time_limit=TimeLimit(TimeUnit.CALENDAR_DAYS, Decimal(20)),
        components=(Component("TP1", "Đơn đề nghị cấp giấy phép xây dựng", "GT.DXD"),),
        results=(ResultDocument("KQ.H34.000003", "Giấy phép xây dựng"),),
        online_level=OnlineLevel.NONE,
    )


def seed_catalogue(
    app: OneStop,
    *,
    procedures: Iterable[ProcedureDefinition] | None = None,
    at: datetime = MONDAY,
    years: Iterable[int] = (2025, 2026, 2027),
) -> None:
    """Register the agencies, the H34 calendar for ``years`` and ``procedures``
    (default: the three sample procedures), all at ``at``."""
    trace = trace_for(ADMIN, at=at)
    for code, name, level in AGENCIES:
        app.register_agency(trace=trace, code=code, name=name, level=level)
    app.define_calendar(trace=trace, province=CALENDAR, years=years)
    chosen = (
        procedures
        if procedures is not None
        else (birth_registration(), criminal_record(), building_permit())
    )
    for definition in chosen:
        app.publish_procedure(trace=trace, definition=definition)


# -- the benchmarks' procedure ------------------------------------------------

DEPARTMENT = JUSTICE
PROCEDURE = "9.900001"
#: Benchmark traces start here (the catalogue is published a week before).
START = MONDAY
DESK = desk(officer="bench-desk")
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
    """The catalogue with only the benchmarks' procedure, a week before START."""
    seed_catalogue(
        app,
        procedures=(bench_procedure(),),
        at=START - timedelta(days=7),
        years=range(START.year, START.year + 3),
    )
