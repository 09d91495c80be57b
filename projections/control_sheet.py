"""Control sheet (Phiếu kiểm soát quá trình giải quyết hồ sơ, R-10/R-11): one line
per hand-over, who gave, who received, when, the step's planned and actual end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, ClassVar
from uuid import UUID

from domain.dossier import Dossier
from domain.dossier_status import DossierStatus
from projections.base import Projection, event_topics, local_iso, utc
from projections.ports import ReadStore, Sql

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
    topics = event_topics(Dossier.Event)
    tables: ClassVar[dict[str, str]] = {
        "steps": "dossier_id TEXT NOT NULL, step INTEGER NOT NULL, from_agency TEXT, "
        "from_department TEXT, from_officer TEXT, to_agency TEXT NOT NULL, "
        "to_department TEXT, to_officer TEXT, handed_over_at TEXT NOT NULL, "
        "planned_due_at TEXT, completed_at TEXT, status_code INTEGER NOT NULL, "
        "planned_follows_due INTEGER NOT NULL, dossier_due_at TEXT, "
        "PRIMARY KEY (dossier_id, step)",
    }

    # Steps are written with execute(), not append(): the next hand-over of the
    # same batch reads and closes them.

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Events that hand nothing over leave the sheet unchanged."""

    @apply.register
    def received_at_desk(self, event: Dossier.ReceivedAtDesk, sql: Sql) -> None:
        self._reception(event, event.receiving_agency, event.due_at, sql)

    @apply.register
    def received(self, event: Dossier.Received, sql: Sql) -> None:
        self._reception(event, event.receiving_agency, event.due_at, sql)

    @apply.register
    def forwarded(self, event: Dossier.Forwarded, sql: Sql) -> None:
        key = str(event.originator_id)
        rows = sql.query(
            f"SELECT MAX(step), MAX(dossier_due_at) FROM {self.table('steps')} "
            "WHERE dossier_id = ?",
            (key,),
        )
        last, due = rows[0] if rows else (None, None)
        planned = utc(event.planned_due_at)
        self._close(key, event.trace.at, None, sql)
        self._insert(
            sql,
            key,
            (last or 0) + 1,
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
    def supplement_received(self, event: Dossier.SupplementReceived, sql: Sql) -> None:
        self._due_moved(str(event.originator_id), event.due_at, sql)

    @apply.register
    def payment_made(self, event: Dossier.FinancialObligationPaid, sql: Sql) -> None:
        self._due_moved(str(event.originator_id), event.due_at, sql)

    @apply.register
    def reappointed(self, event: Dossier.Reappointed, sql: Sql) -> None:
        self._due_moved(str(event.originator_id), event.due_at, sql)

    @apply.register
    def resolved(self, event: Dossier.Resolved, sql: Sql) -> None:
        self._close(
            str(event.originator_id), event.trace.at, DossierStatus.RESOLVED, sql
        )

    @apply.register
    def stopped(self, event: Dossier.Stopped, sql: Sql) -> None:
        self._close(
            str(event.originator_id), event.trace.at, DossierStatus.STOPPED, sql
        )

    @apply.register
    def withdrawn(self, event: Dossier.Withdrawn, sql: Sql) -> None:
        key = str(event.originator_id)
        self._close(key, event.trace.at, DossierStatus.WITHDRAWN, sql)

    def _reception(
        self,
        event: Dossier.Event,
        receiving_agency: str,
        due_at: datetime | None,
        sql: Sql,
    ) -> None:
        actor = event.trace.actor
        due = utc(due_at)
        self._insert(
            sql,
            str(event.originator_id),
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
        sql: Sql,
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
        sql.execute(
            f"INSERT INTO {self.table('steps')} VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
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
            ),
        )

    def _close(
        self, key: str, at: datetime, outcome: DossierStatus | None, sql: Sql
    ) -> None:
        """The open step ends; a final outcome also gives it the final status."""
        table = self.table("steps")
        if outcome is None:
            sql.execute(
                f"UPDATE {table} SET completed_at = ? "
                "WHERE dossier_id = ? AND completed_at IS NULL",
                (utc(at), key),
            )
            return
        sql.execute(
            f"UPDATE {table} SET completed_at = ?, status_code = ? "
            "WHERE dossier_id = ? AND completed_at IS NULL",
            (utc(at), outcome.national_code, key),
        )

    def _due_moved(self, key: str, due_at: datetime | None, sql: Sql) -> None:
        """A pause or an apology moved the due time: steps planned on it follow."""
        table, due = self.table("steps"), utc(due_at)
        sql.execute(
            f"UPDATE {table} SET planned_due_at = ? WHERE dossier_id = ? "
            "AND completed_at IS NULL AND planned_follows_due = 1",
            (due, key),
        )
        sql.execute(
            f"UPDATE {table} SET dossier_due_at = ? WHERE dossier_id = ?", (due, key)
        )


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
