"""Complaints (PAKN): deadlines in working days, who may act, the author's view,
and what they give indicators 5.2–5.4."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from uuid import UUID, uuid4

import pytest

from adapters.readstore.sqlite import SQLiteReadStore
from adapters.settings import persistence_env
from application.complaints import ComplaintNotFoundError, Complaints
from application.onestop import OneStop
from domain.complaint import ComplaintAlreadyRatedError, ComplaintStatus
from domain.errors import (
    ActorNotAllowedError,
    IllegalTransitionError,
    InvalidAgencyCodeError,
    LabelledError,
    MissingDataError,
)
from domain.indicators import Inputs, compute
from projections.complaints import ComplaintProjection, ComplaintView
from projections.runtime import Projector
from tests.factories import (
    APPLICANT,
    CONSTRUCTION,
    JUSTICE,
    OTHER_APPLICANT,
    PROVINCE,
    at,
    citizen,
    desk,
    seed_catalogue,
    specialist,
    trace,
)

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def app() -> OneStop:
    onestop = OneStop(env=persistence_env("memory://"))
    seed_catalogue(onestop)
    return onestop


def submit(
    complaints: Complaints, day: int = 0, dossier_code: str | None = None
) -> UUID:
    return complaints.submit(
        trace=trace(citizen(), at(day)),
        agency_code=JUSTICE,
        subject="Chậm trả kết quả",
        content="Hồ sơ khai sinh quá hạn chưa có kết quả.",
        dossier_code=dossier_code,
    )


class TestDeadlines:
    def test_deadlines_are_working_days_from_submission(self, app: OneStop) -> None:
        complaints = Complaints(app)
        complaint_id = submit(complaints)  # Monday 2 March 2026, 08:00
        complaint = complaints.get(complaint_id, trace(citizen()))
        assert complaint.refuse_due.date() == date(2026, 3, 4)  # 7 h on Monday
        assert complaint.supplement_due.date() == date(2026, 3, 9)
        assert complaint.answer_due.date() == date(2026, 3, 23)

    def test_each_step_records_whether_it_met_its_deadline(self, app: OneStop) -> None:
        complaints = Complaints(app)
        on_time = submit(complaints)
        complaints.answer(on_time, trace=trace(specialist(), at(10)), answer="Đã xử lý")
        complaints.publish(on_time, trace=trace(specialist(), at(11)))
        late = submit(complaints)
        complaints.answer(late, trace=trace(specialist(), at(25)), answer="Đã xử lý")
        refused_late = submit(complaints)
        complaints.refuse(
            refused_late, trace=trace(specialist(), at(4)), reason="Trùng"
        )
        assert complaints.get(on_time, trace(citizen())).on_time_at(at(40))
        assert not complaints.get(late, trace(citizen())).on_time_at(at(40))
        assert not complaints.get(refused_late, trace(citizen())).on_time_at(at(40))

    def test_an_open_complaint_is_late_only_after_its_answer_deadline(
        self, app: OneStop
    ) -> None:
        complaints = Complaints(app)
        complaint = complaints.get(submit(complaints), trace(citizen()))
        assert complaint.on_time_at(at(21))
        assert not complaint.on_time_at(at(22))


class TestWhoMayAct:
    def test_the_author_alone_sees_rates_and_supplements(self, app: OneStop) -> None:
        complaints = Complaints(app)
        complaint_id = submit(complaints)
        other = trace(citizen(OTHER_APPLICANT))
        with pytest.raises(ComplaintNotFoundError):
            complaints.get(complaint_id, other)
        with pytest.raises(ComplaintNotFoundError):
            complaints.get(uuid4(), trace(citizen()))
        with pytest.raises(ComplaintNotFoundError):  # another unit's officer
            complaints.get(complaint_id, trace(specialist(CONSTRUCTION, "xd")))
        complaints.request_supplement(
            complaint_id,
            trace=trace(specialist(), at(1)),
            reason="Cần số hồ sơ",
        )
        with pytest.raises(ActorNotAllowedError):
            complaints.supplement(
                complaint_id, trace=trace(specialist(), at(2)), content="x"
            )
        complaints.supplement(
            complaint_id, trace=trace(citizen(), at(2)), content="Số 123"
        )
        with pytest.raises(IllegalTransitionError):
            complaints.rate(complaint_id, trace=trace(citizen(), at(3)), satisfied=True)
        complaints.answer(complaint_id, trace=trace(specialist(), at(3)), answer="Xong")
        complaints.rate(complaint_id, trace=trace(citizen(), at(4)), satisfied=False)
        with pytest.raises(ComplaintAlreadyRatedError):
            complaints.rate(complaint_id, trace=trace(citizen(), at(5)), satisfied=True)
        with pytest.raises(IllegalTransitionError):
            complaints.refuse(
                complaint_id, trace=trace(specialist(), at(5)), reason="x"
            )

    @pytest.mark.parametrize(
        "bad",
        [
            {"agency": "H34"},
            {"agency": "000.00.12.H34\x00"},
            {"subject": "   "},
            {"content": ""},
            {"subject": "x" * 5000},
            {"content": "a\u202eb"},
        ],
    )
    def test_bad_input_is_refused_and_writes_nothing(
        self, app: OneStop, bad: dict[str, str]
    ) -> None:
        complaints = Complaints(app)
        before = app.recorder.max_notification_id()
        values = {
            "agency_code": bad.get("agency", JUSTICE),
            "subject": bad.get("subject", "Chậm"),
            "content": bad.get("content", "Nội dung"),
        }
        with pytest.raises((LabelledError, InvalidAgencyCodeError, MissingDataError)):
            complaints.submit(trace=trace(citizen(), at(0)), **values)
        assert app.recorder.max_notification_id() == before

    def test_officers_do_not_submit(self, app: OneStop) -> None:
        with pytest.raises(ActorNotAllowedError):
            Complaints(app).submit(
                trace=trace(desk(), at(0)),
                agency_code=JUSTICE,
                subject="x",
                content="y",
            )


class TestReadModelAndIndicators:
    def test_author_list_and_group_five(self, app: OneStop) -> None:
        complaints = Complaints(app)
        answered = submit(complaints, dossier_code="000.00.12.H34-260302-0001")
        complaints.answer(answered, trace=trace(specialist(), at(2)), answer="Đã xử lý")
        complaints.publish(answered, trace=trace(specialist(), at(3)))
        complaints.rate(answered, trace=trace(citizen(), at(3)), satisfied=False)
        # answered but never published within 2 working days: late after that
        unpublished = submit(complaints)
        complaints.answer(unpublished, trace=trace(specialist(), at(2)), answer="Xong")
        open_late = submit(complaints, 1)
        complaints.assign(
            open_late, trace=trace(desk(PROVINCE), at(1)), agency_code=CONSTRUCTION
        )
        complaints.classify(
            open_late, trace=trace(desk(PROVINCE), at(1)), category="Thái độ"
        )
        store = SQLiteReadStore(":memory:")
        try:
            Projector(app, store, [ComplaintProjection()]).catch_up()
            view = ComplaintView(store)
            mine = view.of_author(APPLICANT.id)
            assert {str(answered), str(open_late), str(unpublished)} == {
                m.complaint_id for m in mine
            }
            assert {m.status for m in mine} == {
                ComplaintStatus.PUBLISHED,
                ComplaintStatus.ANSWERED,
                ComplaintStatus.ASSIGNED,
            }
            assert view.of_author(OTHER_APPLICANT.id) == []

            end = at(30)
            facts, complained = view.facts(PROVINCE, *MARCH, end)
            assert complained == {"000.00.12.H34-260302-0001"}
            figures = {
                f.definition.code: f for f in compute(Inputs([], end, complaints=facts))
            }
            # on time: only the published one; the open one is past 15 working
            # days, the unpublished one past its 2 days to publish
            assert figures["5.2"].ratio == Fraction(1, 3)
            assert figures["5.3"].ratio == 0  # the on-time one was rated dissatisfied
            only_xd, _ = view.facts(CONSTRUCTION, *MARCH, end)
            assert len(only_xd) == 1
            early, _ = view.facts(PROVINCE, *MARCH, at(3))
            assert sum(c.on_time for c in early) == 3
            assert (
                view.facts(PROVINCE, date(2026, 4, 1), date(2026, 4, 30), end)[0] == []
            )
        finally:
            store.close()
            app.close()


def test_deadline_skips_weekends(app: OneStop) -> None:
    complaints = Complaints(app)
    friday = at(4, 16)
    complaint_id = complaints.submit(
        trace=trace(citizen(), friday), agency_code=JUSTICE, subject="s", content="c"
    )
    complaint = complaints.get(complaint_id, trace(citizen()))
    assert complaint.refuse_due - friday > timedelta(days=3)
