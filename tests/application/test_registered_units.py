"""Only catalogued units receive, issue codes and get forwards (issue 6, items 8, 13)."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from application.onestop import OneStop
from domain.dossier_code import DossierCode, format_dossier_code
from domain.dossier_events import Forwarded
from domain.dossier_values import Holder
from domain.errors import (
    CrossProvinceForwardError,
    DomainError,
    PlannedDueError,
    TimeOutOfRangeError,
    UnregisteredAgencyError,
    UnregisteredUnitError,
)
from domain.values import AgencyCode, AgencyLevel
from tests.factories import (
    ADMIN,
    APPLICANT,
    BIRTH,
    JUSTICE,
    OTHER_PROVINCE,
    at,
    citizen,
    desk,
    digitize_and_sign,
    document,
    in_progress,
    receive,
    specialist,
    trace,
)

UNREGISTERED = ["000.00.88.H34", "000.07.30.H34", "001.01.30.H34"]


def log_position(app: OneStop) -> int:
    return app.recorder.max_notification_id() or 0


class TestOnlyRegisteredDesksReceive:
    @pytest.mark.parametrize("unit", UNREGISTERED)
    def test_a_desk_of_an_unregistered_unit_gets_no_code(
        self, app: OneStop, unit: str
    ) -> None:
        before = log_position(app)
        with pytest.raises(UnregisteredUnitError) as raised:
            receive(app, officer=desk(unit), when=at(0, 9))
        assert raised.value.code == "UNREGISTERED_UNIT"
        assert unit in raised.value.message("vi")
        assert log_position(app) == before
        for code_unit in (unit, JUSTICE):
            code = format_dossier_code(AgencyCode(code_unit), at(0, 9).date(), 1)
            assert DossierCode.create_id(code) not in app.repository

    @pytest.mark.parametrize("unit", UNREGISTERED)
    def test_an_online_submission_is_not_received_by_an_unregistered_desk(
        self, app: OneStop, unit: str
    ) -> None:
        dossier_id, _ = app.submit_dossier(
            trace=trace(citizen(), at(0, 8)),
            applicant=APPLICANT,
            procedure_code=BIRTH,
            documents={
                "TP1": document("a", app, citizen()),
                "TP2": document("b", app, citizen()),
            },
        )
        before = log_position(app)
        with pytest.raises(UnregisteredUnitError):
            app.receive_submitted_dossier(dossier_id, trace=trace(desk(unit), at(0, 9)))
        assert log_position(app) == before
        assert app.get_dossier(dossier_id).code is None

    def test_a_unit_registered_later_may_receive_at_once(self, app: OneStop) -> None:
        unit = UNREGISTERED[0]
        with pytest.raises(UnregisteredUnitError):
            receive(app, officer=desk(unit))
        app.register_agency(
            trace=trace(ADMIN), code=unit, name="Sở mới", level=AgencyLevel.DEPARTMENT
        )
        reception = receive(app, officer=desk(unit))
        assert app.get_dossier(reception.dossier_id).receiving_agency == unit


class TestForwardsGoToRegisteredUnitsOfTheProvince:
    @pytest.mark.parametrize(
        ("to", "error"),
        [
            (Holder("000.00.88.H34"), UnregisteredAgencyError),
            (Holder("000.02.30.H34", "PHC"), UnregisteredAgencyError),
            (Holder(OTHER_PROVINCE), CrossProvinceForwardError),
            (Holder("000.99.99.H99"), CrossProvinceForwardError),
            (Holder("000.00.12.H35", "PHC"), CrossProvinceForwardError),
        ],
        ids=str,
    )
    def test_a_forward_outside_the_catalogue_is_refused_and_nothing_written(
        self, app: OneStop, to: Holder, error: type[DomainError]
    ) -> None:
        dossier_id = receive(app).dossier_id
        digitize_and_sign(app, dossier_id)
        version = app.get_dossier(dossier_id).version
        with pytest.raises(error) as raised:
            app.forward_dossier(dossier_id, trace=trace(desk(), at(0, 9)), to=to)
        assert to.agency_code in raised.value.message("en")
        assert app.get_dossier(dossier_id).version == version
        assert app.get_dossier(dossier_id).involved_agencies == (JUSTICE,)

    def test_a_department_must_be_catalogued_once_the_agency_lists_any(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app)  # to JUSTICE/PHC while none are listed
        app.add_department(
            JUSTICE, trace=trace(ADMIN), department_code="PHT", name="Phòng HT"
        )
        actor = specialist()
        with pytest.raises(UnregisteredAgencyError):
            app.forward_dossier(
                dossier_id, trace=trace(actor, at(0, 10)), to=Holder(JUSTICE, "BGD")
            )
        app.forward_dossier(
            dossier_id, trace=trace(actor, at(0, 10)), to=Holder(JUSTICE, "PHT")
        )
        assert app.get_dossier(dossier_id).holder == Holder(JUSTICE, "PHT")


class TestPlannedDeadlineOfAStep:
    def forwarded(self, app: OneStop, dossier_id: UUID) -> Forwarded:
        events = [e for e in app.events.get(dossier_id) if isinstance(e, Forwarded)]
        return events[-1]

    def test_without_a_plan_the_step_is_due_with_the_dossier(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app)
        step = self.forwarded(app, dossier_id)
        assert step.planned_due_at == app.get_dossier(dossier_id).due_at

    def test_the_officer_may_plan_a_step_within_the_dossier_due_time(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app)
        planned = at(1, 10)
        app.forward_dossier(
            dossier_id,
            trace=trace(specialist(), at(0, 9)),
            to=Holder(JUSTICE, "PHT"),
            planned_due_at=planned,
        )
        assert self.forwarded(app, dossier_id).planned_due_at == planned

    @pytest.mark.parametrize(
        ("offset", "error"),
        [
            (timedelta(days=30), PlannedDueError),  # after the dossier's due time
            (-timedelta(hours=2), PlannedDueError),  # before the hand-over
            (timedelta(days=365 * 200), TimeOutOfRangeError),
        ],
    )
    def test_a_plan_outside_the_dossier_due_time_is_refused(
        self, app: OneStop, offset: timedelta, error: type[DomainError]
    ) -> None:
        dossier_id = in_progress(app)
        version = app.get_dossier(dossier_id).version
        with pytest.raises(error):
            app.forward_dossier(
                dossier_id,
                trace=trace(specialist(), at(0, 9)),
                to=Holder(JUSTICE, "PHT"),
                planned_due_at=at(0, 9) + offset,
            )
        assert app.get_dossier(dossier_id).version == version
