"""Defects an acceptance review found in the domain, each refused by its rule.

Supplements bring what was requested, a forward changes the holder, a
re-appointment lands on a working instant, a local procedure variant belongs
to a registered unit, a 13-digit tax code is one owner. Every refusal is
typed and writes nothing (checked against the log position).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.settings import persistence_env
from application.onestop import OneStop
from domain.dossier_events import ReceivedAtDesk
from domain.dossier_values import Applicant, ApplicantKind, Holder
from domain.errors import (
    AlreadyHeldError,
    ComponentError,
    DomainError,
    ReappointmentError,
    SupplementError,
    UnregisteredAgencyError,
)
from domain.procedure import Component, DigitizationScope
from domain.values import AgencyLevel
from tests.factories import (
    ADMIN,
    BIRTH,
    JUSTICE,
    VN,
    at,
    birth_registration,
    citizen,
    desk,
    document,
    in_progress,
    leader,
    receive,
    seed_catalogue,
    specialist,
    trace,
)


def refused(
    app: OneStop, error: type[DomainError], call: object, *args: object, **kw: object
) -> DomainError:
    """``call`` raises ``error`` and the log did not move."""
    before = app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        call(*args, **kw)  # type: ignore[operator]
    assert app.recorder.max_notification_id() == before
    return caught.value


def awaiting(app: OneStop, items: tuple[str, ...]) -> UUID:
    dossier_id = in_progress(app, when=at(0, 8))
    app.request_supplement(
        dossier_id, trace=trace(specialist(), at(0, 9)), items=items, reason="Bổ sung"
    )
    return dossier_id


# -- supplements ------------------------------------------------------------------


class TestSupplements:
    def test_an_empty_citizen_supplement_does_not_restart_the_clock(
        self, app: OneStop
    ) -> None:
        dossier_id = awaiting(app, ("TP2",))
        error = refused(
            app,
            SupplementError,
            app.receive_supplement,
            dossier_id,
            trace=trace(citizen(), at(1, 9)),
            documents={},
        )
        assert "TP2" in error.message("vi")
        assert app.get_dossier(dossier_id).status.national_code == 5

    @pytest.mark.parametrize("brought", [("TP1",), ("TP1", "TP2"), ("TP4",)])
    def test_documents_for_unrequested_items_are_refused(
        self, app: OneStop, brought: tuple[str, ...]
    ) -> None:
        dossier_id = awaiting(app, ("TP2",))
        for actor in (citizen(), desk()):
            refused(
                app,
                SupplementError,
                app.receive_supplement,
                dossier_id,
                trace=trace(actor, at(1, 9)),
                documents={code: document(code) for code in brought},
            )

    def test_the_citizen_brings_every_requested_item_online(self, app: OneStop) -> None:
        dossier_id = awaiting(app, ("TP1", "TP2"))
        refused(
            app,
            SupplementError,
            app.receive_supplement,
            dossier_id,
            trace=trace(citizen(), at(1, 9)),
            documents={"TP1": document("TP1")},
        )
        app.receive_supplement(
            dossier_id,
            trace=trace(citizen(), at(1, 9)),
            documents={
                "TP1": document("TP1", app, citizen()),
                "TP2": document("TP2", app, citizen()),
            },
        )
        assert app.get_dossier(dossier_id).status.national_code == 4

    def test_the_desk_takes_paper_for_part_of_the_request(self, app: OneStop) -> None:
        dossier_id = awaiting(app, ("TP1", "TP2", "TP3"))
        app.receive_supplement(
            dossier_id,
            trace=trace(desk(), at(1, 9)),
            documents={"TP2": document("TP2", app, desk())},
        )
        dossier = app.get_dossier(dossier_id)
        assert dossier.status.national_code == 4
        assert dossier.supplement_items == ()

    def test_out_of_scope_requests_are_answered_at_the_desk(self, app: OneStop) -> None:
        dossier_id = awaiting(app, ("TP3",))  # the CCCD is shown, not uploaded
        refused(
            app,
            SupplementError,
            app.receive_supplement,
            dossier_id,
            trace=trace(citizen(), at(1, 9)),
            documents={},
        )
        refused(
            app,
            ComponentError,
            app.receive_supplement,
            dossier_id,
            trace=trace(citizen(), at(1, 9)),
            documents={"TP3": document("TP3")},
        )
        app.receive_supplement(dossier_id, trace=trace(desk(), at(1, 9)))
        assert app.get_dossier(dossier_id).status.national_code == 4

    def test_a_snapshot_without_the_request_still_needs_a_document(
        self, app: OneStop
    ) -> None:
        """State loaded from a snapshot taken before requests were kept has no
        ``supplement_items``: scope is checked and an upload must bring something."""
        dossier_id = awaiting(app, ("TP2",))
        dossier = app.get_dossier(dossier_id)
        del vars(dossier)["supplement_items"]
        assert dossier.supplement_items == ()  # the class default
        calendar = app.working_calendar("H34")
        with pytest.raises(SupplementError):
            dossier.receive_supplement(
                trace=trace(citizen(), at(1, 9)),
                calendar=calendar,
                documents={},
                files={},
            )
        with pytest.raises(ComponentError):
            dossier.receive_supplement(
                trace=trace(citizen(), at(1, 9)),
                calendar=calendar,
                documents={"TP3": document("TP3")},
                files={},
            )
        supplied = {"TP1": document("TP1", app, citizen())}
        dossier.receive_supplement(
            trace=trace(citizen(), at(1, 9)),
            calendar=calendar,
            documents=supplied,
            files=app.uploaded_files(citizen(), supplied),
        )
        assert dossier.status.national_code == 4

    def test_a_second_request_asks_anew(self, app: OneStop) -> None:
        dossier_id = awaiting(app, ("TP2",))
        app.receive_supplement(
            dossier_id,
            trace=trace(citizen(), at(1, 9)),
            documents={"TP2": document("TP2", app, citizen())},
        )
        app.request_supplement(
            dossier_id, trace=trace(specialist(), at(1, 10)), items=("TP1",), reason="X"
        )
        refused(
            app,
            SupplementError,
            app.receive_supplement,
            dossier_id,
            trace=trace(citizen(), at(2, 9)),
            documents={"TP2": document("TP2 again", app, citizen())},
        )


# -- forwards ----------------------------------------------------------------------


@pytest.mark.parametrize("department", ["PHC", None])
def test_a_forward_to_the_holder_is_refused(
    app: OneStop, department: str | None
) -> None:
    dossier_id = in_progress(app)  # held by Holder(JUSTICE, "PHC")
    app.add_department(
        JUSTICE, trace=trace(ADMIN), department_code="PHC", name="Phòng Hành chính"
    )
    if department is None:
        app.forward_dossier(dossier_id, trace=trace(desk()), to=Holder(JUSTICE))
    error = refused(
        app,
        AlreadyHeldError,
        app.forward_dossier,
        dossier_id,
        trace=trace(desk()),
        to=Holder(JUSTICE, department),
    )
    assert error.code == "ALREADY_HELD"
    assert JUSTICE in error.message("vi")


# -- re-appointment ------------------------------------------------------------------


def _working_instant(
    moment: datetime, holidays: frozenset[str], make_up: frozenset[str]
) -> bool:
    """Independent statement: Mon–Fri or a make-up day, not a holiday,
    07:00–11:30 or 13:30–17:00."""
    local = moment.astimezone(VN)
    day = local.date().isoformat()
    if day not in make_up and (local.weekday() >= 5 or day in holidays):
        return False
    minutes = local.hour * 60 + local.minute + local.second / 60
    return 7 * 60 <= minutes <= 11 * 60 + 30 or 13 * 60 + 30 <= minutes <= 17 * 60


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    offset=st.integers(min_value=0, max_value=60 * 24 * 70).map(
        lambda m: timedelta(minutes=m)
    )
)
def test_a_new_due_time_is_a_working_instant(offset: timedelta) -> None:
    app = OneStop(env=persistence_env("memory://"))
    seed_catalogue(app)
    dossier_id = in_progress(app, when=at(0, 8))
    due = app.get_dossier(dossier_id).due_at
    assert due is not None
    new_due = due + timedelta(minutes=1) + offset  # Thu 08:01 … ten weeks later
    calendar = app.get_calendar("H34")
    holidays, make_up = frozenset(calendar.days_off), frozenset(calendar.working_days)
    call = {
        "trace": trace(leader(), at(0, 9)),
        "due_at": new_due,
        "reason": "Quá tải",
    }
    if _working_instant(new_due, holidays, make_up):
        app.reappoint_dossier(dossier_id, **call)  # type: ignore[arg-type]
        assert app.get_dossier(dossier_id).due_at == new_due
    else:
        error = refused(
            app, ReappointmentError, app.reappoint_dossier, dossier_id, **call
        )
        assert "giờ làm việc" in error.message("vi")
        assert "working hours" in error.message("en")


@pytest.mark.parametrize(
    ("when", "ok"),
    [
        (at(5, 10), False),  # Saturday
        (at(6, 10), False),  # Sunday
        (at(4, 12), False),  # Friday lunch break
        (at(4, 18), False),  # Friday evening
        (at(59, 9), False),  # 30 April, Reunification Day
        (at(4, 17), True),  # Friday closing: the legal due instant
        (at(4, 7), True),
    ],
)
def test_reappointment_examples(app: OneStop, when: datetime, ok: bool) -> None:
    dossier_id = in_progress(app, when=at(0, 8))
    call = {"trace": trace(leader(), at(0, 9)), "due_at": when, "reason": "Quá tải"}
    if ok:
        app.reappoint_dossier(dossier_id, **call)  # type: ignore[arg-type]
    else:
        refused(app, ReappointmentError, app.reappoint_dossier, dossier_id, **call)


# -- local procedure variants ----------------------------------------------------------


@pytest.mark.parametrize("unit", ["000.00.88.H34", "000.05.30.H34"])
def test_a_local_variant_of_an_unregistered_unit_is_not_published(
    app: OneStop, unit: str
) -> None:
    local = replace(birth_registration(), code=f"{BIRTH}.{unit}")
    error = refused(
        app,
        UnregisteredAgencyError,
        app.publish_procedure,
        trace=trace(ADMIN),
        definition=local,
    )
    assert unit in error.message("en")
    app.register_agency(
        trace=trace(ADMIN),
        code=unit,
        name="Đơn vị mới",
        level=AgencyLevel.DEPARTMENT
        if unit.startswith("000.00")
        else AgencyLevel.COMMUNE,
    )
    app.publish_procedure(trace=trace(ADMIN), definition=local)
    assert app.published_procedure(local.code).definition == local


def test_a_revision_to_an_unregistered_competent_agency_is_refused(
    app: OneStop,
) -> None:
    moved = replace(birth_registration(), name="Đăng ký khai sinh (sửa đổi)")
    moved = replace(
        moved, competent_agency=type(moved.competent_agency)("000.00.88.H34")
    )
    refused(
        app,
        UnregisteredAgencyError,
        app.revise_procedure,
        trace=trace(ADMIN),
        definition=moved,
    )


# -- applicants ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ApplicantKind.ENTERPRISE, ApplicantKind.COOPERATIVE])
def test_both_spellings_of_a_branch_code_are_one_owner(
    app: OneStop, kind: ApplicantKind
) -> None:
    plain = receive(app, applicant=Applicant("0101234567001", "Chi nhánh An", kind))
    dashed = receive(app, applicant=Applicant("0101234567-001", "Chi nhánh An", kind))
    ids = {app.get_dossier(r.dossier_id).applicant.id for r in (plain, dashed)}
    assert ids == {"0101234567-001"}
    first = next(iter(app.events.get(plain.dossier_id)))
    assert isinstance(first, ReceivedAtDesk)
    assert first.applicant.id == "0101234567-001"


def test_a_branch_submits_online_under_either_spelling(app: OneStop) -> None:
    owner = Applicant("0101234567001", "Chi nhánh An", ApplicantKind.ENTERPRISE)
    dossier_id, _ = app.submit_dossier(
        trace=trace(citizen(owner)),
        applicant=owner,
        procedure_code=BIRTH,
        documents={
            "TP1": document("TP1", app, citizen(owner)),
            "TP2": document("TP2", app, citizen(owner)),
        },
    )
    assert app.get_dossier(dossier_id).applicant.id == "0101234567-001"


def test_a_component_scope_has_labels() -> None:
    component = Component("TP9", "Bản sao", "GT.BS", DigitizationScope.PHOTOCOPY)
    assert component.scope.label("vi") == "bản sao"
    assert component.scope.label("en") == "photocopy"
