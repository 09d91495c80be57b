"""Officer worklist: every dossier of an agency subtree, with what is due when."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, ClassVar

from domain.dossier_events import DossierEvent, Lodged
from domain.dossier_state import DossierState
from domain.dossier_status import OPEN, DossierStatus
from domain.values import AgencyCode
from domain.visibility import officer_sees
from projections.base import Projection, key_of, local_iso, utc
from projections.dossier_rows import DossierRows, Row, Stored, units_text
from projections.ports import ReadStore, Sql

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
    "involved_agencies",
    "cross_boundary",
    "cross_province",
    "cross_code",
    "source_province",
    "source_code",
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
    involved_agencies: tuple[str, ...] = ()
    """Every unit the dossier has been with since reception."""
    cross_boundary: int | None = None
    """R-17 state 1–4 while (or after) another province handles it."""
    cross_province: str | None = None
    cross_code: str | None = None
    """Its code in that province."""
    source_province: str | None = None
    """A child of another province's dossier: that province and its code."""
    source_code: str | None = None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> WorkItem:
        values = dict(zip(_COLUMNS, row, strict=True))
        values.pop("updated_at")
        values["status"] = DossierStatus(values["status"])
        values["reappointed"] = bool(values["reappointed"])
        values["late_without_apology"] = bool(values["late_without_apology"])
        values["involved_agencies"] = tuple(
            unit for unit in values["involved_agencies"].split(",") if unit
        )
        for key in ("submitted_at", "received_at", "due_at", "finished_at"):
            values[key] = local_iso(values[key])
        return cls(**values)

    def seen_by_unit(self, agency_code: str) -> bool:
        """The domain's visibility rule over the folded parties of this row."""
        return officer_sees(
            agency_code,
            competent_agency=self.competent_agency,
            receiving_agency=self.receiving_agency,
            units=(self.holder_agency, *self.involved_agencies),
        )


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


def _columns(state: DossierState, stored: Stored) -> dict[str, Any]:
    """The row's lifecycle columns: what the domain's fold says, nothing decided here."""
    holder = state.holder
    return {
        "code": state.code,
        "competent_agency": state.competent_agency,
        "receiving_agency": state.receiving_agency,
        "holder_agency": holder.agency_code,
        "holder_department": holder.department,
        "status": stored["status"],
        "national_code": state.national_code,
        "channel": stored["channel"],
        "submitted_at": stored["submitted_at"],
        "received_at": stored["received_at"],
        "due_at": stored["due_at"],
        "finished_at": stored["finished_at"],
        "supplement_requests": state.supplement_requests,
        "timeliness": stored["timeliness"],
        "version": state.version,
        "updated_at": stored["updated_at"],
        "reappointed": int(state.reappointed),
        "late_without_apology": int(state.late_without_apology),
        "involved_agencies": units_text(state.involved_agencies),
        "cross_boundary": state.across_state.value if state.across_state else None,
        "cross_province": state.across_province,
        "cross_code": state.across_code,
        "source_province": state.source_province,
        "source_code": state.source_code,
    }


def _units(row: Row) -> Iterable[str | None]:
    """Change keys: every unit whose worklist may show the row (the columns
    ``open_for`` matches), so the pages of their scopes can be dropped."""
    yield row.get("holder_agency")
    yield row.get("competent_agency")
    yield row.get("receiving_agency")
    yield from (row.get("involved_agencies") or "").split(",")


class WorklistProjection(Projection):
    name = "worklist"
    version = 4
    reads_actors = False  # states and applicants: never who acted
    tables: ClassVar[dict[str, str]] = {
        "dossiers": "dossier_id TEXT PRIMARY KEY, code TEXT, applicant_id TEXT NOT NULL, "
        "applicant_name TEXT NOT NULL, procedure_code TEXT NOT NULL, "
        "procedure_name TEXT NOT NULL, competent_agency TEXT NOT NULL, "
        "receiving_agency TEXT, holder_agency TEXT NOT NULL, holder_department TEXT, "
        "status TEXT NOT NULL, national_code INTEGER NOT NULL, channel TEXT NOT NULL, "
        "submitted_at TEXT, received_at TEXT, due_at TEXT, finished_at TEXT, "
        "supplement_requests INTEGER NOT NULL, timeliness TEXT, version BIGINT NOT NULL, "
        "updated_at TEXT NOT NULL, reappointed INTEGER NOT NULL, "
        "late_without_apology INTEGER NOT NULL, involved_agencies TEXT NOT NULL, "
        "cross_boundary INTEGER, cross_province TEXT, cross_code TEXT, "
        "source_province TEXT, source_code TEXT, state TEXT NOT NULL",
    }
    indexes = (
        ("dossiers", "code"),
        ("dossiers", "holder_agency, status"),
        ("dossiers", "status, due_at"),
    )

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.folded = DossierRows(
            self.table("dossiers"),
            _COLUMNS,
            _columns,
            conflict="dossier_id",
            keys_of=_units,
            changed=self.changed,
        )

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not change the worklist."""

    @apply.register
    def lodged(self, event: Lodged, sql: Sql) -> None:
        self.folded.lodge(
            event,
            key_of(event.originator_id),
            applicant_id=event.applicant.id,
            applicant_name=event.applicant.name,
            procedure_code=event.procedure.code,
            procedure_name=event.procedure.name,
        )

    @apply.register
    def dossier_event(self, event: DossierEvent, sql: Sql) -> None:
        self.folded.fold(event, key_of(event.originator_id))

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        self.folded.begin(sql, originators)

    def load_batch(self, sql: Sql, originators: set[str]) -> Callable[[], None]:
        return self.folded.load(sql, originators)

    def end_batch(self, sql: Sql) -> None:
        self.folded.flush(sql)


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
        """Open dossiers ``agency``'s subtree sees: it is competent for, received,
        holds or held them (``domain.visibility``).

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
        # The domain's visibility rule (``WorkItem.seen_by_unit``) in SQL: any
        # unit of the subtree competent for, receiving, holding or involved in it.
        where = (
            f"status IN ({', '.join('?' for _ in statuses)}) "
            "AND (holder_agency LIKE ? OR competent_agency LIKE ? "
            "OR receiving_agency LIKE ? OR involved_agencies LIKE ?)"
        )
        params: tuple[Any, ...] = (
            *statuses,
            pattern,
            pattern,
            pattern,
            units_text([pattern]).join("%%"),
        )
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
