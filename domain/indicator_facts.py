"""What the QĐ 766 indicators need to know of one dossier, folded from its events.

``evolve_facts(facts, event)`` is pure; the indicator read model stores its
result per dossier and a brute-force test folds the raw log with it. The
national (DVCQG) clock stops only for supplements, so supplement waiting
time is kept apart from the local clock's pauses (which include payment).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

import orjson

from domain.cross_province import (
    OpenedFromProvince,
    ResultReturnedByProvince,
    StatusReportedByProvince,
)
from domain.dossier_events import (
    ComponentDigitized,
    ComponentReused,
    ComponentSigned,
    DossierEvent,
    FinancialObligationPaid,
    FinancialObligationRequested,
    Lodged,
    Rated,
    Reappointed,
    Received,
    ReceivedAtDesk,
    Refused,
    Resolved,
    Returned,
    Stopped,
    SupplementReceived,
    SupplementRequested,
    Withdrawn,
)
from domain.dossier_status import DossierStatus
from domain.dossier_values import PaymentChannel, ReuseSource

END_RESOLVED = "resolved"
END_RETURNED = "returned"
END_STOPPED = "stopped"
END_WITHDRAWN = "withdrawn"
END_REFUSED = "refused"


@dataclass(frozen=True)
class DossierFacts:
    """No applicant data: monitors see aggregates and dossier codes only."""

    dossier_id: str
    competent_agency: str
    procedure_code: str
    procedure_name: str
    channel: str
    submitted_at: datetime
    code: str | None = None
    receiving_agency: str | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None
    """The appointment given at reception (DVCQG's NgayHenTra)."""
    local_dues: tuple[tuple[datetime, datetime | None], ...] = ()
    """(from when, due time) of the local clock, moved by every pause and a
    re-appointment: read as of a period's end."""
    reappointed: bool = False
    supplements: tuple[tuple[datetime, datetime | None], ...] = ()
    """(requested, answered) per supplement request: judged as of any period end."""
    end_at: datetime | None = None
    """DVCQG's end time: Đã xử lý xong preferred over Đã trả kết quả."""
    end_kind: str | None = None
    local_timeliness: str | None = None
    electronic_result: bool = False
    fees_due: bool = False
    paid_channel: str | None = None
    satisfaction: str | None = None
    digitized_components: int = 0
    reused_components: int = 0
    national_warehouse: bool = False
    signed_components: int = 0
    synced_at: datetime | None = None
    """When DVCQG first accepted the dossier's record (1.4, as of a period end)."""

    @property
    def accepted(self) -> bool:
        return self.received_at is not None

    def to_json(self) -> str:
        # Every field is flat (text, numbers, datetimes, tuples of them):
        # ``asdict`` would deep-copy each value for nothing, once per dossier
        # per projector batch.
        values = {name: getattr(self, name) for name in _FIELD_NAMES}
        return orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()

    @classmethod
    def from_json(cls, text: str) -> DossierFacts:
        raw: dict[str, Any] = orjson.loads(text)
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in known:
                continue
            if name in ("supplements", "local_dues"):
                value = tuple(
                    (
                        datetime.fromisoformat(a),
                        datetime.fromisoformat(b) if b else None,
                    )
                    for a, b in value
                )
            elif isinstance(value, str) and "datetime" in str(known[name].type):
                value = datetime.fromisoformat(value)
            values[name] = value
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in fields(DossierFacts))


def portal_accepted(facts: DossierFacts, at: datetime) -> DossierFacts:
    """The national portal holds the dossier from ``at`` (the first acceptance
    counts; a later recording of it changes nothing)."""
    if facts.synced_at is not None and facts.synced_at <= at:
        return facts
    return replace(facts, synced_at=at)


def begin_facts(event: Lodged) -> DossierFacts:
    facts = DossierFacts(
        dossier_id=str(event.originator_id),
        competent_agency=event.procedure.competent_agency,
        procedure_code=event.procedure.code,
        procedure_name=event.procedure.name,
        channel=event.channel.value,
        submitted_at=event.trace.at,
    )
    if isinstance(event, ReceivedAtDesk):
        return _received(facts, event)
    return facts


def _received(facts: DossierFacts, event: ReceivedAtDesk | Received) -> DossierFacts:
    return replace(
        facts,
        code=event.code,
        receiving_agency=event.receiving_agency,
        received_at=event.trace.at,
        due_at=event.due_at,
        local_dues=((event.trace.at, event.due_at),),
    )


def _ended(facts: DossierFacts, kind: str, at: datetime) -> DossierFacts:
    if facts.end_kind == END_RESOLVED:
        return facts  # status 9 is preferred over a later 10
    return replace(facts, end_kind=kind, end_at=at)


