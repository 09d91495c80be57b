"""Control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ, R-10/R-11): one line
per hand-over, who gave, who received, when, the step's planned and actual end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, ClassVar
from uuid import UUID

from domain.dossier_events import (
    DossierEvent,
    FinancialObligationPaid,
    Forwarded,
    Reappointed,
    Received,
    ReceivedAtDesk,
    Resolved,
    Stopped,
    SupplementReceived,
    TransferredToSuccessor,
    Withdrawn,
)
from domain.dossier_status import DossierStatus
from projections.base import Projection, key_of, local_iso, utc
from projections.ports import ReadStore, Sql
from projections.rows import GroupFold

_COLUMNS = (
    "dossier_id",
    "step",
    "from_agency",
    "from_department",
    "from_officer",
    "to_agency",
    "to_department",
    "to_officer",
    "handed_over_at",
    "planned_due_at",
    "completed_at",
    "status_code",
)

_STORED = (*_COLUMNS, "planned_follows_due", "dossier_due_at")


@dataclass(frozen=True)
class ControlStep:
    """One hand-over; ``from_agency`` is None for the applicant's hand-over."""

    dossier_id: str
    step: int
    from_agency: str | None
    from_department: str | None
    from_officer: str | None
    to_agency: str
    to_department: str | None
    to_officer: str | None
    handed_over_at: datetime
    planned_due_at: datetime | None
    completed_at: datetime | None
    status_code: int

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ControlStep:
        values = dict(zip(_COLUMNS, row, strict=True))
        for key in ("handed_over_at", "planned_due_at", "completed_at"):
            values[key] = local_iso(values[key])
        return cls(**values)


