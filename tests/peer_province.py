"""A second province (H35) for cross-province tests: the same birth
registration procedure, competent at its Department of Justice."""

from __future__ import annotations

from decimal import Decimal

from application.onestop import OneStop
from domain.deadline import TimeLimit, TimeUnit
from domain.dossier_values import IssuedResult
from domain.procedure import Component, OnlineLevel, ProcedureDefinition, ResultDocument
from domain.values import AgencyCode, AgencyLevel
from tests.factories import ADMIN, BIRTH, trace
from tests.pki import ensure_pki
from tests.scans import store

PEER = "H35"
PEER_PROVINCE = "000.00.00.H35"
PEER_JUSTICE = "000.00.12.H35"
PEER_RESULT = "KQ.H35.000001"


def peer_birth_registration() -> ProcedureDefinition:
    return ProcedureDefinition(
        code=BIRTH,
        name="Đăng ký khai sinh",
        field_code="H35-HT",
        competent_agency=AgencyCode(PEER_JUSTICE),
        time_limit=TimeLimit(TimeUnit.WORKING_DAYS, Decimal(3)),
        components=(
            Component("TP1", "Tờ khai đăng ký khai sinh", "GT.TKKS"),
            Component("TP2", "Giấy chứng sinh", "GT.GCS"),
        ),
        results=(ResultDocument(PEER_RESULT, "Giấy khai sinh"),),
        online_level=OnlineLevel.FULL,
    )


def seed_peer(app: OneStop) -> None:
    t = trace(ADMIN)
    app.register_agency(
        trace=t,
        code=PEER_PROVINCE,
        name="UBND tỉnh Gia Lai",
        level=AgencyLevel.PROVINCE,
    )
    app.register_agency(
        trace=t, code=PEER_JUSTICE, name="Sở Tư pháp", level=AgencyLevel.DEPARTMENT
    )
    app.define_calendar(trace=t, province=PEER, years=(2025, 2026, 2027))
    app.publish_procedure(trace=t, definition=peer_birth_registration())


def peer_result(app: OneStop) -> IssuedResult:
    ensure_pki(app)
    stored = store(app.files, "peer result")
    from uuid import uuid4

    return IssuedResult(PEER_RESULT, uuid4(), stored.sha256, "7/GKS")