class NotCountedHere(TypeError):
    """A child of another province's dossier (R-17): the source dossier is the
    one counted, in its own province, once; the child has no facts here."""


def evolve_facts(facts: DossierFacts | None, event: DossierEvent) -> DossierFacts:
    """The facts after ``event``; ``None`` before the lodging."""
    if facts is None:
        if isinstance(event, OpenedFromProvince):
            raise NotCountedHere(str(event.originator_id))
        if not isinstance(event, Lodged):
            raise TypeError(f"a dossier begins with its lodging, not {type(event)}")
        return begin_facts(event)
    at = event.trace.at
    if isinstance(event, Received):
        return _received(facts, event)
    if isinstance(event, SupplementRequested):
        return replace(facts, supplements=(*facts.supplements, (at, None)))
    if isinstance(event, SupplementReceived):
        done = facts.supplements
        if done and done[-1][1] is None:
            done = (*done[:-1], (done[-1][0], at))
        return replace(
            facts, supplements=done, local_dues=_due(facts, at, event.due_at)
        )
    if isinstance(event, FinancialObligationRequested):
        return replace(facts, fees_due=any(fee.amount > 0 for fee in event.fees))
    if isinstance(event, FinancialObligationPaid):
        return replace(
            facts,
            paid_channel=event.channel.value,
            local_dues=_due(facts, at, event.due_at),
        )
    if isinstance(event, Reappointed):
        return replace(
            facts, reappointed=True, local_dues=_due(facts, at, event.due_at)
        )
    if isinstance(event, Resolved):
        return replace(
            facts,
            end_kind=END_RESOLVED,
            end_at=at,
            local_timeliness=event.timeliness.value,
            electronic_result=bool(event.results),
        )
    if isinstance(event, ResultReturnedByProvince):
        # The other province resolved it: this dossier's end, counted here.
        return replace(
            facts,
            end_kind=END_RESOLVED,
            end_at=at,
            local_timeliness=event.timeliness.value,
            electronic_result=bool(event.results),
        )
    if isinstance(event, StatusReportedByProvince):
        ended = _REPORTED_ENDS.get(event.status)
        return facts if ended is None else _ended(facts, ended, at)
    if isinstance(event, Returned):
        return _ended(facts, END_RETURNED, at)
    if isinstance(event, Stopped):
        return _ended(facts, END_STOPPED, at)
    if isinstance(event, Withdrawn):
        return _ended(facts, END_WITHDRAWN, at)
    if isinstance(event, Refused):
        return _ended(facts, END_REFUSED, at)
    if isinstance(event, Rated):
        return replace(facts, satisfaction=event.satisfaction.value)
    if isinstance(event, ComponentDigitized):
        return replace(facts, digitized_components=facts.digitized_components + 1)
    if isinstance(event, ComponentReused):
        return replace(
            facts,
            reused_components=facts.reused_components + 1,
            national_warehouse=facts.national_warehouse
            or event.source is ReuseSource.NATIONAL_WAREHOUSE,
        )
    if isinstance(event, ComponentSigned):
        return replace(facts, signed_components=facts.signed_components + 1)
    return facts


_REPORTED_ENDS = {
    DossierStatus.STOPPED: END_STOPPED,
    DossierStatus.WITHDRAWN: END_WITHDRAWN,
}


def _due(
    facts: DossierFacts, at: datetime, due: datetime | None
) -> tuple[tuple[datetime, datetime | None], ...]:
    return (*facts.local_dues, (at, due))


def local_due(facts: DossierFacts, as_of: datetime) -> datetime | None:
    """The local clock's due time as it stood at ``as_of``."""
    found = None
    for since, due in facts.local_dues:
        if since <= as_of:
            found = due
    return found


def fold_facts(events: Any) -> DossierFacts | None:
    facts: DossierFacts | None = None
    for event in events:
        facts = evolve_facts(facts, event)
    return facts


def supplement_time(facts: DossierFacts, until: datetime) -> timedelta:
    """Supplement waiting time up to ``until`` (an open request counts to it)."""
    waited = timedelta()
    for requested, answered in facts.supplements:
        stop = until if answered is None else min(answered, until)
        waited += max(timedelta(), stop - requested)
    return waited


def supplement_requests(facts: DossierFacts, until: datetime) -> int:
    """Supplement requests made by ``until``."""
    return sum(requested <= until for requested, _ in facts.supplements)


ONLINE_PAYMENT = frozenset(
    {PaymentChannel.ONLINE_NATIONAL.value, PaymentChannel.ONLINE_LOCAL.value}
)