class ControlSheetProjection(Projection):
    name = "control_sheet"
    tables: ClassVar[dict[str, str]] = {
        "steps": "dossier_id TEXT NOT NULL, step INTEGER NOT NULL, from_agency TEXT, "
        "from_department TEXT, from_officer TEXT, to_agency TEXT NOT NULL, "
        "to_department TEXT, to_officer TEXT, handed_over_at TEXT NOT NULL, "
        "planned_due_at TEXT, completed_at TEXT, status_code INTEGER NOT NULL, "
        "planned_follows_due INTEGER NOT NULL, dossier_due_at TEXT, "
        "PRIMARY KEY (dossier_id, step)",
    }

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.steps = GroupFold(
            self.table("steps"), "dossier_id", ("dossier_id", "step"), _STORED
        )

    # A batch folds each dossier's steps in memory (the next hand-over reads
    # and closes the open one) and writes each changed step once at its end.

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        self.steps.begin(sql, originators)

    def load_batch(self, sql: Sql, originators: set[str]) -> Callable[[], None]:
        return self.steps.load(sql, originators)

    def end_batch(self, sql: Sql) -> None:
        self.steps.flush(sql)

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Events that hand nothing over leave the sheet unchanged."""

    @apply.register
    def received_at_desk(self, event: ReceivedAtDesk, sql: Sql) -> None:
        self._reception(event, event.receiving_agency, event.due_at)

    @apply.register
    def received(self, event: Received, sql: Sql) -> None:
        self._reception(event, event.receiving_agency, event.due_at)

    @apply.register
    def forwarded(self, event: Forwarded, sql: Sql) -> None:
        key = key_of(event.originator_id)
        rows = self.steps.rows(key)
        last = max((r["step"] for r in rows), default=0)
        due = max(
            (r["dossier_due_at"] for r in rows if r["dossier_due_at"] is not None),
            default=None,
        )
        planned = utc(event.planned_due_at)
        self._close(key, event.trace.at, None)
        self._insert(
            key,
            last + 1,
            (event.from_holder.agency_code, event.from_holder.department),
            event.trace.actor.id,
            (event.to_holder.agency_code, event.to_holder.department),
            None,
            event.trace.at,
            planned,
            DossierStatus.IN_PROGRESS.national_code,
            follows_due=planned is not None and planned == due,
            due=due,
        )

    @apply.register
    def transferred(self, event: TransferredToSuccessor, sql: Sql) -> None:
        """A reorganisation hands the open step over to the successor unit,
        with the same plan for it (the clock is the dossier's own)."""
        key = key_of(event.originator_id)
        rows = self.steps.rows(key)
        open_rows = [r for r in rows if r["completed_at"] is None]
        if not open_rows:
            return  # resolved and waiting to be returned: nothing to hand over
        current = open_rows[-1]
        self._close(key, event.trace.at, None)
        self._insert(
            key,
            max(r["step"] for r in rows) + 1,
            (event.from_holder.agency_code, event.from_holder.department),
            event.trace.actor.id,
            (event.to_holder.agency_code, event.to_holder.department),
            None,
            event.trace.at,
            current["planned_due_at"],
            current["status_code"],
            follows_due=current["planned_follows_due"] == 1,
            due=current["dossier_due_at"],
        )

    @apply.register
    def supplement_received(self, event: SupplementReceived, sql: Sql) -> None:
        self._due_moved(key_of(event.originator_id), event.due_at)

    @apply.register
    def payment_made(self, event: FinancialObligationPaid, sql: Sql) -> None:
        self._due_moved(key_of(event.originator_id), event.due_at)

    @apply.register
    def reappointed(self, event: Reappointed, sql: Sql) -> None:
        self._due_moved(key_of(event.originator_id), event.due_at)

    @apply.register
    def resolved(self, event: Resolved, sql: Sql) -> None:
        self._close(key_of(event.originator_id), event.trace.at, DossierStatus.RESOLVED)

    @apply.register
    def stopped(self, event: Stopped, sql: Sql) -> None:
        self._close(key_of(event.originator_id), event.trace.at, DossierStatus.STOPPED)

    @apply.register
    def withdrawn(self, event: Withdrawn, sql: Sql) -> None:
        key = key_of(event.originator_id)
        self._close(key, event.trace.at, DossierStatus.WITHDRAWN)

    def _reception(
        self, event: DossierEvent, receiving_agency: str, due_at: datetime | None
    ) -> None:
        actor = event.trace.actor
        due = utc(due_at)
        self._insert(
            key_of(event.originator_id),
            1,
            (None, None),
            None,
            (receiving_agency, actor.department),
            actor.id,
            event.trace.at,
            due,
            DossierStatus.RECEIVED.national_code,
            follows_due=due is not None,
            due=due,
        )

    def _insert(
        self,
        key: str,
        step: int,
        giver: tuple[str | None, str | None],
        giver_officer: str | None,
        taker: tuple[str, str | None],
        taker_officer: str | None,
        at: datetime,
        planned: str | None,
        status_code: int,
        *,
        follows_due: bool,
        due: str | None,
    ) -> None:
        values = (
            key,
            step,
            *giver,
            giver_officer,
            *taker,
            taker_officer,
            utc(at),
            planned,
            None,
            status_code,
            int(follows_due),
            due,
        )
        self.steps.put(dict(zip(_STORED, values, strict=True)))

    def _close(self, key: str, at: datetime, outcome: DossierStatus | None) -> None:
        """The open step ends; a final outcome also gives it the final status."""
        for row in self.steps.rows(key):
            if row["completed_at"] is None:
                row["completed_at"] = utc(at)
                if outcome is not None:
                    row["status_code"] = outcome.national_code
                self.steps.changed(row)

    def _due_moved(self, key: str, due_at: datetime | None) -> None:
        """A pause or an apology moved the due time: steps planned on it follow."""
        due = utc(due_at)
        for row in self.steps.rows(key):
            if row["completed_at"] is None and row["planned_follows_due"] == 1:
                row["planned_due_at"] = due
            row["dossier_due_at"] = due
            self.steps.changed(row)


class ControlSheetView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = ControlSheetProjection().table("steps")

    def steps(self, dossier_id: UUID | str) -> list[ControlStep]:
        rows = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {self.table} "
            "WHERE dossier_id = ? ORDER BY step",
            (str(dossier_id),),
        )
        return [ControlStep.from_row(row) for row in rows]
