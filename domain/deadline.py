"""Statutory time limits, due times, pauses and timeliness (domain.md §3.1, §6.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum

from domain.errors import Bilingual, InvalidProcedureError, TimeOutOfRangeError
from domain.working_time import MAX_DURATION, WorkingCalendar


class TimeUnit(Enum):
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    NONE = "none"


@dataclass(frozen=True)
class TimeLimit:
    """How long the competent agency has to resolve a dossier."""

    unit: TimeUnit
    amount: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.unit is TimeUnit.NONE:
            return
        if self.amount <= 0:
            raise InvalidProcedureError(
                Bilingual(
                    f"thời hạn giải quyết {self.amount} phải dương",
                    f"time limit {self.amount} {self.unit.value}",
                )
            )
        if self.unit is TimeUnit.CALENDAR_DAYS and self.amount != int(self.amount):
            raise InvalidProcedureError(
                Bilingual(
                    f"{self.amount} ngày (phải là số ngày nguyên)",
                    f"{self.amount} calendar days",
                )
            )

    def due_at(
        self, received_at: datetime, calendar: WorkingCalendar
    ) -> datetime | None:
        if self.unit is TimeUnit.NONE:
            return None
        if self.unit is TimeUnit.CALENDAR_DAYS:
            if self.amount > MAX_DURATION.days:
                raise TimeOutOfRangeError(value=f"{self.amount}")
            return calendar.add_calendar_days(received_at, int(self.amount))
        start = calendar.work_start(received_at)
        return calendar.add_working_time(start, self.working_duration(calendar))

    def working_duration(self, calendar: WorkingCalendar) -> timedelta:
        hours = self.amount
        if self.unit is TimeUnit.WORKING_DAYS:
            hours *= Decimal(calendar.hours_per_day.total_seconds()) / 3600
        if not hours.is_finite() or hours * 3600 > MAX_DURATION.total_seconds():
            raise TimeOutOfRangeError(value=f"{self.amount}")
        return timedelta(seconds=float(hours * 3600))

    def pause_length(
        self, paused_at: datetime, resumed_at: datetime, calendar: WorkingCalendar
    ) -> timedelta:
        """How much of the clock the pause consumed, in this limit's own time."""
        if self.unit is TimeUnit.CALENDAR_DAYS:
            elapsed = calendar.local(resumed_at) - calendar.local(paused_at)
            return max(elapsed, timedelta())
        return calendar.working_time_between(paused_at, resumed_at)

    def extend(
        self, due_at: datetime, pause: timedelta, calendar: WorkingCalendar
    ) -> datetime:
        if not pause:
            return due_at  # a closing-time due must not move to the next opening
        if self.unit is TimeUnit.CALENDAR_DAYS:
            return calendar.add_elapsed(due_at, pause)
        return calendar.add_working_time(due_at, pause)


class Timeliness(Enum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


class Granularity(Enum):
    """Whether early/on-time/late compare calendar dates (Thanh Hóa) or instants."""

    DATE = "date"
    INSTANT = "instant"


def classify(
    finished_at: datetime,
    due_at: datetime | None,
    supplement_requests: int,
    calendar: WorkingCalendar,
    granularity: Granularity = Granularity.DATE,
) -> Timeliness:
    """DVCQG 766 rule 2.1: more than one supplement request counts as late."""
    if supplement_requests > 1:
        return Timeliness.LATE
    if due_at is None:
        return Timeliness.ON_TIME
    end, due = calendar.local(finished_at), calendar.local(due_at)
    if granularity is Granularity.INSTANT:
        if end > due:
            return Timeliness.LATE
        return Timeliness.EARLY if end.date() < due.date() else Timeliness.ON_TIME
    if end.date() < due.date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME if end.date() == due.date() else Timeliness.LATE
