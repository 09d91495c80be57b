"""Working time of a one-stop desk: sessions, days off, make-up working days.

Pure functions over a frozen ``WorkingCalendar``; the Calendar aggregate
produces one per version, so every deadline can name the calendar it used.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from domain.errors import Bilingual, InvalidCalendarError, TimeOutOfRangeError

VIETNAM_TZ = "Asia/Ho_Chi_Minh"
_SEARCH_LIMIT_DAYS = 3 * 366
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
"""Instants the arithmetic accepts and returns: outside, no deadline is plausible,
and counting day by day towards year 9999 would run for minutes or overflow."""
_NO_WORKING_DAY = Bilingual(
    "không có ngày làm việc nào trong ba năm", "no working day within three years"
)
MAX_DURATION = timedelta(days=50 * 366)
"""Working or elapsed time added to an instant: at most 50 years."""


def check_instant(moment: datetime, what: str = "time") -> datetime:
    """``moment`` if it is aware and inside [EARLIEST, LATEST]; else a typed error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidCalendarError(
            Bilingual(
                f"thời điểm không có múi giờ {moment.isoformat()}",
                f"naive datetime {moment.isoformat()}",
            )
        )
    # Aware comparisons never overflow, unlike astimezone() near year 1 or 9999.
    if not EARLIEST <= moment <= LATEST:
        raise TimeOutOfRangeError(what=what, value=moment.isoformat())
    return moment


def check_duration(duration: timedelta) -> timedelta:
    if duration < timedelta():
        raise InvalidCalendarError(
            Bilingual(
                f"khoảng thời gian âm {duration}", f"negative duration {duration}"
            )
        )
    if duration > MAX_DURATION:
        raise TimeOutOfRangeError(value=str(duration))
    return duration


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
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.sessions:
            raise InvalidCalendarError(
                Bilingual("không có buổi làm việc", "no working session")
            )
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
        return check_instant(moment).astimezone(self._tz)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() not in self.weekend

    def is_working_instant(self, moment: datetime) -> bool:
        """Inside a session of a working day, its opening and closing included
        (a due time at the closing is the legal instant of that day)."""
        local = self.local(moment)
        if not self.is_working_day(local.date()):
            return False
        return any(
            start <= local <= end for start, end in self._intervals(local.date())
        )

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
        last_day = LATEST.date()
        idle = 0
        while idle < _SEARCH_LIMIT_DAYS:
            if day > last_day:
                raise TimeOutOfRangeError(value=f"> {LATEST.isoformat()}")
            if self.is_working_day(day):
                idle = 0
                for start, end in self._intervals(day):
                    if end > cursor:
                        yield max(start, cursor), end
            else:
                idle += 1
            day += timedelta(days=1)
        raise InvalidCalendarError(_NO_WORKING_DAY)

    def work_start(self, moment: datetime) -> datetime:
        """The first working instant at or after ``moment``."""
        start, _ = next(self._open_intervals(moment))
        return check_instant(start)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of working time has passed since ``start``.

        Time that ends exactly at a closing ends *at* the closing (Mon 07:00
        + 8 h = Mon 17:00): that is the legal due instant. Showing it as the
        next opening is presentation (``shown_due``), never stored.
        """
        remaining = check_duration(duration)
        for begin, end in self._open_intervals(start):
            available = end - begin
            if remaining <= available:
                return check_instant(begin + remaining)
            remaining -= available
        raise InvalidCalendarError(_NO_WORKING_DAY)  # pragma: no cover

    def shown_due(self, due: datetime) -> datetime:
        """A due time at the day's last closing, shown as the next working opening.

        Only for receipts and screens (``MOTCUA_DUE_AT_CLOSE_ROLLS_OVER``): the
        same working instant, but the date printed is the next working day's.
        """
        local = self.local(due)
        closes_day = local.timetz().replace(tzinfo=None) == self.sessions[-1].end
        if not closes_day or not self.is_working_day(local.date()):
            return local
        return self.work_start(local)

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
        if days < 0:
            raise InvalidCalendarError(
                Bilingual(f"số ngày âm {days}", f"negative duration {days} days")
            )
        return self.add_elapsed(self.work_start(start), timedelta(days=days))

    def add_elapsed(self, moment: datetime, elapsed: timedelta) -> datetime:
        check_duration(elapsed)
        return self.work_start(check_instant(self.local(moment) + elapsed))
