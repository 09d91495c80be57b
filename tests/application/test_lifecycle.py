from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from application.errors import DossierNotFoundError, VersionConflictError
from application.onestop import OneStop
from application.options import OneStopOptions
from domain.deadline import Timeliness
from domain.dossier_events import DossierEvent
from domain.dossier_status import DossierStatus
from domain.dossier_values import (
    ComponentStatus,
    Holder,
    PaymentChannel,
    ReturnMethod,
    Satisfaction,
)
from domain.errors import (
    IllegalTransitionError,
    ReappointmentError,
    UnsignedComponentsError,
)
from domain.procedure import Fee
from tests.factories import (
    APPLICANT,
    BIRTH,
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
    warehouse_document,
)


def events_of(app: OneStop, dossier_id: object) -> list[object]:
    return list(app.events.get(dossier_id))  # type: ignore[arg-type]


class TestForwardDossier:
    def test_is_blocked_until_in_scope_components_are_signed(
        self, app: OneStop
    ) -> None:
        dossier_id = receive(app).dossier_id
        app.digitize_component(
            dossier_id,
            trace=trace(desk()),
            component_code="TP1",
            document=document(app=app),
        )
        app.reuse_component(
            dossier_id,
            trace=trace(desk()),
            component_code="TP2",
            document_id=warehouse_document(app, "TP2"),
        )
        with pytest.raises(UnsignedComponentsError) as raised:
            app.forward_dossier(dossier_id, trace=trace(desk()), to=Holder(JUSTICE))
        assert "TP1" in str(raised.value)
        app.sign_component(
            dossier_id,
            trace=trace(desk()),
            component_code="TP1",
        )
        app.forward_dossier(dossier_id, trace=trace(desk()), to=Holder(JUSTICE, "PHC"))
        dossier = app.get_dossier(dossier_id)
        assert dossier.status is DossierStatus.IN_PROGRESS
        assert dossier.components["TP2"].status is ComponentStatus.REUSED
        assert dossier.components["TP3"].status is ComponentStatus.NOT_DIGITIZED

    def test_officer_outside_the_dossier_units_cannot_act(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        version = app.get_dossier(dossier_id).version
        # Outside every unit of the dossier: answered exactly like an unknown one.
        with pytest.raises(DossierNotFoundError):
            app.request_supplement(
                dossier_id,
                trace=trace(specialist("000.00.15.H34")),
                items=("TP1",),
                reason="thiếu",
            )
        assert app.get_dossier(dossier_id).version == version


class TestSupplement:
    def test_pause_extends_the_due_time_by_the_paused_working_time(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app, when=at(0, 8))
        due = app.get_dossier(dossier_id).due_at
        assert due == at(3, 8)
        app.request_supplement(
            dossier_id,
            trace=trace(specialist(), at(0, 9)),
            items=("TP2",),
            reason="Giấy chứng sinh bị mờ",
        )
        assert app.get_dossier(dossier_id).national_status_code == 5
        app.receive_supplement(
            dossier_id,
            trace=trace(citizen(), at(1, 9)),
            documents={"TP2": document("new", app, citizen())},
        )
        dossier = app.get_dossier(dossier_id)
        assert dossier.status is DossierStatus.IN_PROGRESS
        assert dossier.paused_seconds == 8 * 3600
        assert dossier.due_at == at(4, 8)

    def test_items_outside_the_published_components_are_refused(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app)
        with pytest.raises(Exception, match="TP9"):
            app.request_supplement(
                dossier_id,
                trace=trace(specialist()),
                items=("TP9",),
                reason="giấy tờ khác",
            )
        assert app.get_dossier(dossier_id).status is DossierStatus.IN_PROGRESS

    def test_two_requests_make_the_dossier_late_even_when_early(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app, when=at(0, 8))
        for day in (0, 1):
            app.request_supplement(
                dossier_id,
                trace=trace(specialist(), at(day, 9)),
                items=("TP1",),
                reason="bổ sung",
            )
            app.receive_supplement(dossier_id, trace=trace(desk(), at(day, 10)))
        app.resolve_dossier(
            dossier_id,
            trace=trace(leader(), at(1, 11)),
            results=(result(app),),
            decision="Cấp giấy khai sinh",
        )
        assert app.get_dossier(dossier_id).timeliness is Timeliness.LATE


class TestPayment:
    def test_payment_pauses_and_resumes_the_clock(self, app: OneStop) -> None:
        dossier_id = in_progress(app, when=at(0, 8))
        app.request_payment(
            dossier_id,
            trace=trace(specialist(), at(0, 8)),
            fees=(Fee("LP1", "Lệ phí", Decimal(8000)),),
        )
        assert app.get_dossier(dossier_id).national_status_code == 6
        app.confirm_payment(
            dossier_id,
            trace=trace(desk(), at(0, 13, 30)),
            channel=PaymentChannel.ONLINE_NATIONAL,
            receipt="BL-001",
        )
        dossier = app.get_dossier(dossier_id)
        assert dossier.paid_via is PaymentChannel.ONLINE_NATIONAL
        assert dossier.due_at == at(3, 11, 30)


class TestReappoint:
    def test_is_allowed_once_at_least_a_working_day_before_due(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app, when=at(0, 8))
        new_due = at(7, 8)
        app.reappoint_dossier(
            dossier_id,
            trace=trace(leader(), at(1, 8)),
            due_at=new_due,
            reason="Cần xác minh thêm",
        )
        assert app.get_dossier(dossier_id).due_at == new_due
        with pytest.raises(ReappointmentError):
            app.reappoint_dossier(
                dossier_id,
                trace=trace(leader(), at(1, 9)),
                due_at=new_due + timedelta(days=1),
                reason="lần hai",
            )

    def test_is_refused_once_the_due_time_has_passed(self, app: OneStop) -> None:
        dossier_id = in_progress(app, when=at(0, 8))
        due = app.get_dossier(dossier_id).due_at
        assert due is not None
        with pytest.raises(ReappointmentError):
            app.reappoint_dossier(
                dossier_id,
                trace=trace(leader(), due + timedelta(minutes=1)),
                due_at=at(8, 8),
                reason="muộn",
            )
        assert app.get_dossier(dossier_id).due_at == due

    def test_is_refused_within_the_last_working_day(self, app: OneStop) -> None:
        # Decree 61 Art. 19: the apology comes at the latest one working day
        # before the due time (the worklist flags it a working day earlier).
        dossier_id = in_progress(app, when=at(0, 8))
        due = app.get_dossier(dossier_id).due_at
        with pytest.raises(ReappointmentError):
            app.reappoint_dossier(
                dossier_id,
                trace=trace(leader(), at(2, 10)),
                due_at=at(8, 8),
                reason="muộn",
            )
        assert app.get_dossier(dossier_id).due_at == due

    def test_a_zero_cut_off_accepts_it_until_the_due_time(self) -> None:
        app = OneStop(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
            options=OneStopOptions(apology_cutoff_hours=0),
        )
        seed_catalogue(app)
        dossier_id = in_progress(app, when=at(0, 8))
        app.reappoint_dossier(
            dossier_id,
            trace=trace(leader(), at(2, 10)),
            due_at=at(8, 8),
            reason="muộn",
        )
        assert app.get_dossier(dossier_id).due_at == at(8, 8)


class TestFullLifecycle:
    def test_online_submission_to_rating(self, app: OneStop) -> None:
        dossier_id, _ = app.submit_dossier(
            trace=trace(citizen(), at(0, 7)),
            applicant=APPLICANT,
            procedure_code=BIRTH,
            documents={
                "TP1": document("a", app, citizen()),
                "TP2": document("b", app, citizen()),
            },
        )
        assert app.get_dossier(dossier_id).national_status_code == 1
        reception = app.receive_submitted_dossier(
            dossier_id, trace=trace(desk(), at(0, 8))
        )
        app.forward_dossier(
            dossier_id, trace=trace(desk(), at(0, 9)), to=Holder(JUSTICE)
        )
        app.resolve_dossier(
            dossier_id,
            trace=trace(leader(), at(1, 9)),
            results=(result(app),),
            decision="Đồng ý",
        )
        app.return_result(
            dossier_id, trace=trace(desk(), at(1, 10)), method=ReturnMethod.ELECTRONIC
        )
        app.rate_dossier(
            dossier_id,
            trace=trace(citizen(), at(1, 11)),
            satisfaction=Satisfaction.VERY_SATISFIED,
        )
        dossier = app.find_dossier(reception.code)
        assert dossier.status is DossierStatus.RETURNED
        assert dossier.national_status_code == 10
        assert dossier.timeliness is Timeliness.EARLY
        assert [type(e).__name__ for e in events_of(app, dossier_id)] == [
            "SubmittedOnline",
            "Received",
            "Forwarded",
            "Resolved",
            "Returned",
            "Rated",
        ]

    def test_every_event_records_actor_trace_and_versions(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        for event in events_of(app, dossier_id):
            assert isinstance(event, DossierEvent)
            assert event.trace.actor.id
            assert event.trace.correlation_id
            assert event.procedure_version == 1
            assert event.calendar_version >= 1

    def test_another_citizen_cannot_withdraw(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        with pytest.raises(DossierNotFoundError):
            app.withdraw_dossier(dossier_id, trace=trace(citizen(OTHER_APPLICANT)))
        app.withdraw_dossier(dossier_id, trace=trace(citizen()))
        assert app.get_dossier(dossier_id).national_status_code == 7

    def test_illegal_transition_is_typed_and_writes_nothing(self, app: OneStop) -> None:
        dossier_id = receive(app).dossier_id
        before = app.get_dossier(dossier_id).version
        with pytest.raises(IllegalTransitionError) as raised:
            app.return_result(dossier_id, trace=trace(desk()), method=ReturnMethod.DESK)
        assert "Được tiếp nhận" in raised.value.message("vi")
        assert "Received" in raised.value.message("en")
        assert app.get_dossier(dossier_id).version == before

    def test_unknown_dossier_is_not_found(self, app: OneStop) -> None:
        with pytest.raises(DossierNotFoundError):
            app.find_dossier("000.00.00.H34-260302-0042")
        with pytest.raises(DossierNotFoundError):
            app.find_dossier("not-a-code")


class TestOptimisticConcurrency:
    def test_stale_expected_version_is_a_conflict(self, app: OneStop) -> None:
        dossier_id = in_progress(app)
        stale = app.get_dossier(dossier_id).version - 1
        with pytest.raises(VersionConflictError):
            app.stop_dossier(
                dossier_id, trace=trace(leader()), reason="x", expected_version=stale
            )
        assert app.get_dossier(dossier_id).status is DossierStatus.IN_PROGRESS


class TestSnapshots:
    def test_long_streams_are_snapshotted_and_replay_identically(
        self, app: OneStop
    ) -> None:
        dossier_id = in_progress(app)
        proxy = warehouse_document(app, "TP4")
        for _ in range(30):
            app.reuse_component(
                dossier_id,
                trace=trace(desk()),
                component_code="TP4",
                document_id=proxy,
            )
        assert app.snapshots is not None
        assert list(app.snapshots.get(dossier_id))
        from_snapshot = app.get_dossier(dossier_id)
        replayed = None
        for event in app.events.get(dossier_id):
            replayed = event.mutate(replayed)  # type: ignore[attr-defined]
        assert replayed is not None
        assert vars(replayed) == vars(from_snapshot)
