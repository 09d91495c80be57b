"""Vietnamese public holidays and make-up working days (domain.md §9)."""

from __future__ import annotations

from datetime import date, timedelta

from application.public_holidays import make_up_days, public_holidays
from domain.working_time import WorkingCalendar


def calendar_of(year: int) -> WorkingCalendar:
    days_off, make_up = public_holidays(year)
    return WorkingCalendar(
        days_off=frozenset(days_off), working_days=frozenset(make_up)
    )


class TestTetHolidays:
    def test_tet_2026_is_off_from_monday_16_to_friday_20_february(self) -> None:
        days_off, _ = public_holidays(2026)
        tet = {date(2026, 2, 16) + timedelta(days=n) for n in range(5)}
        assert tet <= days_off.keys()
        assert date(2026, 2, 13) not in days_off
        assert date(2026, 2, 23) not in days_off

    def test_tet_2025_is_off_from_27_january_to_saturday_1_february(self) -> None:
        days_off, _ = public_holidays(2025)
        tet = {date(2025, 1, 27) + timedelta(days=n) for n in range(6)}
        assert tet <= days_off.keys()
        assert date(2025, 2, 1).weekday() == 5

    def test_the_names_are_in_vietnamese(self) -> None:
        days_off, _ = public_holidays(2026)
        assert days_off[date(2026, 2, 17)] == "Tết Nguyên Đán"
        assert days_off[date(2026, 9, 2)] == "Quốc khánh"

    def test_only_days_of_the_requested_year_are_returned(self) -> None:
        days_off, make_up = public_holidays(2025)
        assert {d.year for d in days_off} == {2025}
        assert {d.year for d in make_up} <= {2025}


class TestMakeUpWorkingDays:
    def test_saturday_26_april_2025_is_worked_for_friday_2_may(self) -> None:
        days_off, make_up = public_holidays(2025)
        assert date(2025, 5, 2) in days_off
        assert make_up == {date(2025, 4, 26): "Làm bù cho ngày nghỉ 02/05/2025"}

    def test_saturday_22_august_2026_is_worked_for_monday_31_august(self) -> None:
        days_off, make_up = public_holidays(2026)
        assert date(2026, 8, 31) in days_off
        assert make_up == {date(2026, 8, 22): "Làm bù cho ngày nghỉ 31/08/2026"}

    def test_a_year_without_substituted_day_has_no_make_up_day(self) -> None:
        # 2023 only has "nghỉ bù" (compensatory days off), nothing to work back.
        _, make_up = public_holidays(2023)
        assert make_up == {}

    def test_a_make_up_day_is_never_also_a_day_off(self) -> None:
        for year in (2024, 2025, 2026):
            days_off, make_up = public_holidays(year)
            assert not days_off.keys() & make_up.keys()

    def test_a_calendar_built_from_them_works_the_make_up_saturday(self) -> None:
        calendar = calendar_of(2025)
        assert calendar.is_working_day(date(2025, 4, 26))
        assert not calendar.is_working_day(date(2025, 5, 2))
        assert not calendar.is_working_day(date(2025, 4, 30))
        assert calendar.is_working_day(date(2025, 4, 29))


class TestSubstitutedNameParsing:
    """The make-up day is read from the English name "substituted from MM/DD/YYYY"."""

    def test_the_date_is_read_month_first(self) -> None:
        english = {date(2030, 4, 29): "Day off (substituted from 05/04/2030)"}
        assert make_up_days(english) == {
            date(2030, 5, 4): "Làm bù cho ngày nghỉ 29/04/2030"
        }

    def test_other_names_give_no_make_up_day(self) -> None:
        english = {
            date(2030, 1, 1): "New Year's Day",
            date(2030, 9, 3): "National Day (observed)",
        }
        assert make_up_days(english) == {}
