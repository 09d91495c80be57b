"""Anonymous lookup: a dossier code and its completion level — nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import singledispatchmethod
from typing import ClassVar

from eventsourcing.utils import get_topic

from domain.dossier_events import (
    DossierEvent,
    FinancialObligationPaid,
    FinancialObligationRequested,
    Forwarded,
    Received,
    ReceivedAtDesk,
    Resolved,
    Returned,
    Stopped,
    SupplementReceived,
    SupplementRequested,
    Withdrawn,
)
from projections.base import Projection, utc
from projections.ports import ReadStore, Sql
from projections.rows import RowFold


class Completion(Enum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_APPLICANT = "waiting_for_applicant"
    RESULT_READY = "result_ready"
    RETURNED = "returned"
    CLOSED = "closed"

    def label(self, language: str = "vi") -> str:
        vi, en = _LABELS[self]
        return en if language.startswith("en") else vi


_LABELS = {
    Completion.RECEIVED: ("Đã tiếp nhận", "Received"),
    Completion.IN_PROGRESS: ("Đang giải quyết", "Being processed"),
    Completion.WAITING_FOR_APPLICANT: (
        "Chờ người nộp bổ sung hoặc thực hiện nghĩa vụ tài chính",
        "Waiting for the applicant",
    ),
    Completion.RESULT_READY: ("Đã có kết quả", "Result ready"),
    Completion.RETURNED: ("Đã trả kết quả", "Result returned"),
    Completion.CLOSED: ("Đã kết thúc xử lý", "Closed"),
}


@dataclass(frozen=True)
class PublicStatus:
    code: str
    completion: Completion


_COLUMNS = ("code", "dossier_id", "completion", "paused_from", "updated_at")


class PublicStatusProjection(Projection):
    name = "public_status"
    topics = frozenset(
        get_topic(e)
        for e in (
            ReceivedAtDesk,
            Received,
            Forwarded,
            SupplementRequested,
            SupplementReceived,
            FinancialObligationRequested,
            FinancialObligationPaid,
            Stopped,
            Withdrawn,
            Resolved,
            Returned,
        )
    )
    tables: ClassVar[dict[str, str]] = {
        "lookup": "code TEXT PRIMARY KEY, dossier_id TEXT NOT NULL, "
        "completion TEXT NOT NULL, paused_from TEXT, updated_at TEXT NOT NULL",
    }
    indexes = (("lookup", "dossier_id"),)

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.folded = RowFold(
            self.table("lookup"), "dossier_id", _COLUMNS, conflict="code"
        )

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        self.folded.begin(sql, originators)

    def end_batch(self, sql: Sql) -> None:
        self.folded.flush(sql)

    def _insert(self, event: ReceivedAtDesk | Received, sql: Sql) -> None:
        key = str(event.originator_id)
        self.folded.put(
            {
                "code": event.code,
                "dossier_id": key,
                "completion": Completion.RECEIVED.value,
                "paused_from": None,
                "updated_at": utc(event.timestamp),
            }
        )
        self.changed.add(event.code)

    def _set(self, event: DossierEvent, completion: Completion, sql: Sql) -> None:
        key = str(event.originator_id)
        row = self.folded.get(key)
        if row is None:
            return
        row["completion"] = completion.value
        row["updated_at"] = utc(event.timestamp)
        self.folded.changed(key)
        self.changed.add(row["code"])

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not change what the public sees."""

    @apply.register
    def received_at_desk(self, event: ReceivedAtDesk, sql: Sql) -> None:
        self._insert(event, sql)

    @apply.register
    def received(self, event: Received, sql: Sql) -> None:
        self._insert(event, sql)

    @apply.register
    def forwarded(self, event: Forwarded, sql: Sql) -> None:
        self._set(event, Completion.IN_PROGRESS, sql)

    @apply.register
    def supplement_requested(self, event: SupplementRequested, sql: Sql) -> None:
        self._pause(event, sql)

    @apply.register
    def financial_obligation_requested(
        self, event: FinancialObligationRequested, sql: Sql
    ) -> None:
        self._pause(event, sql)

    @apply.register
    def supplement_received(self, event: SupplementReceived, sql: Sql) -> None:
        self._resume(event, sql)

    @apply.register
    def financial_obligation_paid(
        self, event: FinancialObligationPaid, sql: Sql
    ) -> None:
        self._resume(event, sql)

    @apply.register
    def stopped(self, event: Stopped, sql: Sql) -> None:
        self._set(event, Completion.CLOSED, sql)

    @apply.register
    def withdrawn(self, event: Withdrawn, sql: Sql) -> None:
        self._set(event, Completion.CLOSED, sql)

    @apply.register
    def resolved(self, event: Resolved, sql: Sql) -> None:
        self._set(event, Completion.RESULT_READY, sql)

    @apply.register
    def returned(self, event: Returned, sql: Sql) -> None:
        self._set(event, Completion.RETURNED, sql)

    def _pause(self, event: DossierEvent, sql: Sql) -> None:
        row = self.folded.get(str(event.originator_id))
        if row is not None:
            row["paused_from"] = row["completion"]
            self._set(event, Completion.WAITING_FOR_APPLICANT, sql)

    def _resume(self, event: DossierEvent, sql: Sql) -> None:
        row = self.folded.get(str(event.originator_id))
        if row is not None:
            resumed = Completion(row["paused_from"] or Completion.IN_PROGRESS.value)
            row["paused_from"] = None
            self._set(event, resumed, sql)


class PublicStatusView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = PublicStatusProjection().table("lookup")

    def lookup(self, code: str) -> PublicStatus | None:
        rows = self.store.query(
            f"SELECT code, completion FROM {self.table} WHERE code = ?", (code,)
        )
        if not rows:
            return None
        return PublicStatus(code=rows[0][0], completion=Completion(rows[0][1]))
