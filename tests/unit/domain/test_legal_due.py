"""The stored due time is the legal instant; the arithmetic is bounded (issue 6, item 7)."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.deadline import Granularity, TimeLimit, Timeliness, TimeUnit, classify
from domain.errors import LabelledError, TimeOutOfRangeError
from domain.working_time import EARLIEST, LATEST, WorkingCalendar
from tests.unit.domain.test_deadline import VN, at, vietnam_calendar

PLAIN = WorkingCalendar()
REAL = vietnam_calendar(2025, 2026, 2027)
# A plain week of March 2026: Mon 9 … Fri 13, Mon 16.
MON, TUE, WED, THU, FRI, NEXT_MON = (
    date(2026, 3, 9),
    date(2026, 3, 10),
    date(2026, 3, 11),
    date(2026, 3, 12),
    date(2026, 3, 13),
    date(2026, 3, 16),
)
LIMITS = {
    "3 working days": TimeLimit(TimeUnit.WORKING_DAYS, Decimal(3)),
    "24 working hours": TimeLimit(TimeUnit.WORKING_HOURS, Decimal(24)),
}


class TestTheLegalDueInstant:
    @pytest.mark.parametrize("limit", LIMITS.values(), ids=LIMITS.keys())
    def test_monday_evening_plus_three_days_is_due_thursday_at_closing(
        self, limit: TimeLimit
    ) -> None:
        assert limit.due_at(at(MON, 17, 30), PLAIN) == at(THU, 17)

    @pytest.mark.parametrize(
        ("received", "days", "due"),
        [
            pytest.param(at(MON, 7), 1, at(MON, 17), id="mon-opening+1"),
            pytest.param(at(MON, 6), 2, at(TUE, 17), id="before-opening+2"),
            pytest.param(at(TUE, 12), 1, at(WED, 11, 30), id="lunch+1"),
            pytest.param(at(FRI, 17, 1), 1, at(NEXT_MON, 17), id="fri-evening+1"),
            pytest.param(at(date(2026, 3, 14), 9), 5, at(FRI + timedelta(7), 17)),
        ],
    )
    def test_a_limit_ending_with_a_working_day_ends_at_its_closing(
        self, received: datetime, days: int, due: datetime
    ) -> None:
        limit = TimeLimit(TimeUnit.WORKING_DAYS, Decimal(days))
        assert limit.due_at(received, PLAIN) == due


class TestTimelinessAgainstTheLegalInstant:
    """A dossier resolved Fri 10:00 against a Thu 17:00 due time is late."""

    DUE = at(THU, 17)

    @pytest.mark.parametrize("granularity", list(Granularity))
    @pytest.mark.parametrize(
        "finished", [at(FRI, 7), at(FRI, 10), at(FRI, 16, 59), at(NEXT_MON, 7)]
    )
    def test_the_next_working_day_is_late_under_both_granularities(
        self, finished: datetime, granularity: Granularity
    ) -> None:
        assert classify(finished, self.DUE, 0, PLAIN, granularity) is Timeliness.LATE

    @pytest.mark.parametrize("granularity", list(Granularity))
    def test_the_due_instant_itself_is_on_time(self, granularity: Granularity) -> None:
        result = classify(self.DUE, self.DUE, 0, PLAIN, granularity)
        assert result is Timeliness.ON_TIME

    @pytest.mark.parametrize(
        ("finished", "by_date", "by_instant"),
        [
            pytest.param(at(THU, 17, 30), "on_time", "late", id="thu-after-closing"),
            pytest.param(at(THU, 9), "on_time", "on_time", id="thu-morning"),
            pytest.param(at(WED, 16), "early", "early", id="wed"),
        ],
    )
    def test_the_same_day_depends_on_the_configured_granularity(
        self, finished: datetime, by_date: str, by_instant: str
    ) -> None:
        assert classify(finished, self.DUE, 0, PLAIN).value == by_date
        instant = classify(finished, self.DUE, 0, PLAIN, Granularity.INSTANT)
        assert instant.value == by_instant

    def test_a_due_time_computed_from_a_reception_gives_no_day_of_grace(self) -> None:
        due = LIMITS["3 working days"].due_at(at(MON, 17, 30), PLAIN)
        assert due is not None
        assert classify(at(FRI, 10), due, 0, PLAIN) is Timeliness.LATE

    def test_an_old_rolled_over_due_time_is_read_as_recorded(self) -> None:
        # Events stored before this rule carry Fri 07:00 for the same dossier;
        # they are valid as recorded, so Fri 10:00 stays on time against them.
        assert classify(at(FRI, 10), at(FRI, 7), 0, PLAIN) is Timeliness.ON_TIME


FAR = [
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))),
    datetime(9999, 12, 31, 16, 0, tzinfo=VN),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(2101, 1, 1, 0, 0, 1, tzinfo=UTC),
]


class TestBoundedArithmetic:
    @pytest.mark.parametrize("moment", FAR, ids=lambda m: m.isoformat())
    def test_far_instants_raise_a_typed_error_at_once(self, moment: datetime) -> None:
        for operation in (
            lambda: PLAIN.work_start(moment),
            lambda: PLAIN.add_working_time(moment, timedelta(hours=8)),
            lambda: PLAIN.working_time_between(at(MON, 7), moment),
            lambda: PLAIN.add_calendar_days(moment, 3),
            lambda: LIMITS["3 working days"].due_at(moment, PLAIN),
            lambda: classify(moment, at(THU, 17), 0, PLAIN),
        ):
            with pytest.raises(TimeOutOfRangeError) as raised:
                operation()
            assert raised.value.code == "TIME_OUT_OF_RANGE"
            assert "2000–2100" in raised.value.message("en")
            assert "2000–2100" in raised.value.message("vi")

    @pytest.mark.parametrize(
        "limit",
        [
            TimeLimit(TimeUnit.WORKING_DAYS, Decimal("1e9")),
            TimeLimit(TimeUnit.WORKING_HOURS, Decimal("1e30")),
            TimeLimit(TimeUnit.CALENDAR_DAYS, Decimal(10**12)),
        ],
        ids=str,
    )
    def test_absurd_time_limits_raise_a_typed_error(self, limit: TimeLimit) -> None:
        with pytest.raises(TimeOutOfRangeError):
            limit.due_at(at(MON, 9), PLAIN)

    def test_a_result_past_the_window_raises_instead_of_counting_on(self) -> None:
        near_end = datetime(2100, 6, 1, 9, tzinfo=VN)
        with pytest.raises(TimeOutOfRangeError):
            PLAIN.add_working_time(near_end, timedelta(days=365))
        with pytest.raises(TimeOutOfRangeError):
            PLAIN.add_elapsed(near_end, timedelta(days=365))

    def test_the_window_edges_still_count(self) -> None:
        assert PLAIN.work_start(EARLIEST) == datetime(2000, 1, 3, 7, tzinfo=VN)
        last = datetime(2100, 12, 30, 9, tzinfo=VN)
        assert PLAIN.add_working_time(last, timedelta(hours=1)) == last + timedelta(
            hours=1
        )
        assert LATEST.year == 2100

    @settings(max_examples=300, deadline=None)
    @given(
        moment=st.datetimes(
            min_value=datetime(1, 1, 2),
            max_value=datetime(9999, 12, 30),
            timezones=st.sampled_from(
                [VN, UTC, timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]
            ),
        ),
        hours=st.one_of(
            st.integers(0, 400), st.integers(0, 10**15), st.just(50 * 366 * 24 + 1)
        ),
    )
    @example(moment=datetime(2100, 12, 23, tzinfo=VN), hours=57)
    def test_any_instant_and_duration_returns_or_raises_the_typed_error_quickly(
        self, moment: datetime, hours: int
    ) -> None:
        started = clock.monotonic()
        try:
            duration = timedelta(hours=min(hours, 10**8))
            end = REAL.add_working_time(moment, duration)
        except TimeOutOfRangeError:
            in_window = EARLIEST <= moment <= LATEST
            # 400 working hours end within 100 calendar days (50 working days,
            # Tết and weekends included): nearer the window's end they may
            # leave it, and that is the error too.
            near_end = LATEST - moment < timedelta(days=100)
            assert not in_window or hours > 400 or near_end
        else:
            assert EARLIEST <= moment <= LATEST
            assert EARLIEST <= end <= LATEST
            assert REAL.working_time_between(REAL.work_start(moment), end) == duration
        assert clock.monotonic() - started < 2.0

    @settings(max_examples=100, deadline=None)
    @given(
        moment=st.datetimes(
            min_value=datetime(1, 1, 2),
            max_value=datetime(9999, 12, 30),
            timezones=st.sampled_from([VN, UTC, timezone(timedelta(hours=-12))]),
        ),
        unit=st.sampled_from(
            [TimeUnit.WORKING_DAYS, TimeUnit.WORKING_HOURS, TimeUnit.CALENDAR_DAYS]
        ),
        amount=st.integers(1, 10**12),
    )
    def test_any_due_time_computation_ends_in_a_labelled_error_at_worst(
        self, moment: datetime, unit: TimeUnit, amount: int
    ) -> None:
        started = clock.monotonic()
        try:
            due = TimeLimit(unit, Decimal(amount)).due_at(moment, REAL)
        except TimeOutOfRangeError:
            pass
        except LabelledError as error:
            pytest.fail(f"not the range error: {error!r}")
        else:
            assert due is not None
            assert EARLIEST <= due <= LATEST
        assert clock.monotonic() - started < 2.0


def test_the_dates_used_here_fall_on_the_named_weekdays() -> None:
    days = (MON, TUE, WED, THU, FRI, NEXT_MON)
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4, 0]
    assert datetime.combine(MON, time(7), tzinfo=VN) == at(MON, 7)
