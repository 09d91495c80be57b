"""Working time of a one-stop desk: sessions, days off, make-up working days.

Pure functions over a frozen ``WorkingCalendar``; the Calendar aggregate
produces one per version, so every deadline can name the calendar it used.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from domain.errors import InvalidCalendarError

VIETNAM_TZ = "Asia/Ho_Chi_Minh"
_SEARCH_LIMIT_DAYS = 3 * 366


@dataclass(frozen=True, order=True)
class Session:
    """One working session of a day, e.g. 07:00–11:30."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidCalendarError(f"{self.start}–{self.end}")

    @property
    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(
            date.min, self.start
        )


DEFAULT_SESSIONS = (
    Session(time(7, 0), time(11, 30)),
    Session(time(13, 30), time(17, 0)),
)


@dataclass(frozen=True)
class WorkingCalendar:
    """Everything needed to count working time; no I/O, no clock."""

    sessions: tuple[Session, ...] = DEFAULT_SESSIONS
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})
    timezone: str = VIETNAM_TZ
    due_at_close_rolls_over: bool = True
    """A due time exactly at the day's closing is shown as the next day's opening."""
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.sessions:
            raise InvalidCalendarError("no working session")
        ordered = sorted(self.sessions)
        for before, after in itertools.pairwise(ordered):
            if after.start < before.end:
                raise InvalidCalendarError(f"{before.end} > {after.start}")
        object.__setattr__(self, "sessions", tuple(ordered))
        object.__setattr__(self, "_tz", ZoneInfo(self.timezone))

    @cached_property
    def hours_per_day(self) -> timedelta:
        return sum((s.length for s in self.sessions), timedelta())

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise InvalidCalendarError(f"naive datetime {moment.isoformat()}")
        return moment.astimezone(self._tz)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() not in self.weekend

    def next_working_day(self, day: date) -> date:
        for offset in range(1, _SEARCH_LIMIT_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise InvalidCalendarError("no working day within three years")

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        return [
            (
                datetime.combine(day, s.start, tzinfo=self._tz),
                datetime.combine(day, s.end, tzinfo=self._tz),
            )
            for s in self.sessions
        ]

    def _open_intervals(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals ending after ``moment``, clipped to start at it."""
        cursor = self.local(moment)
        day = cursor.date()
        idle = 0
        while idle < _SEARCH_LIMIT_DAYS:
            if self.is_working_day(day):
                idle = 0
                for start, end in self._intervals(day):
                    if end > cursor:
                        yield max(start, cursor), end
            else:
                idle += 1
            day += timedelta(days=1)
        raise InvalidCalendarError("no working day within three years")

    def work_start(self, moment: datetime) -> datetime:
        """The first working instant at or after ``moment``."""
        start, _ = next(self._open_intervals(moment))
        return start

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of working time has passed since ``start``."""
        if duration < timedelta():
            raise InvalidCalendarError(f"negative duration {duration}")
        remaining = duration
        for begin, end in self._open_intervals(start):
            available = end - begin
            closes_day = end.timetz().replace(tzinfo=None) == self.sessions[-1].end
            if remaining < available or (
                remaining == available
                and not (self.due_at_close_rolls_over and closes_day)
            ):
                return begin + remaining
            remaining -= available
        raise InvalidCalendarError("unreachable")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside ``[start, end)``; zero when ``end <= start``."""
        total = timedelta()
        stop = self.local(end)
        if stop <= self.local(start):
            return total
        for begin, finish in self._open_intervals(start):
            if begin >= stop:
                break
            total += min(finish, stop) - begin
        return total

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """Calendar days from the first working instant, moved off days off."""
        base = self.work_start(start)
        return self.work_start(base + timedelta(days=days))

    def add_elapsed(self, moment: datetime, elapsed: timedelta) -> datetime:
        return self.work_start(self.local(moment) + elapsed)
