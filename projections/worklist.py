"""Officer worklist: every dossier of an agency subtree, with what is due when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, ClassVar

from domain.dossier_events import (
    DossierEvent,
    FinancialObligationPaid,
    FinancialObligationRequested,
    Forwarded,
    Lodged,
    Reappointed,
    Received,
    ReceivedAtDesk,
    Refused,
    Resolved,
    Returned,
    Stopped,
    SubmittedOnline,
    SupplementReceived,
    SupplementRequested,
    Withdrawn,
)
from domain.dossier_status import OPEN, DossierStatus
from domain.values import AgencyCode
from projections.base import Projection, event_topics, local_iso, utc
from projections.ports import ReadStore, Sql
from projections.rows import RowFold

_COLUMNS = (
    "dossier_id",
    "code",
    "applicant_id",
    "applicant_name",
    "procedure_code",
    "procedure_name",
    "competent_agency",
    "receiving_agency",
    "holder_agency",
    "holder_department",
    "status",
    "national_code",
    "channel",
    "submitted_at",
    "received_at",
    "due_at",
    "finished_at",
    "supplement_requests",
    "timeliness",
    "version",
    "updated_at",
    "reappointed",
    "late_without_apology",
)
APOLOGY_STATUSES = (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS)
"""Where the clock runs and an apology with re-appointment may be made (R-12)."""


@dataclass(frozen=True)
class WorkItem:
    dossier_id: str
    code: str | None
    applicant_id: str
    applicant_name: str
    procedure_code: str
    procedure_name: str
    competent_agency: str
    receiving_agency: str | None
    holder_agency: str
    holder_department: str | None
    status: DossierStatus
    national_code: int
    channel: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    supplement_requests: int
    timeliness: str | None
    version: int
    reappointed: bool = False
    late_without_apology: bool = False

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> WorkItem:
        values = dict(zip(_COLUMNS, row, strict=False))
        values.pop("updated_at")
        values["status"] = DossierStatus(values["status"])
        values["reappointed"] = bool(values["reappointed"])
        values["late_without_apology"] = bool(values["late_without_apology"])
        for key in ("submitted_at", "received_at", "due_at", "finished_at"):
            values[key] = local_iso(values[key])
        return cls(**values)


def subtree_pattern(agency: str) -> str:
    """SQL LIKE pattern matching ``agency`` and every unit below it (QCVN 102)."""
    code = AgencyCode(agency)
    v, z, y, m = code.value.split(".")
    if y == "00":
        return f"___.__.__.{m}"
    if z == "00":
        return f"___.__.{y}.{m}"
    if v == "000":
        return f"___.{z}.{y}.{m}"
    return code.value


_STORED = (*_COLUMNS, "paused_from")


class WorklistProjection(Projection):
    name = "worklist"
    version = 2
    topics = event_topics(DossierEvent)
    tables: ClassVar[dict[str, str]] = {
        "dossiers": "dossier_id TEXT PRIMARY KEY, code TEXT, applicant_id TEXT NOT NULL, "
        "applicant_name TEXT NOT NULL, procedure_code TEXT NOT NULL, "
        "procedure_name TEXT NOT NULL, competent_agency TEXT NOT NULL, "
        "receiving_agency TEXT, holder_agency TEXT NOT NULL, holder_department TEXT, "
        "status TEXT NOT NULL, national_code INTEGER NOT NULL, channel TEXT NOT NULL, "
        "submitted_at TEXT, received_at TEXT, due_at TEXT, finished_at TEXT, "
        "supplement_requests INTEGER NOT NULL, timeliness TEXT, version BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL, reappointed INTEGER NOT NULL, "
        "late_without_apology INTEGER NOT NULL, paused_from TEXT",
    }
    indexes = (
        ("dossiers", "code"),
        ("dossiers", "holder_agency, status"),
        ("dossiers", "status, due_at"),
    )

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.folded = RowFold(
            self.table("dossiers"), "dossier_id", _STORED, conflict="dossier_id"
        )

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not change the worklist."""

    @apply.register
    def submitted_online(self, event: SubmittedOnline, sql: Sql) -> None:
        self._insert(
            event,
            sql,
            DossierStatus.SUBMITTED,
            code=None,
            receiving=None,
            received_at=None,
            due_at=None,
        )

    @apply.register
    def received_at_desk(self, event: ReceivedAtDesk, sql: Sql) -> None:
        self._insert(
            event,
            sql,
            DossierStatus.RECEIVED,
            code=event.code,
            receiving=event.receiving_agency,
            received_at=event.trace.at,
            due_at=event.due_at,
        )

    @apply.register
    def received(self, event: Received, sql: Sql) -> None:
        self._update(
            event,
            sql,
            DossierStatus.RECEIVED,
            code=event.code,
            receiving_agency=event.receiving_agency,
            holder_agency=event.receiving_agency,
            holder_department=None,
            received_at=utc(event.trace.at),
            due_at=utc(event.due_at),
        )

    @apply.register
    def refused(self, event: Refused, sql: Sql) -> None:
        self._update(event, sql, DossierStatus.REFUSED, finished_at=utc(event.trace.at))

    @apply.register
    def forwarded(self, event: Forwarded, sql: Sql) -> None:
        self._update(
            event,
            sql,
            DossierStatus.IN_PROGRESS,
            holder_agency=event.to_holder.agency_code,
            holder_department=event.to_holder.department,
        )

    @apply.register
    def supplement_requested(self, event: SupplementRequested, sql: Sql) -> None:
        self._pause(event, sql, DossierStatus.AWAITING_SUPPLEMENT)

    @apply.register
    def payment_requested(self, event: FinancialObligationRequested, sql: Sql) -> None:
        self._pause(event, sql, DossierStatus.AWAITING_PAYMENT)

    @apply.register
    def supplement_received(self, event: SupplementReceived, sql: Sql) -> None:
        self._resume(event, sql, event.due_at)

    @apply.register
    def payment_made(self, event: FinancialObligationPaid, sql: Sql) -> None:
        self._resume(event, sql, event.due_at)

    @apply.register
    def reappointed(self, event: Reappointed, sql: Sql) -> None:
        self._update(event, sql, None, due_at=utc(event.due_at), reappointed=1)

    @apply.register
    def stopped(self, event: Stopped, sql: Sql) -> None:
        self._update(event, sql, DossierStatus.STOPPED, finished_at=utc(event.trace.at))

    @apply.register
    def withdrawn(self, event: Withdrawn, sql: Sql) -> None:
        self._update(
            event, sql, DossierStatus.WITHDRAWN, finished_at=utc(event.trace.at)
        )

    @apply.register
    def resolved(self, event: Resolved, sql: Sql) -> None:
        self._update(
            event,
            sql,
            DossierStatus.RESOLVED,
            finished_at=utc(event.trace.at),
            timeliness=event.timeliness.value,
            late_without_apology=int(event.late_without_apology),
        )

    @apply.register
    def returned(self, event: Returned, sql: Sql) -> None:
        self._update(event, sql, DossierStatus.RETURNED)

    @apply.register
    def other(self, event: DossierEvent, sql: Sql) -> None:
        self._update(event, sql, None)

    # -- writes (folded per batch, see RowFold) -----------------------------

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        self.folded.begin(sql, originators)

    def end_batch(self, sql: Sql) -> None:
        self.folded.flush(sql)

    def _insert(
        self,
        event: Lodged,
        sql: Sql,
        status: DossierStatus,
        *,
        code: str | None,
        receiving: str | None,
        received_at: datetime | None,
        due_at: datetime | None,
    ) -> None:
        competent = event.procedure.competent_agency
        values = (
            str(event.originator_id),
            code,
            event.applicant.id,
            event.applicant.name,
            event.procedure.code,
            event.procedure.name,
            competent,
            receiving,
            receiving or competent,
            None,
            status.value,
            status.national_code,
            event.channel.value,
            utc(event.trace.at),
            utc(received_at),
            utc(due_at),
            None,
            0,
            None,
            event.originator_version,
            utc(event.timestamp),
            0,
            0,
            None,
        )
        self.folded.put(dict(zip(_STORED, values, strict=True)))

    def _update(
        self,
        event: DossierEvent,
        sql: Sql,
        status: DossierStatus | None,
        **values: Any,
    ) -> None:
        key = str(event.originator_id)
        row = self.folded.get(key)
        if row is None:
            return
        row["version"] = event.originator_version
        row["updated_at"] = utc(event.timestamp)
        if status is not None:
            row["status"] = status.value
            row["national_code"] = status.national_code
        row.update(values)
        self.folded.changed(key)

    def _pause(self, event: DossierEvent, sql: Sql, status: DossierStatus) -> None:
        row = self.folded.get(str(event.originator_id))
        if row is not None:
            row["paused_from"] = row["status"]
            if status is DossierStatus.AWAITING_SUPPLEMENT:
                row["supplement_requests"] += 1
        self._update(event, sql, status)

    def _resume(self, event: DossierEvent, sql: Sql, due_at: datetime | None) -> None:
        row = self.folded.get(str(event.originator_id))
        if row is None:
            return
        resumed = DossierStatus(row["paused_from"] or DossierStatus.IN_PROGRESS.value)
        row["paused_from"] = None
        self._update(event, sql, resumed, due_at=utc(due_at))


