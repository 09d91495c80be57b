"""What officers see beyond the stored rows: the apology flag (R-12), the control
sheet with early/on-time/late per step (R-11) and the due time as printed (R-14).

All three depend on the working calendar and settings, not only on events, so
they are worked out per request here rather than stored in a read model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from api.services import Services
from application.errors import CalendarNotDefinedError
from domain.deadline import Granularity, classify
from domain.values import AgencyCode
from domain.working_time import WorkingCalendar
from projections.control_sheet import ControlStep
from projections.worklist import APOLOGY_STATUSES, WorkItem


def due_shown_as_next_morning(services: Services) -> bool:
    """``MOTCUA_DUE_AT_CLOSE_ROLLS_OVER``: presentation only, never the stored due."""
    return bool(services.settings.value("DUE_AT_CLOSE_ROLLS_OVER"))


def apology_lead(services: Services) -> timedelta:
    """How long before the due time a dossier is flagged: the apology cut-off
    (``MOTCUA_APOLOGY_CUTOFF_HOURS``) plus the notice the unit gets to write
    it (``MOTCUA_APOLOGY_NOTICE_HOURS``), both in working hours."""
    notice: int = services.settings.value("APOLOGY_NOTICE_HOURS")
    return timedelta(hours=services.onestop.apology_cutoff_hours + notice)


@dataclass(frozen=True)
class OfficerPresentation:
    """The calendar-dependent views of one province, at one instant."""

    calendar: WorkingCalendar | None
    granularity: Granularity
    roll_over: bool
    apology_due_before: datetime | None
    """Dossiers due at or before this need an apology (``apology_lead`` from now)."""

    @classmethod
    def of(
        cls, services: Services, agency_code: str, now: datetime | None = None
    ) -> OfficerPresentation:
        onestop = services.onestop
        try:
            province = AgencyCode(agency_code).level1
            calendar: WorkingCalendar | None = onestop.working_calendar(
                province
            ).calendar
        except CalendarNotDefinedError:
            calendar = None
        threshold = None
        if calendar is not None:
            moment = now or datetime.now().astimezone()
            threshold = calendar.add_working_time(moment, apology_lead(services))
        return cls(
            calendar=calendar,
            granularity=onestop.granularity,
            roll_over=due_shown_as_next_morning(services),
            apology_due_before=threshold,
        )

    def needs_apology(self, item: WorkItem) -> bool:
        return (
            self.apology_due_before is not None
            and item.status in APOLOGY_STATUSES
            and not item.reappointed
            and item.due_at is not None
            and item.due_at <= self.apology_due_before
        )

    def shown_due(self, due_at: datetime | None) -> datetime | None:
        if due_at is None or self.calendar is None or not self.roll_over:
            return due_at
        return self.calendar.shown_due(due_at)

    def step_timeliness(self, step: ControlStep) -> str | None:
        """Early/on time/late of a finished step against its planned time."""
        if step.completed_at is None or self.calendar is None:
            return None
        if step.planned_due_at is None:
            return None
        return classify(
            step.completed_at,
            step.planned_due_at,
            0,
            self.calendar,
            self.granularity,
        ).value
