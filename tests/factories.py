"""Builders for tests: a small Kon Tum catalogue and dossiers in known states."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

from application.clock import trace_for
from application.onestop import OneStop, Reception
from domain.deadline import TimeLimit, TimeUnit
from domain.dossier_values import Applicant, DocumentMetadata, Holder, IssuedResult
from domain.procedure import (
    Component,
    DigitizationScope,
    Fee,
    OnlineLevel,
    ProcedureDefinition,
    ResultDocument,
)
from domain.values import Actor, AgencyCode, AgencyLevel, Role, Trace
from tests.pki import ensure_pki
from tests.scans import store

VN = timezone(timedelta(hours=7))
PROVINCE = "000.00.00.H34"
JUSTICE = "000.00.12.H34"
CONSTRUCTION = "000.00.15.H34"
DISTRICT = "000.00.30.H34"
COMMUNE = "000.01.30.H34"
OTHER_PROVINCE = "000.00.00.H35"

ADMIN = Actor("admin", Role.SYSTEM)
APPLICANT = Applicant("062000000001", "Nguyễn Văn An")
OTHER_APPLICANT = Applicant("062000000002", "Trần Thị Bình")
BIRTH = "1.001193"
CRIMINAL_RECORD = "2.000488"
BUILDING = "1.009994"
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=VN)


def at(day_offset: int = 0, hour: int = 8, minute: int = 0) -> datetime:
    return (MONDAY + timedelta(days=day_offset)).replace(hour=hour, minute=minute)


def desk(agency: str = PROVINCE, officer: str = "desk-1") -> Actor:
    return Actor(officer, Role.DESK, agency, "TTPVHCC")


def specialist(agency: str = JUSTICE, officer: str = "spec-1") -> Actor:
    return Actor(officer, Role.SPECIALIST, agency, "PHC")


def leader(agency: str = JUSTICE, officer: str = "lead-1") -> Actor:
    return Actor(officer, Role.LEADER, agency, "BGD")


def citizen(applicant: Applicant = APPLICANT) -> Actor:
    return Actor(applicant.id, Role.CITIZEN)


def trace(actor: Actor, when: datetime | None = None) -> Trace:
    return trace_for(actor, at=when or MONDAY)


def sha(text: str = "scan") -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def document(
    text: str = "scan", app: OneStop | None = None, by: Actor | None = None
) -> DocumentMetadata:
    """Metadata of the scan of ``text``; uploaded to ``app``'s files when given
    (and recorded as ``by``'s upload: a citizen may only name their own)."""
    if app is None:
        return DocumentMetadata(
            document_id=uuid4(), sha256=sha(text), number_symbol="01/GKS"
        )
    stored = store(app.files, text)
    if by is not None:
        app.record_upload(trace(by), stored, ())
    return DocumentMetadata(
        document_id=uuid4(), sha256=stored.sha256, number_symbol="01/GKS"
    )


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


def seed_catalogue(app: OneStop) -> None:
    t = trace(ADMIN)
    app.register_agency(
        trace=t, code=PROVINCE, name="UBND tỉnh Kon Tum", level=AgencyLevel.PROVINCE
    )
    app.register_agency(
        trace=t, code=JUSTICE, name="Sở Tư pháp", level=AgencyLevel.DEPARTMENT
    )
    app.register_agency(
        trace=t, code=CONSTRUCTION, name="Sở Xây dựng", level=AgencyLevel.DEPARTMENT
    )
    app.register_agency(
        trace=t, code=DISTRICT, name="UBND huyện Đắk Hà", level=AgencyLevel.DISTRICT
    )
    app.register_agency(
        trace=t, code=COMMUNE, name="UBND xã Hà Mòn", level=AgencyLevel.COMMUNE
    )
    app.define_calendar(trace=t, province="H34", years=(2025, 2026, 2027))
    for definition in (birth_registration(), criminal_record(), building_permit()):
        app.publish_procedure(trace=t, definition=definition)


def receive(
    app: OneStop,
    *,
    when: datetime = MONDAY,
    procedure: str = BIRTH,
    applicant: Applicant = APPLICANT,
    officer: Actor | None = None,
) -> Reception:
    return app.receive_dossier(
        trace=trace(officer or desk(), when),
        applicant=applicant,
        procedure_code=procedure,
    )


def digitize_and_sign(app: OneStop, dossier_id: UUID, when: datetime = MONDAY) -> None:
    ensure_pki(app)
    for code in ("TP1", "TP2"):
        app.digitize_component(
            dossier_id,
            trace=trace(desk(), when),
            component_code=code,
            document=document(code, app),
        )
        app.sign_component(
            dossier_id,
            trace=trace(desk(), when),
            component_code=code,
        )


def in_progress(app: OneStop, when: datetime = MONDAY) -> UUID:
    dossier_id = receive(app, when=when).dossier_id
    digitize_and_sign(app, dossier_id, when)
    app.forward_dossier(
        dossier_id, trace=trace(desk(), when), to=Holder(JUSTICE, "PHC")
    )
    return dossier_id


def result(app: OneStop, text: str = "result") -> IssuedResult:
    """A result document uploaded to ``app``'s files (signed when resolved)."""
    ensure_pki(app)
    stored = store(app.files, text)
    return IssuedResult("KQ.H34.000001", uuid4(), stored.sha256, "123/GKS")


def warehouse_document(
    app: OneStop,
    component: str = "TP2",
    *,
    applicant: Applicant = APPLICANT,
    when: datetime = MONDAY,
    metadata: DocumentMetadata | None = None,
) -> UUID:
    """A document of ``applicant`` in the warehouse: scanned for ``component``
    of an earlier birth-registration dossier."""
    earlier = receive(app, applicant=applicant, when=when).dossier_id
    scanned = metadata or document(f"{component}-{uuid4()}", app)
    app.digitize_component(
        earlier, trace=trace(desk(), when), component_code=component, document=scanned
    )
    return scanned.document_id