class WorklistView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = WorklistProjection().table("dossiers")

    def _select(
        self, where: str, params: tuple[Any, ...], order: str, limit: int
    ) -> list[WorkItem]:
        rows = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {self.table} WHERE {where} "
            f"ORDER BY {order} LIMIT ?",
            (*params, limit),
        )
        return [WorkItem.from_row(row) for row in rows]

    def recent(
        self, *, status: DossierStatus | None = None, limit: int = 50
    ) -> list[WorkItem]:
        if status is None:
            return self._select(
                "1 = 1", (), "received_at DESC NULLS LAST, dossier_id", limit
            )
        return self._select(
            "status = ?",
            (status.value,),
            "received_at DESC NULLS LAST, dossier_id",
            limit,
        )

    def by_code(self, code: str) -> WorkItem | None:
        items = self._select("code = ?", (code,), "dossier_id", 1)
        return items[0] if items else None

    def open_for(
        self,
        agency: str,
        *,
        due_before: datetime | None = None,
        status: DossierStatus | None = None,
        department: str | None = None,
        apology_due_before: datetime | None = None,
        limit: int = 100,
    ) -> list[WorkItem]:
        """Open dossiers held by, or belonging to, ``agency``'s subtree.

        ``department`` narrows to those held by one department (phòng ban);
        ``apology_due_before`` to those needing an apology: running, never
        re-appointed and due at or before that instant (one working day from
        now, which only the working calendar knows).
        """
        pattern = subtree_pattern(agency)
        statuses = [status.value] if status else [s.value for s in OPEN]
        if apology_due_before is not None:
            allowed = {s.value for s in APOLOGY_STATUSES}
            statuses = [s for s in statuses if s in allowed]
            if not statuses:
                return []
        where = (
            f"status IN ({', '.join('?' for _ in statuses)}) "
            "AND (holder_agency LIKE ? OR competent_agency LIKE ? OR receiving_agency LIKE ?)"
        )
        params: tuple[Any, ...] = (*statuses, pattern, pattern, pattern)
        if due_before is not None:
            where += " AND due_at IS NOT NULL AND due_at < ?"
            params += (utc(due_before),)
        if department is not None:
            where += " AND holder_department = ?"
            params += (department,)
        if apology_due_before is not None:
            where += " AND reappointed = 0 AND due_at IS NOT NULL AND due_at <= ?"
            params += (utc(apology_due_before),)
        return self._select(where, params, "due_at NULLS LAST, dossier_id", limit)
