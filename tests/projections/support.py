"""Shared builders for the projection tests: a varied data set, fault injection, digests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import cast
from uuid import UUID

from application.complaints import Complaints
from application.onestop import OneStop
from domain.deadline import TimeLimit, TimeUnit
from domain.dossier_status import DossierStatus
from domain.dossier_values import PaymentChannel, ReturnMethod, Satisfaction
from domain.procedure import (
    Component,
    Fee,
    OnlineLevel,
    ProcedureDefinition,
    ResultDocument,
)
from domain.values import AgencyCode
from projections.base import Projection
from projections.ports import ReadStore, Sql
from projections.public_status import Completion
from projections.rebuild import checksum
from projections.registry import READ_MODELS, all_projections
from projections.runtime import TRACKING
from tests.factories import (
    ADMIN,
    APPLICANT,
    BIRTH,
    COMMUNE,
    DISTRICT,
    JUSTICE,
    OTHER_APPLICANT,
    at,
    citizen,
    desk,
    document,
    in_progress,
    leader,
    receive,
    result,
    seed_catalogue,
    specialist,
    trace,
)

MARRIAGE = "1.000894"
CERTIFICATION = "2.000815"

COMPLETION: dict[DossierStatus, Completion | None] = {
    DossierStatus.SUBMITTED: None,
    DossierStatus.REFUSED: None,
    DossierStatus.RECEIVED: Completion.RECEIVED,
    DossierStatus.IN_PROGRESS: Completion.IN_PROGRESS,
    DossierStatus.AWAITING_SUPPLEMENT: Completion.WAITING_FOR_APPLICANT,
    DossierStatus.AWAITING_PAYMENT: Completion.WAITING_FOR_APPLICANT,
    DossierStatus.RESOLVED: Completion.RESULT_READY,
    DossierStatus.RETURNED: Completion.RETURNED,
    DossierStatus.STOPPED: Completion.CLOSED,
    DossierStatus.WITHDRAWN: Completion.CLOSED,
}
"""What the anonymous lookup shows for each dossier status (None: no code yet)."""


class InjectedCrashError(BaseException):
    """Raised by a read model on purpose, to kill a batch half-way.

    A BaseException like SystemExit: it stands for the process dying, which the
    runtime must survive by atomicity, not an event it could dead-letter."""


class Fault:
    """Counts ``apply`` calls across read models and raises on the ``at``-th."""

    def __init__(self, at: int | None = None) -> None:
        self.at = at
        self.calls = 0

    def tick(self) -> None:
        self.calls += 1
        if self.at is not None and self.calls == self.at:
            raise InjectedCrashError(f"killed at apply call {self.calls}")


def crashing(factory: type[Projection], fault: Fault, suffix: str = "") -> Projection:
    """The real read model, with a fault injector in front of every ``apply``."""

    def apply(self: Projection, event: object, sql: Sql) -> None:
        fault.tick()
        cast("Projection", super(subclass, self)).apply(event, sql)

    subclass = cast(
        "type[Projection]",
        type(f"Crashing{factory.__name__}", (factory,), {"apply": apply}),
    )
    return subclass(suffix)


def crashing_projections(fault: Fault, suffix: str = "") -> list[Projection]:
    return [crashing(factory, fault, suffix) for factory in READ_MODELS.values()]


def positions(store: ReadStore) -> dict[str, int]:
    return {
        str(name): int(position)
        for name, position in store.query(f"SELECT name, position FROM {TRACKING}")
    }


def checksums(
    store: ReadStore, projections: list[Projection] | None = None
) -> dict[str, str]:
    """Digest of every read model, by name (suffixed copies digest the same)."""
    return {p.name: checksum(store, p) for p in projections or all_projections()}


def contents(
    store: ReadStore, projections: list[Projection] | None = None
) -> dict[str, dict[str, list[tuple[object, ...]]]]:
    """Every row of every read model, by name, for readable assertion diffs."""
    with store.transaction() as sql:
        return {p.name: p.rows(sql) for p in projections or all_projections()}


def marriage_registration() -> ProcedureDefinition:
    """A procedure decided at the commune, to exercise agency subtrees."""
    return ProcedureDefinition(
        code=MARRIAGE,
        name="Đăng ký kết hôn",
        field_code="H34-HT",
        competent_agency=AgencyCode(COMMUNE),
        time_limit=TimeLimit(TimeUnit.WORKING_DAYS, Decimal(5)),
        components=(Component("TP1", "Tờ khai đăng ký kết hôn", "GT.TKKH"),),
        results=(ResultDocument("KQ.H34.000004", "Giấy chứng nhận kết hôn"),),
        online_level=OnlineLevel.PARTIAL,
    )


def certification() -> ProcedureDefinition:
    """A commune procedure without a time limit: its dossiers have no due time."""
    return ProcedureDefinition(
        code=CERTIFICATION,
        name="Chứng thực bản sao từ bản chính",
        field_code="H34-HT",
        competent_agency=AgencyCode(COMMUNE),
        time_limit=TimeLimit(TimeUnit.NONE),
        components=(Component("TP1", "Bản chính giấy tờ", "GT.BC"),),
        results=(ResultDocument("KQ.H34.000005", "Bản sao chứng thực"),),
        online_level=OnlineLevel.NONE,
    )


@dataclass
class Scenario:
    """Dossiers in every interesting state, by a short name."""

    ids: dict[str, UUID] = field(default_factory=dict)

    def __getitem__(self, name: str) -> UUID:
        return self.ids[name]


def populate(app: OneStop) -> Scenario:
    """Catalogue plus a dozen dossiers spread over statuses, agencies and days."""
    seed_catalogue(app)
    admin = trace(ADMIN)
    app.add_department(
        JUSTICE, trace=admin, department_code="PHC", name="Phòng Hành chính tư pháp"
    )
    app.publish_procedure(trace=admin, definition=marriage_registration())
    app.publish_procedure(trace=admin, definition=certification())
    s = Scenario()
    s.ids["received"] = receive(app, when=at(0, 9)).dossier_id
    s.ids["in_progress"] = in_progress(app, at(1))

    s.ids["supplement"] = d = in_progress(app, at(2))
    app.request_supplement(
        d, trace=trace(specialist(), at(2, 14)), items=("TP2",), reason="Bản chụp mờ"
    )
    app.receive_supplement(
        d,
        trace=trace(citizen(), at(3)),
        documents={"TP2": document("TP2-lại", app, citizen())},
    )
    app.request_supplement(
        d, trace=trace(specialist(), at(3, 15)), items=("TP1",), reason="Thiếu chữ ký"
    )

    s.ids["payment"] = d = in_progress(app, at(3))
    app.request_payment(
        d,
        trace=trace(specialist(), at(3, 14)),
        fees=(Fee("LP1", "Lệ phí đăng ký khai sinh", Decimal(8000)),),
    )
    app.confirm_payment(
        d, trace=trace(desk(), at(4)), channel=PaymentChannel.DESK, receipt="BL-0001"
    )

    s.ids["awaiting_payment"] = d = in_progress(app, at(4))
    app.request_payment(
        d,
        trace=trace(leader(), at(4, 10)),
        fees=(Fee("LP1", "Lệ phí đăng ký khai sinh", Decimal(8000)),),
    )

    s.ids["returned"] = d = in_progress(app, at(7))
    app.resolve_dossier(
        d, trace=trace(leader(), at(8)), results=(result(app),), decision="Cấp giấy"
    )
    app.return_result(d, trace=trace(desk(), at(8, 15)), method=ReturnMethod.DESK)
    app.rate_dossier(
        d, trace=trace(citizen(), at(9)), satisfaction=Satisfaction.VERY_SATISFIED
    )

    s.ids["resolved"] = d = in_progress(app, at(8))
    app.resolve_dossier(
        d, trace=trace(leader(), at(9)), results=(result(app),), decision="Cấp giấy"
    )

    s.ids["stopped"] = d = in_progress(app, at(9))
    app.stop_dossier(d, trace=trace(leader(), at(10)), reason="Không đủ điều kiện")

    s.ids["withdrawn"] = d = receive(app, when=at(10)).dossier_id
    app.withdraw_dossier(d, trace=trace(citizen(), at(10, 14)))

    s.ids["reappointed"] = d = in_progress(app, at(11))
    due = app.get_dossier(d).due_at
    assert due is not None
    app.reappoint_dossier(
        d,
        trace=trace(specialist(), at(11, 9)),
        due_at=due + timedelta(days=7),
        reason="Cần xác minh thêm",
    )

    s.ids["district"] = receive(
        app,
        when=at(14),
        applicant=OTHER_APPLICANT,
        officer=desk(DISTRICT, "desk-dh"),
    ).dossier_id
    s.ids["commune"] = receive(
        app,
        when=at(15),
        procedure=MARRIAGE,
        applicant=OTHER_APPLICANT,
        officer=desk(COMMUNE, "desk-hm"),
    ).dossier_id

    s.ids["no_deadline"] = receive(
        app,
        when=at(15, 10),
        procedure=CERTIFICATION,
        officer=desk(COMMUNE, "desk-hm"),
    ).dossier_id

    s.ids["online"], _ = app.submit_dossier(
        trace=trace(citizen(), at(16)),
        applicant=APPLICANT,
        procedure_code=BIRTH,
        documents={
            "TP1": document("TP1", app, citizen()),
            "TP2": document("TP2", app, citizen()),
        },
    )

    # a complaint, so that every read model has events to rebuild from
    complaints = Complaints(app)
    c = complaints.submit(
        trace=trace(citizen(), at(12)),
        agency_code=JUSTICE,
        subject="Chậm trả kết quả",
        content="Hồ sơ quá hạn",
        dossier_code=app.get_dossier(s.ids["reappointed"]).code,
    )
    complaints.answer(c, trace=trace(specialist(), at(13)), answer="Đã xử lý")
    return s
