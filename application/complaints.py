"""Complaint (PAKN) use cases on the one-stop application's event store."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.onestop import OneStop
from domain.complaint import Complaint
from domain.errors import DomainError
from domain.values import AgencyCode, Role, Trace
from domain.working_time import WorkingCalendar


class ComplaintNotFoundError(DomainError):
    code = "COMPLAINT_NOT_FOUND"
    vi = "Không tìm thấy phản ánh, kiến nghị {a0}"
    en = "Complaint {a0} not found"


class Complaints:
    def __init__(self, app: OneStop) -> None:
        self.app = app

    def _calendar(self, agency_code: str) -> WorkingCalendar:
        return self.app.working_calendar(AgencyCode(agency_code).level1).calendar

    def submit(
        self,
        *,
        trace: Trace,
        agency_code: str,
        subject: str,
        content: str,
        dossier_code: str | None = None,
    ) -> UUID:
        complaint = Complaint.submit(
            trace=trace,
            calendar=self._calendar(str(AgencyCode(agency_code))),
            agency_code=agency_code,
            subject=subject,
            content=content,
            dossier_code=dossier_code,
        )
        self.app.save(complaint)
        return complaint.id

    def get(self, complaint_id: UUID, trace: Trace) -> Complaint:
        """A complaint the actor may see; any other looks like none at all (R-54)."""
        try:
            complaint: Complaint = self.app.repository.get(complaint_id)
        except AggregateNotFoundError:
            raise ComplaintNotFoundError(str(complaint_id)) from None
        if not isinstance(complaint, Complaint):
            raise ComplaintNotFoundError(str(complaint_id))
        actor = trace.actor
        visible = (
            actor.id == complaint.author_id
            if actor.role is Role.CITIZEN
            else actor.role is Role.SYSTEM
            or complaint.visible_to_officer(actor.agency_code)
        )
        if not visible:
            raise ComplaintNotFoundError(str(complaint_id))
        return complaint

    def _run(
        self, complaint_id: UUID, trace: Trace, step: Callable[[Complaint], None]
    ) -> int:
        complaint = self.get(complaint_id, trace)
        step(complaint)
        self.app.save(complaint)
        return complaint.version

    def classify(self, complaint_id: UUID, *, trace: Trace, category: str) -> int:
        return self._run(
            complaint_id, trace, lambda c: c.classify(trace=trace, category=category)
        )

    def assign(self, complaint_id: UUID, *, trace: Trace, agency_code: str) -> int:
        return self._run(
            complaint_id,
            trace,
            lambda c: c.assign(trace=trace, agency_code=agency_code),
        )

    def request_supplement(
        self, complaint_id: UUID, *, trace: Trace, reason: str
    ) -> int:
        return self._run(
            complaint_id,
            trace,
            lambda c: c.request_supplement(trace=trace, reason=reason),
        )

    def supplement(self, complaint_id: UUID, *, trace: Trace, content: str) -> int:
        return self._run(
            complaint_id, trace, lambda c: c.supplement(trace=trace, content=content)
        )

    def refuse(self, complaint_id: UUID, *, trace: Trace, reason: str) -> int:
        return self._run(
            complaint_id, trace, lambda c: c.refuse(trace=trace, reason=reason)
        )

    def answer(self, complaint_id: UUID, *, trace: Trace, answer: str) -> int:
        def step(complaint: Complaint) -> None:
            calendar = self._calendar(complaint.handling_agency)
            complaint.answer(trace=trace, calendar=calendar, answer=answer)

        return self._run(complaint_id, trace, step)

    def publish(self, complaint_id: UUID, *, trace: Trace) -> int:
        return self._run(complaint_id, trace, lambda c: c.publish(trace=trace))

    def rate(self, complaint_id: UUID, *, trace: Trace, satisfied: bool) -> int:
        return self._run(
            complaint_id, trace, lambda c: c.rate(trace=trace, satisfied=satisfied)
        )
