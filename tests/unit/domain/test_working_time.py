"""Working time: sessions, days off, make-up days (domain.md §3.1, §9, R‑14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.public_holidays import public_holidays
from domain.errors import InvalidCalendarError
from domain.working_time import DEFAULT_SESSIONS, Session, WorkingCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# A plain week of March 2026, no public holiday: Fri 6, Sat 7, Sun 8, Mon 9 … Fri 13.
FRI, SAT, SUN, MON, TUE, WED, THU, NEXT_FRI = (
    date(2026, 3, 6),
    date(2026, 3, 7),
    date(2026, 3, 8),
    date(2026, 3, 9),
    date(2026, 3, 10),
    date(2026, 3, 11),
    date(2026, 3, 12),
    date(2026, 3, 13),
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
        days_off=frozenset(days_off),
        working_days=frozenset(working_days),
    )


PLAIN = WorkingCalendar()
NO_ROLLOVER = WorkingCalendar()  # the legal instant; rollover is presentation only


class TestTheWeekUsedByTheseTests:
    def test_the_chosen_dates_fall_on_the_named_weekdays(self) -> None:
        week = (MON, TUE, WED, THU, FRI, SAT, SUN, NEXT_FRI)
        assert [d.weekday() for d in week] == [0, 1, 2, 3, 4, 5, 6, 4]


class TestSessions:
    def test_the_default_sessions_make_an_eight_hour_day(self) -> None:
        assert PLAIN.sessions == DEFAULT_SESSIONS
        assert PLAIN.hours_per_day == hours(8)

    def test_sessions_given_out_of_order_are_sorted(self) -> None:
        afternoon = Session(time(13, 0), time(17, 0))
        morning = Session(time(8, 0), time(12, 0))
        calendar = WorkingCalendar(sessions=(afternoon, morning))
        assert calendar.sessions == (morning, afternoon)
        assert calendar.hours_per_day == hours(8)

    def test_a_session_ending_before_it_starts_is_rejected(self) -> None:
        with pytest.raises(InvalidCalendarError):
            Session(time(11, 30), time(7, 0))

    def test_an_empty_session_is_rejected(self) -> None:
        with pytest.raises(InvalidCalendarError):
            Session(time(7, 0), time(7, 0))

    def test_overlapping_sessions_are_rejected(self) -> None:
        with pytest.raises(InvalidCalendarError):
            WorkingCalendar(
                sessions=(
                    Session(time(7, 0), time(12, 0)),
                    Session(time(11, 30), time(17, 0)),
                )
            )

    def test_adjacent_sessions_are_accepted(self) -> None:
        calendar = WorkingCalendar(
            sessions=(
                Session(time(7, 0), time(12, 0)),
                Session(time(12, 0), time(15, 0)),
            )
        )
        assert calendar.hours_per_day == hours(8)

    def test_a_calendar_without_any_session_is_rejected(self) -> None:
        with pytest.raises(InvalidCalendarError):
            WorkingCalendar(sessions=())


class TestWorkingDays:
    def test_saturday_and_sunday_are_not_working_days_by_default(self) -> None:
        assert not PLAIN.is_working_day(SAT)
        assert not PLAIN.is_working_day(SUN)
        assert PLAIN.is_working_day(MON)

    def test_a_configured_day_off_is_not_a_working_day(self) -> None:
        calendar = WorkingCalendar(days_off=frozenset({TUE}))
        assert not calendar.is_working_day(TUE)

    def test_a_make_up_day_on_a_weekend_is_a_working_day(self) -> None:
        calendar = WorkingCalendar(working_days=frozenset({SAT}))
        assert calendar.is_working_day(SAT)


class TestWorkStart:
    def test_an_instant_inside_a_session_is_its_own_work_start(self) -> None:
        assert PLAIN.work_start(at(MON, 9, 15)) == at(MON, 9, 15)

    def test_the_opening_instant_is_its_own_work_start(self) -> None:
        assert PLAIN.work_start(at(MON, 7)) == at(MON, 7)

    def test_a_reception_before_seven_starts_at_seven(self) -> None:
        assert PLAIN.work_start(at(MON, 6, 10)) == at(MON, 7)

    def test_a_reception_during_lunch_starts_at_half_past_one(self) -> None:
        assert PLAIN.work_start(at(MON, 12, 0)) == at(MON, 13, 30)

    def test_a_reception_exactly_at_the_morning_closing_starts_after_lunch(
        self,
    ) -> None:
        assert PLAIN.work_start(at(MON, 11, 30)) == at(MON, 13, 30)

    def test_a_reception_after_closing_starts_next_working_morning(self) -> None:
        assert PLAIN.work_start(at(MON, 17, 30)) == at(TUE, 7)

    def test_a_reception_exactly_at_closing_starts_next_working_morning(self) -> None:
        assert PLAIN.work_start(at(MON, 17, 0)) == at(TUE, 7)

    def test_a_reception_on_friday_evening_starts_on_monday(self) -> None:
        assert PLAIN.work_start(at(FRI, 18)) == at(MON, 7)

    def test_a_reception_on_sunday_starts_on_monday_morning(self) -> None:
        assert PLAIN.work_start(at(SUN, 10)) == at(MON, 7)

    def test_a_reception_on_a_holiday_starts_on_the_next_working_day(self) -> None:
        calendar = WorkingCalendar(days_off=frozenset({MON}))
        assert calendar.work_start(at(MON, 9)) == at(TUE, 7)

    def test_a_reception_on_a_make_up_saturday_starts_that_saturday(self) -> None:
        calendar = WorkingCalendar(working_days=frozenset({SAT}))
        assert calendar.work_start(at(SAT, 6)) == at(SAT, 7)

    def test_an_instant_in_another_timezone_is_read_in_vietnamese_time(self) -> None:
        # 23:30 UTC on Sunday is 06:30 on Monday in Hà Nội.
        start = PLAIN.work_start(datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
        assert start == at(MON, 7)
        assert start.utcoffset() == hours(7)


class TestAddWorkingTime:
    def test_time_inside_one_session_is_added_directly(self) -> None:
        assert PLAIN.add_working_time(at(MON, 8), hours(2)) == at(MON, 10)

    def test_the_lunch_break_is_skipped(self) -> None:
        # 10:00→11:30 is 1.5 h, the remaining 2.5 h run from 13:30.
        assert PLAIN.add_working_time(at(MON, 10), hours(4)) == at(MON, 16)

    def test_the_weekend_is_skipped(self) -> None:
        # Fri 16:30→17:00 is 0.5 h, then 7.5 h on Monday: 4.5 h + 3 h from 13:30.
        assert PLAIN.add_working_time(at(FRI, 16, 30), hours(8)) == at(MON, 16, 30)

    def test_a_configured_day_off_is_skipped(self) -> None:
        calendar = WorkingCalendar(days_off=frozenset({TUE}))
        # Mon 10:00→17:00 is 5 h, Wed 8 h, Thu 3 h.
        assert calendar.add_working_time(at(MON, 10), hours(16)) == at(THU, 10)

    def test_zero_time_from_inside_a_session_is_the_start(self) -> None:
        assert PLAIN.add_working_time(at(MON, 9), timedelta()) == at(MON, 9)

    def test_zero_time_from_outside_the_sessions_is_the_work_start(self) -> None:
        assert PLAIN.add_working_time(at(MON, 18), timedelta()) == at(TUE, 7)

    def test_an_end_at_closing_is_the_closing(self) -> None:
        assert PLAIN.add_working_time(at(MON, 7), hours(8)) == at(MON, 17)

    def test_an_end_at_closing_stays_at_closing_without_rollover(self) -> None:
        assert NO_ROLLOVER.add_working_time(at(MON, 7), hours(8)) == at(MON, 17)

    def test_an_end_at_the_lunch_closing_does_not_roll_over(self) -> None:
        # Only the day's last closing rolls over: the date shown stays the same.
        assert PLAIN.add_working_time(at(MON, 10), hours(1.5)) == at(MON, 11, 30)
        assert NO_ROLLOVER.add_working_time(at(MON, 10), hours(1.5)) == at(MON, 11, 30)

    def test_an_end_at_friday_closing_is_friday_closing_shown_as_monday(
        self,
    ) -> None:
        due = PLAIN.add_working_time(at(NEXT_FRI, 7), hours(8))
        assert due == at(NEXT_FRI, 17)
        assert PLAIN.shown_due(due) == at(MON + timedelta(7), 7)

    def test_only_the_day_closing_is_shown_as_the_next_opening(self) -> None:
        assert PLAIN.shown_due(at(MON, 11, 30)) == at(MON, 11, 30)
        assert PLAIN.shown_due(at(MON, 16, 59)) == at(MON, 16, 59)
        assert PLAIN.shown_due(at(MON, 17)) == at(TUE, 7)

    def test_the_result_is_expressed_in_vietnamese_time(self) -> None:
        start = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
        result = PLAIN.add_working_time(start, hours(1))
        assert result == at(MON, 9)
        assert result.tzinfo == VN

    def test_a_negative_duration_is_rejected(self) -> None:
        with pytest.raises(InvalidCalendarError):
            PLAIN.add_working_time(at(MON, 9), -timedelta(minutes=1))

    def test_a_duration_longer_than_three_years_is_still_counted(self) -> None:
        # 1000 working days = 200 plain weeks, ending at the Friday closing
        # 1400 - 3 calendar days later.
        start = at(date(2026, 1, 5), 7)
        end = PLAIN.add_working_time(start, hours(8 * 1000))
        assert end == at(date(2026, 1, 5) + timedelta(days=1400 - 3), 17)


class TestWorkingTimeBetween:
    def test_time_inside_one_session_is_the_plain_difference(self) -> None:
        assert PLAIN.working_time_between(at(MON, 8), at(MON, 10, 15)) == hours(2.25)

    def test_the_lunch_break_is_not_counted(self) -> None:
        # 10:00→11:30 and 13:30→14:00.
        assert PLAIN.working_time_between(at(MON, 10), at(MON, 14)) == hours(2)

    def test_the_weekend_is_not_counted(self) -> None:
        # Fri 16:00→17:00 and Mon 07:00→08:00.
        assert PLAIN.working_time_between(at(FRI, 16), at(MON, 8)) == hours(2)

    def test_a_whole_working_day_counts_eight_hours(self) -> None:
        assert PLAIN.working_time_between(at(MON, 0), at(TUE, 0)) == hours(8)

    def test_a_day_off_is_not_counted(self) -> None:
        calendar = WorkingCalendar(days_off=frozenset({TUE}))
        assert calendar.working_time_between(at(MON, 9), at(WED, 9)) == hours(8)

    def test_time_outside_the_sessions_counts_zero(self) -> None:
        assert PLAIN.working_time_between(at(MON, 17, 30), at(TUE, 6)) == timedelta()

    def test_equal_instants_count_zero(self) -> None:
        assert PLAIN.working_time_between(at(MON, 9), at(MON, 9)) == timedelta()

    def test_more_than_three_years_are_counted(self) -> None:
        # 200 plain weeks from a Monday opening: 1000 working days of 8 h.
        start = at(date(2026, 1, 5), 7)
        end = start + timedelta(days=1400)
        assert PLAIN.working_time_between(start, end) == hours(8 * 1000)

    def test_a_reversed_interval_counts_zero(self) -> None:
        assert PLAIN.working_time_between(at(TUE, 9), at(MON, 9)) == timedelta()

    def test_instants_in_other_timezones_are_read_in_vietnamese_time(self) -> None:
        start = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)  # Mon 08:00 in Hà Nội
        end = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # Mon 10:00 in Hà Nội
        assert PLAIN.working_time_between(start, end) == hours(2)


class TestAddCalendarDays:
    def test_calendar_days_count_weekends(self) -> None:
        assert PLAIN.add_calendar_days(at(WED, 10), 7) == at(WED + timedelta(7), 10)

    def test_a_due_date_on_a_weekend_moves_to_the_next_opening(self) -> None:
        # Mon 10:00 + 5 days = Sat 10:00 → Monday 16 March 07:00.
        assert PLAIN.add_calendar_days(at(MON, 10), 5) == at(MON + timedelta(7), 7)

    def test_a_due_date_on_a_holiday_moves_to_the_next_opening(self) -> None:
        calendar = WorkingCalendar(days_off=frozenset({THU}))
        assert calendar.add_calendar_days(at(MON, 10), 3) == at(NEXT_FRI, 7)

    def test_a_due_time_during_lunch_moves_to_the_afternoon_opening(self) -> None:
        assert PLAIN.add_calendar_days(at(MON, 12), 2) == at(WED, 13, 30)

    def test_counting_starts_from_the_first_working_instant(self) -> None:
        # Received Friday evening: the count starts Monday 07:00.
        assert PLAIN.add_calendar_days(at(FRI, 18), 3) == at(THU, 7)

    def test_elapsed_time_moves_a_due_time_off_the_weekend(self) -> None:
        moved = PLAIN.add_elapsed(at(THU, 10), timedelta(days=2))
        assert moved == at(MON + timedelta(7), 7)


class TestCalendarWithoutAnyWorkingDay:
    EVERY_DAY_OFF = WorkingCalendar(weekend=frozenset(range(7)))

    def test_work_start_fails_instead_of_looping(self) -> None:
        with pytest.raises(InvalidCalendarError):
            self.EVERY_DAY_OFF.work_start(at(MON, 9))

    def test_adding_working_time_fails_instead_of_looping(self) -> None:
        with pytest.raises(InvalidCalendarError):
            self.EVERY_DAY_OFF.add_working_time(at(MON, 9), hours(1))

    def test_counting_calendar_days_fails_instead_of_looping(self) -> None:
        with pytest.raises(InvalidCalendarError):
            self.EVERY_DAY_OFF.add_calendar_days(at(MON, 9), 3)

    def test_working_time_between_fails_instead_of_looping(self) -> None:
        with pytest.raises(InvalidCalendarError):
            self.EVERY_DAY_OFF.working_time_between(at(MON, 9), at(TUE, 9))


class TestNaiveDatetimes:
    NAIVE = datetime(2026, 3, 9, 9, 0)

    def test_work_start_rejects_a_naive_datetime(self) -> None:
        with pytest.raises(InvalidCalendarError):
            PLAIN.work_start(self.NAIVE)

    def test_adding_working_time_rejects_a_naive_datetime(self) -> None:
        with pytest.raises(InvalidCalendarError):
            PLAIN.add_working_time(self.NAIVE, hours(1))

    def test_working_time_between_rejects_a_naive_end(self) -> None:
        with pytest.raises(InvalidCalendarError):
            PLAIN.working_time_between(at(MON, 8), self.NAIVE)

    def test_working_time_between_rejects_a_naive_start(self) -> None:
        with pytest.raises(InvalidCalendarError):
            PLAIN.working_time_between(self.NAIVE, at(MON, 10))

    def test_working_time_between_rejects_two_naive_datetimes(self) -> None:
        with pytest.raises(InvalidCalendarError):
            PLAIN.working_time_between(self.NAIVE, self.NAIVE - hours(1))

    def test_counting_calendar_days_rejects_a_naive_datetime(self) -> None:
        with pytest.raises(InvalidCalendarError):
            PLAIN.add_calendar_days(self.NAIVE, 3)


# --- Properties over the real Vietnamese calendar ------------------------------

REAL = vietnam_calendar(2025, 2026, 2027)
REAL_NO_ROLLOVER = REAL

starts = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([VN, UTC]),
)
durations = st.integers(min_value=0, max_value=400).map(
    lambda n: timedelta(minutes=30 * n)
)


def clock_of(calendar: WorkingCalendar, moment: datetime) -> time:
    return calendar.local(moment).timetz().replace(tzinfo=None)


def in_session(calendar: WorkingCalendar, moment: datetime) -> bool:
    """``moment`` is on a working day, inside a session or exactly at its end."""
    if not calendar.is_working_day(calendar.local(moment).date()):
        return False
    clock = clock_of(calendar, moment)
    return any(s.start <= clock <= s.end for s in calendar.sessions)


def at_day_closing(calendar: WorkingCalendar, moment: datetime) -> bool:
    return clock_of(calendar, moment) == calendar.sessions[-1].end


class TestWorkingTimeProperties:
    @settings(max_examples=200, deadline=None)
    @given(start=starts, duration=durations)
    def test_the_working_time_up_to_the_result_is_the_duration_added(
        self, start: datetime, duration: timedelta
    ) -> None:
        # Holds with rollover too: the gap from closing to the next opening is
        # not working time.
        for calendar in (REAL, REAL_NO_ROLLOVER):
            end = calendar.add_working_time(start, duration)
            between = calendar.working_time_between(calendar.work_start(start), end)
            assert between == duration

    @settings(max_examples=200, deadline=None)
    @given(start=starts, duration=durations)
    def test_the_result_is_never_earlier_than_the_start(
        self, start: datetime, duration: timedelta
    ) -> None:
        for calendar in (REAL, REAL_NO_ROLLOVER):
            end = calendar.add_working_time(start, duration)
            assert end >= start
            assert end >= calendar.work_start(start)

    @settings(max_examples=200, deadline=None)
    @given(start=starts, first=durations, second=durations)
    def test_adding_a_positive_second_step_equals_adding_the_sum(
        self, start: datetime, first: timedelta, second: timedelta
    ) -> None:
        # Plain associativity fails only for a zero second step (below).
        for calendar in (REAL, REAL_NO_ROLLOVER):
            middle = calendar.add_working_time(start, first)
            in_two_steps = calendar.add_working_time(middle, second)
            expected = calendar.add_working_time(start, first + second)
            if second:
                assert in_two_steps == expected
            else:
                assert in_two_steps == calendar.work_start(expected)

    def test_adding_zero_to_a_closing_moves_to_the_next_opening(self) -> None:
        # Why associativity needs a positive second step: a result may sit at a
        # closing (lunch always; the day's end without rollover), and adding
        # zero to it yields the next opening.
        lunch = PLAIN.add_working_time(at(MON, 10), hours(1.5))
        assert lunch == at(MON, 11, 30)
        assert PLAIN.add_working_time(lunch, timedelta()) == at(MON, 13, 30)
        evening = NO_ROLLOVER.add_working_time(at(MON, 7), hours(8))
        assert evening == at(MON, 17)
        assert NO_ROLLOVER.add_working_time(evening, timedelta()) == at(TUE, 7)

    @settings(max_examples=200, deadline=None)
    @given(start=starts, duration=durations)
    def test_the_result_is_the_earliest_instant_with_that_much_working_time(
        self, start: datetime, duration: timedelta
    ) -> None:
        # The legal due instant: a minute earlier, less working time has passed
        # (so a due at the day's closing stays at the closing).
        end = REAL.add_working_time(start, duration)
        assert in_session(REAL, end)
        if duration > timedelta():
            begin = REAL.work_start(start)
            before = REAL.working_time_between(begin, end - timedelta(minutes=1))
            assert before < duration

    @settings(max_examples=200, deadline=None)
    @given(start=starts, duration=durations)
    def test_the_shown_due_is_the_same_working_instant_never_at_closing(
        self, start: datetime, duration: timedelta
    ) -> None:
        end = REAL.add_working_time(start, duration)
        shown = REAL.shown_due(end)
        assert REAL.working_time_between(end, shown) == timedelta()
        assert not at_day_closing(REAL, shown)

    @settings(max_examples=200, deadline=None)
    @given(start=starts, duration=durations)
    def test_without_rollover_the_result_lies_in_a_session_or_at_its_end(
        self, start: datetime, duration: timedelta
    ) -> None:
        end = REAL_NO_ROLLOVER.add_working_time(start, duration)
        assert in_session(REAL_NO_ROLLOVER, end)
        if duration == timedelta():
            assert end == REAL_NO_ROLLOVER.work_start(start)

    @settings(max_examples=200, deadline=None)
    @given(start=starts)
    def test_work_start_is_idempotent_and_strictly_inside_a_session(
        self, start: datetime
    ) -> None:
        opening = REAL.work_start(start)
        assert REAL.work_start(opening) == opening
        assert in_session(REAL, opening)
        assert not any(clock_of(REAL, opening) == s.end for s in REAL.sessions)
        assert REAL.working_time_between(start, opening) == timedelta()
