"""Time limits, due times, pauses, timeliness (domain.md §3.1, §6.3, §9, R‑14–16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from application.public_holidays import public_holidays
from domain.deadline import Granularity, TimeLimit, Timeliness, TimeUnit, classify
from domain.errors import InvalidCalendarError, InvalidProcedureError
from domain.working_time import Session, WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# A plain week of March 2026 without public holiday.
FRI, SAT, SUN, MON, TUE, WED, THU, NEXT_FRI, NEXT_MON = (
    date(2026, 3, 6),
    date(2026, 3, 7),
    date(2026, 3, 8),
    date(2026, 3, 9),
    date(2026, 3, 10),
    date(2026, 3, 11),
    date(2026, 3, 12),
    date(2026, 3, 13),
    date(2026, 3, 16),
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local Vietnamese instant on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=VN)


def hours(amount: float) -> timedelta:
    return timedelta(hours=amount)


def vietnam_calendar(*years: int) -> WorkingCalendar:
    """The default sessions with the real VN holidays and make-up days of ``years``."""
    days_off: set[date] = set()
    working_days: set[date] = set()
    for year in years:
        off, make_up = public_holidays(year)
        days_off |= off.keys()
        working_days |= make_up.keys()
    return WorkingCalendar(
        days_off=frozenset(days_off), working_days=frozenset(working_days)
    )


PLAIN = WorkingCalendar()
NO_ROLLOVER = WorkingCalendar()  # the legal instant; rollover is presentation only
VN_2025 = vietnam_calendar(2025)
VN_2026 = vietnam_calendar(2026)

EIGHT_HOURS = TimeLimit(TimeUnit.WORKING_HOURS, Decimal(8))
ONE_DAY = TimeLimit(TimeUnit.WORKING_DAYS, Decimal(1))


def working_days(amount: int | str) -> TimeLimit:
    return TimeLimit(TimeUnit.WORKING_DAYS, Decimal(amount))


def working_hours(amount: int | str) -> TimeLimit:
    return TimeLimit(TimeUnit.WORKING_HOURS, Decimal(amount))


def calendar_days(amount: int | str) -> TimeLimit:
    return TimeLimit(TimeUnit.CALENDAR_DAYS, Decimal(amount))


class TestTheDatesUsedByTheseTests:
    def test_the_chosen_dates_fall_on_the_named_weekdays(self) -> None:
        week = (MON, TUE, WED, THU, FRI, SAT, SUN, NEXT_FRI, NEXT_MON)
        assert [d.weekday() for d in week] == [0, 1, 2, 3, 4, 5, 6, 4, 0]

    def test_the_holiday_dates_fall_on_the_named_weekdays(self) -> None:
        assert date(2026, 2, 13).weekday() == 4  # Fri before Tết 2026
        assert date(2025, 1, 24).weekday() == 4  # Fri before Tết 2025
        assert date(2025, 4, 26).weekday() == 5  # make-up Saturday
        assert date(2025, 5, 2).weekday() == 4  # its day off


class TestR14DueDateVectors:
    """The four vectors of R‑14, with 8 h given as hours and as one working day."""

    @pytest.mark.parametrize("limit", [EIGHT_HOURS, ONE_DAY])
    def test_a_reception_late_on_friday_is_due_on_monday_at_the_same_time(
        self, limit: TimeLimit
    ) -> None:
        # Fri 16:30→17:00 0.5 h + Mon 07:00→11:30 4.5 h + 13:30→16:30 3 h.
        assert limit.due_at(at(FRI, 16, 30), PLAIN) == at(MON, 16, 30)

    @pytest.mark.parametrize("limit", [EIGHT_HOURS, ONE_DAY])
    def test_a_reception_after_closing_is_due_at_the_next_closing(
        self, limit: TimeLimit
    ) -> None:
        # Starts Tue 07:00; 8 h end at Tue 17:00: the legal instant (stored).
        assert limit.due_at(at(MON, 17, 30), PLAIN) == at(TUE, 17)

    @pytest.mark.parametrize("limit", [EIGHT_HOURS, ONE_DAY])
    def test_the_next_opening_is_only_how_a_closing_due_may_be_shown(
        self, limit: TimeLimit
    ) -> None:
        # R-14 vector "Wed 07:00 (i.e. end of Tuesday)": the receipt may print it.
        due = limit.due_at(at(MON, 17, 30), PLAIN)
        assert due is not None
        assert PLAIN.shown_due(due) == at(WED, 7)
        assert PLAIN.working_time_between(due, PLAIN.shown_due(due)) == timedelta()

    @pytest.mark.parametrize(
        "limit", [working_days(3), working_hours(24), working_hours("24.0")]
    )
    def test_three_working_days_after_a_monday_evening_end_thursday_at_closing(
        self, limit: TimeLimit
    ) -> None:
        assert limit.due_at(at(MON, 17, 30), PLAIN) == at(THU, 17)

    def test_four_hours_from_ten_cross_lunch_and_end_at_four_pm(self) -> None:
        # 10:00→11:30 1.5 h + 13:30→16:00 2.5 h.
        assert working_hours(4).due_at(at(MON, 10), PLAIN) == at(MON, 16)

    @pytest.mark.parametrize("limit", [working_hours(16), working_days(2)])
    def test_a_configured_holiday_on_tuesday_is_skipped(self, limit: TimeLimit) -> None:
        calendar = WorkingCalendar(days_off=frozenset({TUE}))
        # Mon 10:00→17:00 5 h + Wed 8 h + Thu 07:00→10:00 3 h.
        assert limit.due_at(at(MON, 10), calendar) == at(THU, 10)


class TestTetHolidays:
    def test_three_working_days_from_the_friday_before_tet_2026_end_after_it(
        self,
    ) -> None:
        # Fri 13/2 16:00→17:00 1 h; 14–22/2 off (weekend, Tết 16–20, weekend);
        # Mon 23/2 8 h, Tue 24/2 8 h (17 h); Wed 25/2 7 h = 4.5 h + 2.5 h → 16:00.
        received = at(date(2026, 2, 13), 16)
        assert working_days(3).due_at(received, VN_2026) == at(date(2026, 2, 25), 16)

    def test_two_working_days_from_the_friday_before_tet_2025_end_after_it(
        self,
    ) -> None:
        # Fri 24/1 10:00→17:00 5 h; 25/1–2/2 off (weekend, Tết 27/1–1/2 incl. Sat,
        # Sun); Mon 3/2 8 h (13 h); Tue 4/2 07:00→10:00 3 h.
        received = at(date(2025, 1, 24), 10)
        assert working_days(2).due_at(received, VN_2025) == at(date(2025, 2, 4), 10)

    def test_a_reception_during_tet_2025_starts_after_it(self) -> None:
        # Wed 29/1 is Tết: starts Mon 3/2 07:00; 8 h end at Mon 3/2 17:00.
        received = at(date(2025, 1, 29), 9)
        assert working_days(1).due_at(received, VN_2025) == at(date(2025, 2, 3), 17)


class TestMakeUpWorkingDays:
    def test_the_make_up_saturday_of_april_2025_is_worked(self) -> None:
        # Fri 25/4 16:00→17:00 1 h + Sat 26/4 (make-up) 4.5 h + 13:30→16:00 2.5 h.
        received = at(date(2025, 4, 25), 16)
        assert working_hours(8).due_at(received, VN_2025) == at(date(2025, 4, 26), 16)

    def test_the_days_off_of_30_april_to_2_may_2025_are_skipped(self) -> None:
        # Tue 29/4 14:00→17:00 3 h; 30/4, 1/5, 2/5 off, 3–4/5 weekend;
        # Mon 5/5 8 h (11 h); Tue 6/5 4.5 h + 13:30→14:00 0.5 h.
        received = at(date(2025, 4, 29), 14)
        assert working_days(2).due_at(received, VN_2025) == at(date(2025, 5, 6), 14)

    def test_a_reception_on_the_make_up_saturday_counts_that_saturday(self) -> None:
        # Sat 26/4 08:00→11:30 3.5 h + 13:30→17:00 3.5 h (7 h); Sun off;
        # Mon 28/4 8 h (15 h); Tue 29/4 07:00→08:00 1 h.
        received = at(date(2025, 4, 26), 8)
        assert working_days(2).due_at(received, VN_2025) == at(date(2025, 4, 29), 8)


class TestReceptionOutsideWorkingHours:
    HOLIDAY_ON_TUESDAY = WorkingCalendar(days_off=frozenset({TUE}))

    @pytest.mark.parametrize(
        ("received", "due"),
        [
            pytest.param(at(MON, 6), at(MON, 11), id="before-opening"),
            pytest.param(at(MON, 12), at(TUE, 7, 30), id="during-lunch"),
            pytest.param(at(MON, 17, 30), at(TUE, 11), id="after-closing"),
            pytest.param(at(SUN, 10), at(MON, 11), id="on-sunday"),
            pytest.param(at(MON, 11, 30), at(TUE, 7, 30), id="at-lunch-closing"),
        ],
    )
    def test_the_count_starts_at_the_next_session(
        self, received: datetime, due: datetime
    ) -> None:
        limit = working_hours(4)
        assert limit.due_at(received, PLAIN) == due
        assert limit.due_at(PLAIN.work_start(received), PLAIN) == due

    def test_a_reception_on_a_holiday_starts_on_the_next_working_day(self) -> None:
        due = working_hours(4).due_at(at(TUE, 9), self.HOLIDAY_ON_TUESDAY)
        assert due == at(WED, 11)

    def test_a_reception_in_utc_is_read_in_vietnamese_time(self) -> None:
        received = datetime(2026, 3, 9, 10, 30, tzinfo=UTC)  # Mon 17:30 in Hà Nội
        assert working_hours(4).due_at(received, PLAIN) == at(TUE, 11)

    def test_a_naive_reception_time_is_rejected(self) -> None:
        with pytest.raises(InvalidCalendarError):
            working_hours(4).due_at(datetime(2026, 3, 9, 10, 0), PLAIN)


class TestWorkingDuration:
    def test_a_working_day_is_the_calendar_day_length(self) -> None:
        assert working_days(1).working_duration(PLAIN) == hours(8)

    def test_fractional_working_days_are_allowed(self) -> None:
        assert working_days("2.5").working_duration(PLAIN) == hours(20)
        assert working_days("0.5").working_duration(PLAIN) == hours(4)

    def test_working_hours_are_taken_as_they_are(self) -> None:
        assert working_hours("2.5").working_duration(PLAIN) == hours(2.5)

    def test_a_shorter_day_makes_a_shorter_working_day(self) -> None:
        calendar = WorkingCalendar(
            sessions=(Session(time(8), time(11)), Session(time(13), time(16)))
        )
        assert working_days(1).working_duration(calendar) == hours(6)
        # Mon 10:00→11:00 1 h + 13:00→16:00 3 h; Tue 08:00→10:00 2 h.
        assert working_days(1).due_at(at(MON, 10), calendar) == at(TUE, 10)


class TestSupplementPause:
    """R‑15: the clock stops while the applicant supplements the dossier."""

    def test_the_due_time_is_extended_by_the_paused_working_time(self) -> None:
        limit = working_days(3)
        paused = limit.pause_length(at(MON, 9), at(TUE, 9), PLAIN)
        assert paused == hours(8)
        assert limit.extend(at(WED, 10), paused, PLAIN) == at(THU, 10)

    def test_a_whole_dossier_life_with_one_pause(self) -> None:
        limit = working_days(3)
        # Mon 10:00→17:00 5 h, Tue 8 h, Wed 8 h, Thu 07:00→10:00 3 h.
        due = limit.due_at(at(MON, 10), PLAIN)
        assert due == at(THU, 10)
        assert due is not None
        paused = limit.pause_length(at(TUE, 9), at(WED, 9), PLAIN)
        assert limit.extend(due, paused, PLAIN) == at(NEXT_FRI, 10)

    def test_a_pause_over_the_weekend_counts_only_working_time(self) -> None:
        # Fri 16:00→17:00 and Mon 07:00→08:00.
        paused = working_days(3).pause_length(at(FRI, 16), at(MON, 8), PLAIN)
        assert paused == hours(2)

    def test_a_pause_outside_working_hours_does_not_move_the_due_time(self) -> None:
        limit = working_days(3)
        paused = limit.pause_length(at(SAT, 9), at(SUN, 9), PLAIN)
        assert paused == timedelta()
        assert limit.extend(at(THU, 10), paused, PLAIN) == at(THU, 10)

    def test_an_extension_ending_at_closing_ends_at_closing(self) -> None:
        # Due Wed 15:00 + 2 h = Wed 17:00, the legal instant.
        assert working_hours(8).extend(at(WED, 15), hours(2), PLAIN) == at(WED, 17)

    def test_no_pause_leaves_a_closing_due_time_where_it_is(self) -> None:
        # Not moved to Thu 07:00: that would grant a calendar day of grace.
        assert working_days(3).extend(at(WED, 17), timedelta(), PLAIN) == at(WED, 17)

    def test_a_pause_after_a_closing_due_continues_next_morning(self) -> None:
        assert working_days(3).extend(at(WED, 17), hours(1), PLAIN) == at(THU, 8)

    def test_a_calendar_day_pause_counts_elapsed_time(self) -> None:
        limit = calendar_days(10)
        paused = limit.pause_length(at(MON, 9), at(WED, 9), PLAIN)
        assert paused == timedelta(days=2)
        # Due Thu 10:00 + 2 days = Sat 10:00 → Monday opening.
        assert limit.extend(at(THU, 10), paused, PLAIN) == at(NEXT_MON, 7)

    def test_a_reversed_calendar_day_pause_counts_zero(self) -> None:
        assert calendar_days(10).pause_length(at(WED, 9), at(MON, 9), PLAIN) == (
            timedelta()
        )

    @pytest.mark.parametrize("limit", [working_days(3), calendar_days(10)])
    def test_a_naive_pause_is_rejected(self, limit: TimeLimit) -> None:
        naive = datetime(2026, 3, 9, 9, 0)
        with pytest.raises(InvalidCalendarError):
            limit.pause_length(naive, at(TUE, 9), PLAIN)
        with pytest.raises(InvalidCalendarError):
            limit.pause_length(naive, naive + timedelta(days=1), PLAIN)


class TestCalendarDayLimits:
    def test_calendar_days_count_the_weekend(self) -> None:
        assert calendar_days(4).due_at(at(FRI, 10), PLAIN) == at(TUE, 10)

    def test_a_due_date_on_a_weekend_moves_to_the_next_opening(self) -> None:
        assert calendar_days(3).due_at(at(WED, 10), PLAIN) == at(NEXT_MON, 7)

    def test_a_due_date_on_a_holiday_moves_to_the_next_opening(self) -> None:
        # Mon 28/4/2025 + 2 days = Wed 30/4 (holiday); 1/5, 2/5 off, 3–4/5 weekend.
        received = at(date(2025, 4, 28), 10)
        assert calendar_days(2).due_at(received, VN_2025) == at(date(2025, 5, 5), 7)

    def test_a_due_date_on_a_make_up_saturday_stays_there(self) -> None:
        received = at(date(2025, 4, 25), 10)
        assert calendar_days(1).due_at(received, VN_2025) == at(date(2025, 4, 26), 10)

    def test_a_reception_after_closing_counts_from_the_next_opening(self) -> None:
        assert calendar_days(3).due_at(at(FRI, 18), PLAIN) == at(THU, 7)

    def test_whole_calendar_days_written_as_decimals_are_accepted(self) -> None:
        assert calendar_days("2.0").due_at(at(MON, 10), PLAIN) == at(WED, 10)


class TestNoTimeLimit:
    def test_a_procedure_without_time_limit_has_no_due_time(self) -> None:
        assert TimeLimit(TimeUnit.NONE).due_at(at(MON, 10), PLAIN) is None


class TestTimeLimitValidation:
    @pytest.mark.parametrize(
        "unit",
        [TimeUnit.WORKING_HOURS, TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS],
    )
    @pytest.mark.parametrize("amount", ["0", "-1", "-0.5"])
    def test_a_limit_that_is_not_positive_is_rejected(
        self, unit: TimeUnit, amount: str
    ) -> None:
        with pytest.raises(InvalidProcedureError):
            TimeLimit(unit, Decimal(amount))

    def test_fractional_calendar_days_are_rejected(self) -> None:
        with pytest.raises(InvalidProcedureError):
            calendar_days("1.5")

    def test_no_limit_needs_no_amount(self) -> None:
        assert TimeLimit(TimeUnit.NONE).amount == Decimal(0)


class TestClassifyByDate:
    """R‑16, Thanh Hóa rule: dates of the end and the due time are compared."""

    DUE = at(WED, 10)

    @pytest.mark.parametrize(
        ("finished", "expected"),
        [
            pytest.param(at(TUE, 16), Timeliness.EARLY, id="day-before"),
            pytest.param(at(WED, 8), Timeliness.ON_TIME, id="same-day-before"),
            pytest.param(at(WED, 10), Timeliness.ON_TIME, id="at-due-time"),
            pytest.param(at(WED, 16), Timeliness.ON_TIME, id="same-day-after"),
            pytest.param(at(THU, 8), Timeliness.LATE, id="day-after"),
        ],
    )
    def test_the_dates_decide(self, finished: datetime, expected: Timeliness) -> None:
        assert classify(finished, self.DUE, 0, PLAIN) is expected

    def test_dates_are_taken_in_vietnamese_time(self) -> None:
        finished = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # Wed 06:30 in Hà Nội
        assert classify(finished, self.DUE, 0, PLAIN) is Timeliness.ON_TIME

    def test_a_naive_end_is_rejected(self) -> None:
        with pytest.raises(InvalidCalendarError):
            classify(datetime(2026, 3, 11, 9, 0), self.DUE, 0, PLAIN)


class TestClassifyByInstant:
    """DVCQG 766 2.1: on time iff end ≤ due; early if on an earlier date."""

    DUE = at(WED, 10)

    @pytest.mark.parametrize(
        ("finished", "expected"),
        [
            pytest.param(at(TUE, 16), Timeliness.EARLY, id="day-before"),
            pytest.param(at(WED, 9, 59), Timeliness.ON_TIME, id="same-day-before"),
            pytest.param(at(WED, 10), Timeliness.ON_TIME, id="at-due-time"),
            pytest.param(at(WED, 10, 1), Timeliness.LATE, id="same-day-after"),
            pytest.param(at(THU, 8), Timeliness.LATE, id="day-after"),
        ],
    )
    def test_the_instants_decide(
        self, finished: datetime, expected: Timeliness
    ) -> None:
        result = classify(finished, self.DUE, 0, PLAIN, Granularity.INSTANT)
        assert result is expected


class TestClassifyWithSupplementRequests:
    @pytest.mark.parametrize("granularity", list(Granularity))
    def test_more_than_one_request_is_late_even_when_early(
        self, granularity: Granularity
    ) -> None:
        result = classify(at(MON, 9), at(WED, 10), 2, PLAIN, granularity)
        assert result is Timeliness.LATE

    def test_more_than_one_request_is_late_even_without_due_time(self) -> None:
        assert classify(at(MON, 9), None, 3, PLAIN) is Timeliness.LATE

    def test_a_single_request_does_not_make_it_late(self) -> None:
        assert classify(at(MON, 9), at(WED, 10), 1, PLAIN) is Timeliness.EARLY


class TestClassifyWithoutDueTime:
    @pytest.mark.parametrize("granularity", list(Granularity))
    def test_a_dossier_without_due_time_is_on_time(
        self, granularity: Granularity
    ) -> None:
        assert classify(at(MON, 9), None, 0, PLAIN, granularity) is Timeliness.ON_TIME
