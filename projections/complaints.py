"""Complaints (PAKN): the author's own list (R-54) and indicator 5.2/5.3 inputs.

No content is kept here: the author reads the subject and the status, monitors
read counts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import singledispatchmethod
from typing import Any, ClassVar

from domain.complaint import Complaint, ComplaintStatus, on_time
from domain.indicators import ComplaintFacts
from domain.visibility import unit_sees
from projections.base import Projection, key_of, local_time, utc
from projections.indicators import VIETNAM, UnitOf
from projections.ports import ReadStore, Sql


class ComplaintProjection(Projection):
    name = "complaints"
    tables: ClassVar[dict[str, str]] = {
        "row": "complaint_id TEXT PRIMARY KEY, author_id TEXT NOT NULL, "
        "agency_code TEXT NOT NULL, handling_agency TEXT NOT NULL, "
        "dossier_code TEXT, subject TEXT NOT NULL, status TEXT NOT NULL, "
        "submitted_at TEXT NOT NULL, submitted_on TEXT NOT NULL, "
        "answer_due TEXT NOT NULL, publish_due TEXT, late_steps INTEGER NOT NULL, "
        "satisfied INTEGER, updated_at TEXT NOT NULL",
    }
    indexes = (("row", "author_id"), ("row", "submitted_on"))

    def _set(self, event: Any, sql: Sql, **values: object) -> None:
        assignments = ", ".join(f"{k} = ?" for k in values)
        sql.execute(
            f"UPDATE {self.table('row')} SET {assignments}, updated_at = ? "
            "WHERE complaint_id = ?",
            (*values.values(), utc(event.timestamp), key_of(event.originator_id)),
        )

    def _late(
        self, event: Any, sql: Sql, status: ComplaintStatus, **more: object
    ) -> None:
        late = 0 if event.on_time else 1
        found = sql.query(
            f"SELECT late_steps FROM {self.table('row')} WHERE complaint_id = ?",
            (key_of(event.originator_id),),
        )
        steps = int(found[0][0]) + late if found else late
        self._set(event, sql, status=status.value, late_steps=steps, **more)

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not concern complaints."""

    @apply.register
    def submitted(self, event: Complaint.Submitted, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.table('row')} VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, NULL, ?) "
            "ON CONFLICT (complaint_id) DO NOTHING",
            (
                key_of(event.originator_id),
                event.author_id,
                event.agency_code,
                event.agency_code,
                event.dossier_code,
                event.subject,
                ComplaintStatus.SUBMITTED.value,
                utc(event.trace.at),
                event.trace.at.astimezone(VIETNAM).date().isoformat(),
                utc(event.answer_due),
                utc(event.timestamp),
            ),
        )

    @apply.register
    def classified(self, event: Complaint.Classified, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.table('row')} SET status = ?, updated_at = ? "
            "WHERE complaint_id = ? AND status = ?",
            (
                ComplaintStatus.CLASSIFIED.value,
                utc(event.timestamp),
                key_of(event.originator_id),
                ComplaintStatus.SUBMITTED.value,
            ),
        )

    @apply.register
    def assigned(self, event: Complaint.Assigned, sql: Sql) -> None:
        self._set(
            event,
            sql,
            handling_agency=event.agency_code,
            status=ComplaintStatus.ASSIGNED.value,
        )

    @apply.register
    def supplement_requested(
        self, event: Complaint.SupplementRequested, sql: Sql
    ) -> None:
        self._late(event, sql, ComplaintStatus.AWAITING_SUPPLEMENT)

    @apply.register
    def supplemented(self, event: Complaint.Supplemented, sql: Sql) -> None:
        self._set(event, sql, status=ComplaintStatus.ASSIGNED.value)

    @apply.register
    def refused(self, event: Complaint.Refused, sql: Sql) -> None:
        self._late(event, sql, ComplaintStatus.REFUSED)

    @apply.register
    def answered(self, event: Complaint.Answered, sql: Sql) -> None:
        self._late(
            event, sql, ComplaintStatus.ANSWERED, publish_due=utc(event.publish_due)
        )

    @apply.register
    def published(self, event: Complaint.Published, sql: Sql) -> None:
        self._late(event, sql, ComplaintStatus.PUBLISHED)

    @apply.register
    def rated(self, event: Complaint.Rated, sql: Sql) -> None:
        self._set(event, sql, satisfied=1 if event.satisfied else 0)


@dataclass(frozen=True)
class ComplaintItem:
    complaint_id: str
    agency_code: str
    subject: str
    status: ComplaintStatus
    submitted_at: datetime
    answer_due: datetime
    dossier_code: str | None
    satisfied: bool | None


class ComplaintView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = ComplaintProjection().table("row")

    def of_author(self, author_id: str, limit: int = 100) -> list[ComplaintItem]:
        rows = self.store.query(
            f"SELECT complaint_id, agency_code, subject, status, submitted_at, "
            f"answer_due, dossier_code, satisfied FROM {self.table} "
            "WHERE author_id = ? ORDER BY submitted_at DESC, complaint_id LIMIT ?",
            (author_id, limit),
        )
        return [
            ComplaintItem(
                str(r[0]),
                str(r[1]),
                str(r[2]),
                ComplaintStatus(r[3]),
                local_time(r[4]),
                local_time(r[5]),
                r[6],
                None if r[7] is None else bool(r[7]),
            )
            for r in rows
        ]

    def facts(
        self,
        agency_code: str,
        first_day: date,
        last_day: date,
        end: datetime,
        unit_of: UnitOf | None = None,
    ) -> tuple[list[ComplaintFacts], frozenset[str]]:
        """5.2/5.3 inputs of complaints submitted in the period to the subtree, and
        the dossier codes complained about (5.4); ``unit_of`` as for the
        indicator buckets (complaints have no procedure)."""
        rows = self.store.query(
            f"SELECT handling_agency, agency_code, status, answer_due, publish_due, "
            f"late_steps, satisfied, dossier_code FROM {self.table} "
            "WHERE submitted_on >= ? AND submitted_on <= ?",
            (first_day.isoformat(), last_day.isoformat()),
        )
        found: list[ComplaintFacts] = []
        dossiers: set[str] = set()
        for (
            handling,
            agency,
            status,
            answer_due,
            publish_due,
            late,
            satisfied,
            code,
        ) in rows:
            if unit_of is not None:
                handling = unit_of(str(handling), "") if handling else handling
                agency = unit_of(str(agency), "") if agency else agency
            if not (unit_sees(agency_code, handling) or unit_sees(agency_code, agency)):
                continue
            timely = on_time(
                ComplaintStatus(status),
                int(late),
                local_time(answer_due),
                local_time(publish_due) if publish_due else None,
                end,
            )
            dissatisfied = satisfied is not None and not int(satisfied)
            found.append(ComplaintFacts(handling, timely, dissatisfied))
            if code:
                dossiers.add(str(code))
        return found, frozenset(dossiers)
