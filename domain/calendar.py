# Storage contract: event classes below only gain fields; rename/move = register_topic.
from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.errors import (
    Bilingual,
    InvalidCalendarError,
    InvalidValueError,
    MissingDataError,
    field_name,
)
from domain.named_ids import url_id
from domain.values import Trace
from domain.working_time import DEFAULT_SESSIONS, Session, WorkingCalendar

_LEVEL1 = re.compile(r"[A-Z][0-9]{2}", re.ASCII)


class Calendar(Aggregate):
    """A province's working calendar; each change is a new version."""

    class Defined(Aggregate.Created):
        trace: Trace
        province: str
        sessions: tuple[Session, ...]
        weekend: tuple[int, ...]

        def apply(self, aggregate: Calendar) -> None:
            aggregate.province = self.province
            aggregate.sessions = tuple(self.sessions)
            aggregate.weekend = tuple(self.weekend)
            aggregate.days_off = {}
            aggregate.working_days = {}

    class PublicHolidaysAdopted(Aggregate.Event):
        """National holidays of a year as the ``holidays`` package listed them."""

        trace: Trace
        year: int
        holidays: dict[str, str]
        make_up_days: dict[str, str]

        def apply(self, aggregate: Calendar) -> None:
            aggregate.days_off.update(self.holidays)
            aggregate.working_days.update(self.make_up_days)

    class DayOffDeclared(Aggregate.Event):
        trace: Trace
        day: date
        reason: str

        def apply(self, aggregate: Calendar) -> None:
            aggregate.days_off[self.day.isoformat()] = self.reason
            aggregate.working_days.pop(self.day.isoformat(), None)

    class WorkingDayDeclared(Aggregate.Event):
        """A make-up working day (ngày làm bù), usually a Saturday."""

        trace: Trace
        day: date
        reason: str

        def apply(self, aggregate: Calendar) -> None:
            aggregate.working_days[self.day.isoformat()] = self.reason
            aggregate.days_off.pop(self.day.isoformat(), None)

    class SessionsChanged(Aggregate.Event):
        trace: Trace
        sessions: tuple[Session, ...]
        reason: str = ""
        """The decision that changed the working hours (empty before session 9)."""

        def apply(self, aggregate: Calendar) -> None:
            aggregate.sessions = tuple(self.sessions)

    province: str
    sessions: tuple[Session, ...]
    weekend: tuple[int, ...]
    days_off: dict[str, str]
    working_days: dict[str, str]

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @staticmethod
    def create_id(province: str) -> UUID:
        # A level-1 unit code (``H34``); checked before it names anything.
        if not isinstance(province, str) or not _LEVEL1.fullmatch(province):
            raise InvalidValueError(
                "province",
                "mã đơn vị cấp 1 dạng MX1X2 (ví dụ H34)",
                "a level-1 unit code MX1X2 (e.g. H34)",
            )
        return url_id(f"/calendars/{province}")

    @classmethod
    def define(
        cls,
        *,
        trace: Trace,
        province: str,
        sessions: tuple[Session, ...] = DEFAULT_SESSIONS,
        weekend: tuple[int, ...] = (5, 6),
    ) -> Calendar:
        if not province.strip():
            raise MissingDataError(field_name("province"))
        WorkingCalendar(sessions=sessions, weekend=frozenset(weekend))
        return cls._create(
            cls.Defined,
            id=cls.create_id(province),
            trace=trace,
            province=province,
            sessions=tuple(sessions),
            weekend=tuple(weekend),
        )

    def adopt_public_holidays(
        self,
        *,
        trace: Trace,
        year: int,
        holidays: dict[date, str],
        make_up_days: dict[date, str],
    ) -> None:
        days_off = {d.isoformat(): name for d, name in sorted(holidays.items())}
        make_up = {d.isoformat(): name for d, name in sorted(make_up_days.items())}
        if any(not key.startswith(f"{year}-") for key in days_off):
            raise InvalidCalendarError(
                Bilingual(f"ngày nghỉ ngoài năm {year}", f"holiday outside {year}")
            )
        if all(self.days_off.get(k) == v for k, v in days_off.items()) and all(
            self.working_days.get(k) == v for k, v in make_up.items()
        ):
            return
        self.trigger_event(
            self.PublicHolidaysAdopted,
            trace=trace,
            year=year,
            holidays=days_off,
            make_up_days=make_up,
        )

    def declare_day_off(self, *, trace: Trace, day: date, reason: str) -> None:
        if not reason.strip():
            raise MissingDataError(field_name("reason"))
        reason = bounds.text(reason, "reason", bounds.REASON_LENGTH, required=True)
        bounds.document_date(day, "date")
        if self.days_off.get(day.isoformat()) != reason:
            self.trigger_event(self.DayOffDeclared, trace=trace, day=day, reason=reason)

    def declare_working_day(self, *, trace: Trace, day: date, reason: str) -> None:
        if not reason.strip():
            raise MissingDataError(field_name("reason"))
        reason = bounds.text(reason, "reason", bounds.REASON_LENGTH, required=True)
        bounds.document_date(day, "date")
        if self.working_days.get(day.isoformat()) != reason:
            self.trigger_event(
                self.WorkingDayDeclared, trace=trace, day=day, reason=reason
            )

    def change_sessions(
        self, *, trace: Trace, sessions: tuple[Session, ...], reason: str
    ) -> None:
        """New working hours from the next reception on: a dossier's due time
        stays what its calendar version gave at reception."""
        if not reason.strip():
            raise MissingDataError(field_name("reason"))
        reason = bounds.text(reason, "reason", bounds.REASON_LENGTH, required=True)
        WorkingCalendar(sessions=sessions)
        ordered = tuple(sorted(sessions))
        if ordered != self.sessions:
            self.trigger_event(
                self.SessionsChanged, trace=trace, sessions=ordered, reason=reason
            )

    def working_calendar(self) -> WorkingCalendar:
        return WorkingCalendar(
            sessions=self.sessions,
            days_off=frozenset(date.fromisoformat(d) for d in self.days_off),
            working_days=frozenset(date.fromisoformat(d) for d in self.working_days),
            weekend=frozenset(self.weekend),
        )
