# Storage contract: event classes below only gain fields; rename/move = register_topic.
"""A complaint or petition (phản ánh, kiến nghị — PAKN) and its handling deadlines.

DVCQG's rules (domain.md §6.3, §9): refuse within 2 working days of the
submission, ask for a supplement within 5, answer within 15, publish the
answer within 2 working days of it. Each step records whether it met its
deadline, so indicator 5.2 never needs the calendar again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import ClassVar
from uuid import uuid4

from eventsourcing.domain import Aggregate

from domain import bounds
from domain.errors import (
    ActorNotAllowedError,
    Bilingual,
    DomainError,
    IllegalTransitionError,
    MissingDataError,
    field_name,
)
from domain.values import AgencyCode, Role, Trace
from domain.visibility import unit_sees
from domain.working_time import WorkingCalendar

WORKING_DAY = timedelta(hours=8)
REFUSE_DAYS = 2
SUPPLEMENT_DAYS = 5
ANSWER_DAYS = 15
PUBLISH_DAYS = 2


class ComplaintStatus(Enum):
    SUBMITTED = "submitted"
    CLASSIFIED = "classified"
    ASSIGNED = "assigned"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    REFUSED = "refused"
    ANSWERED = "answered"
    PUBLISHED = "published"

    def label(self, language: str = "vi") -> str:
        vi, en = _LABELS[self]
        return en if language.startswith("en") else vi


_LABELS = {
    ComplaintStatus.SUBMITTED: ("Đã gửi", "Submitted"),
    ComplaintStatus.CLASSIFIED: ("Đã phân loại", "Classified"),
    ComplaintStatus.ASSIGNED: ("Đã chuyển xử lý", "Assigned"),
    ComplaintStatus.AWAITING_SUPPLEMENT: ("Chờ bổ sung", "Awaiting supplement"),
    ComplaintStatus.REFUSED: ("Từ chối tiếp nhận", "Refused"),
    ComplaintStatus.ANSWERED: ("Đã trả lời", "Answered"),
    ComplaintStatus.PUBLISHED: ("Đã công khai", "Published"),
}
OPEN = frozenset(
    {
        ComplaintStatus.SUBMITTED,
        ComplaintStatus.CLASSIFIED,
        ComplaintStatus.ASSIGNED,
        ComplaintStatus.AWAITING_SUPPLEMENT,
    }
)


class ComplaintAlreadyRatedError(DomainError):
    code = "COMPLAINT_ALREADY_RATED"
    vi = "Phản ánh, kiến nghị đã được đánh giá"
    en = "The complaint has already been rated"


class Complaint(Aggregate):
    """One PAKN, visible to its author and to officers of its unit's subtree."""

    class Submitted(Aggregate.Created):
        trace: Trace
        author_id: str
        agency_code: str
        subject: str
        content: str
        dossier_code: str | None
        refuse_due: datetime
        supplement_due: datetime
        answer_due: datetime

        def apply(self, aggregate: Complaint) -> None:
            aggregate.author_id = self.author_id
            aggregate.agency_code = self.agency_code
            aggregate.handling_agency = self.agency_code
            aggregate.subject = self.subject
            aggregate.dossier_code = self.dossier_code
            aggregate.submitted_at = self.trace.at
            aggregate.refuse_due = self.refuse_due
            aggregate.supplement_due = self.supplement_due
            aggregate.answer_due = self.answer_due
            aggregate.status = ComplaintStatus.SUBMITTED
            aggregate.category = None
            aggregate.late_steps = 0
            aggregate.publish_due = None
            aggregate.satisfied = None
            aggregate.answered_at = None

    class Classified(Aggregate.Event):
        trace: Trace
        category: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate.category = self.category
            if aggregate.status is ComplaintStatus.SUBMITTED:
                aggregate.status = ComplaintStatus.CLASSIFIED

    class Assigned(Aggregate.Event):
        trace: Trace
        agency_code: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate.handling_agency = self.agency_code
            aggregate.status = ComplaintStatus.ASSIGNED

    class SupplementRequested(Aggregate.Event):
        trace: Trace
        reason: str
        on_time: bool

        def apply(self, aggregate: Complaint) -> None:
            aggregate.status = ComplaintStatus.AWAITING_SUPPLEMENT
            aggregate.late_steps += not self.on_time

    class Supplemented(Aggregate.Event):
        trace: Trace
        content: str

        def apply(self, aggregate: Complaint) -> None:
            aggregate.status = ComplaintStatus.ASSIGNED

    class Refused(Aggregate.Event):
        trace: Trace
        reason: str
        on_time: bool

        def apply(self, aggregate: Complaint) -> None:
            aggregate.status = ComplaintStatus.REFUSED
            aggregate.late_steps += not self.on_time

    class Answered(Aggregate.Event):
        trace: Trace
        answer: str
        on_time: bool
        publish_due: datetime

        def apply(self, aggregate: Complaint) -> None:
            aggregate.status = ComplaintStatus.ANSWERED
            aggregate.late_steps += not self.on_time
            aggregate.publish_due = self.publish_due
            aggregate.answered_at = self.trace.at

    class Published(Aggregate.Event):
        trace: Trace
        on_time: bool

        def apply(self, aggregate: Complaint) -> None:
            aggregate.status = ComplaintStatus.PUBLISHED
            aggregate.late_steps += not self.on_time

    class Rated(Aggregate.Event):
        trace: Trace
        satisfied: bool

        def apply(self, aggregate: Complaint) -> None:
            aggregate.satisfied = self.satisfied

    personal_text_fields: ClassVar[frozenset[str]] = frozenset(
        {"author_id", "subject", "content", "reason", "answer"}
    )
    """The author's id and the free text, which can carry personal data: stored
    sealed under the author's key (application/personal_data.py)."""

    @property
    def data_subject(self) -> str:
        """Whose personal data this complaint holds."""
        return self.author_id

    author_id: str
    agency_code: str
    handling_agency: str
    subject: str
    dossier_code: str | None
    submitted_at: datetime
    refuse_due: datetime
    supplement_due: datetime
    answer_due: datetime
    publish_due: datetime | None
    answered_at: datetime | None
    status: ComplaintStatus
    category: str | None
    late_steps: int
    satisfied: bool | None

    def __init__(self) -> None:
        """State comes from the created event's ``apply``."""

    @classmethod
    def submit(
        cls,
        *,
        trace: Trace,
        calendar: WorkingCalendar,
        agency_code: str,
        subject: str,
        content: str,
        dossier_code: str | None = None,
    ) -> Complaint:
        actor = trace.actor
        if actor.role is not Role.CITIZEN:
            raise ActorNotAllowedError(
                Bilingual("chỉ công dân gửi phản ánh", "only citizens submit")
            )
        code = AgencyCode(agency_code).value
        if not subject.strip() or not content.strip():
            raise MissingDataError(field_name("content"))
        subject = bounds.text(subject, "subject", bounds.NAME_LENGTH, required=True)
        content = bounds.text(
            content, "content", bounds.SUMMARY_LENGTH, required=True, multiline=True
        )
        if dossier_code is not None:
            dossier_code = bounds.text(dossier_code, "dossierCode", bounds.CODE_LENGTH)
        start = trace.at

        def due(days: int) -> datetime:
            return calendar.add_working_time(start, WORKING_DAY * days)

        return cls._create(
            cls.Submitted,
            id=uuid4(),
            trace=trace,
            author_id=actor.id,
            agency_code=code,
            subject=subject,
            content=content,
            dossier_code=dossier_code or None,
            refuse_due=due(REFUSE_DAYS),
            supplement_due=due(SUPPLEMENT_DAYS),
            answer_due=due(ANSWER_DAYS),
        )

    def visible_to_officer(self, agency_code: str | None) -> bool:
        return agency_code is not None and (
            unit_sees(agency_code, self.agency_code)
            or unit_sees(agency_code, self.handling_agency)
        )

    def _officer(self, trace: Trace, action: Bilingual) -> None:
        actor = trace.actor
        if actor.role in (Role.CITIZEN,) or not self.visible_to_officer(
            actor.agency_code
        ):
            raise ActorNotAllowedError(action)

    def _open(self, action: Bilingual) -> None:
        if self.status not in OPEN:
            raise IllegalTransitionError(
                action=action, status=Bilingual(*_LABELS[self.status])
            )

    def classify(self, *, trace: Trace, category: str) -> None:
        action = Bilingual("phân loại phản ánh", "classify a complaint")
        self._officer(trace, action)
        self._open(action)
        category = bounds.text(category, "category", bounds.NAME_LENGTH, required=True)
        self.trigger_event(self.Classified, trace=trace, category=category)

    def assign(self, *, trace: Trace, agency_code: str) -> None:
        action = Bilingual("chuyển phản ánh", "assign a complaint")
        self._officer(trace, action)
        self._open(action)
        code = AgencyCode(agency_code).value
        self.trigger_event(self.Assigned, trace=trace, agency_code=code)

    def request_supplement(self, *, trace: Trace, reason: str) -> None:
        action = Bilingual("yêu cầu bổ sung phản ánh", "ask for a supplement")
        self._officer(trace, action)
        self._open(action)
        if self.status is ComplaintStatus.AWAITING_SUPPLEMENT:
            raise IllegalTransitionError(
                action=action, status=Bilingual(*_LABELS[self.status])
            )
        reason = bounds.text(reason, "reason", bounds.REASON_LENGTH, required=True)
        self.trigger_event(
            self.SupplementRequested,
            trace=trace,
            reason=reason,
            on_time=trace.at <= self.supplement_due,
        )

    def supplement(self, *, trace: Trace, content: str) -> None:
        action = Bilingual("bổ sung phản ánh", "supplement a complaint")
        if trace.actor.role is not Role.CITIZEN or trace.actor.id != self.author_id:
            raise ActorNotAllowedError(action)
        if self.status is not ComplaintStatus.AWAITING_SUPPLEMENT:
            raise IllegalTransitionError(
                action=action, status=Bilingual(*_LABELS[self.status])
            )
        content = bounds.text(
            content, "content", bounds.SUMMARY_LENGTH, required=True, multiline=True
        )
        self.trigger_event(self.Supplemented, trace=trace, content=content)

    def refuse(self, *, trace: Trace, reason: str) -> None:
        action = Bilingual("từ chối phản ánh", "refuse a complaint")
        self._officer(trace, action)
        self._open(action)
        reason = bounds.text(reason, "reason", bounds.REASON_LENGTH, required=True)
        self.trigger_event(
            self.Refused,
            trace=trace,
            reason=reason,
            on_time=trace.at <= self.refuse_due,
        )

    def answer(self, *, trace: Trace, calendar: WorkingCalendar, answer: str) -> None:
        action = Bilingual("trả lời phản ánh", "answer a complaint")
        self._officer(trace, action)
        self._open(action)
        answer = bounds.text(
            answer, "answer", bounds.SUMMARY_LENGTH, required=True, multiline=True
        )
        self.trigger_event(
            self.Answered,
            trace=trace,
            answer=answer,
            on_time=trace.at <= self.answer_due,
            publish_due=calendar.add_working_time(trace.at, WORKING_DAY * PUBLISH_DAYS),
        )

    def publish(self, *, trace: Trace) -> None:
        action = Bilingual("công khai trả lời", "publish the answer")
        self._officer(trace, action)
        if self.status is not ComplaintStatus.ANSWERED or self.publish_due is None:
            raise IllegalTransitionError(
                action=action, status=Bilingual(*_LABELS[self.status])
            )
        self.trigger_event(
            self.Published, trace=trace, on_time=trace.at <= self.publish_due
        )

    def rate(self, *, trace: Trace, satisfied: bool) -> None:
        action = Bilingual("đánh giá phản ánh", "rate a complaint")
        if trace.actor.role is not Role.CITIZEN or trace.actor.id != self.author_id:
            raise ActorNotAllowedError(action)
        if self.status not in (ComplaintStatus.ANSWERED, ComplaintStatus.PUBLISHED):
            raise IllegalTransitionError(
                action=action, status=Bilingual(*_LABELS[self.status])
            )
        if self.satisfied is not None:
            raise ComplaintAlreadyRatedError()
        self.trigger_event(self.Rated, trace=trace, satisfied=satisfied)

    def on_time_at(self, moment: datetime) -> bool:
        return on_time(
            self.status, self.late_steps, self.answer_due, self.publish_due, moment
        )


def on_time(
    status: ComplaintStatus,
    late_steps: int,
    answer_due: datetime,
    publish_due: datetime | None,
    moment: datetime,
) -> bool:
    """5.2 as of ``moment``: every step met its deadline and nothing is overdue."""
    if late_steps:
        return False
    if status in OPEN:
        return moment <= answer_due
    if status is ComplaintStatus.ANSWERED and publish_due is not None:
        return moment <= publish_due
    return True
