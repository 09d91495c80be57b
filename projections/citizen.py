"""Citizen view: an owner's dossiers with department-level steps.

Results stay in a separate hidden table until the dossier is returned, so the
citizen read model cannot show a result early (R-25).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Any, ClassVar

from eventsourcing.utils import get_topic

from domain.dossier_events import (
    DossierEvent,
    FinancialObligationPaid,
    FinancialObligationRequested,
    Forwarded,
    Lodged,
    Rated,
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
from domain.dossier_status import DossierStatus
from projections.base import Projection, local_iso, local_time, utc
from projections.ports import ReadStore, Sql
from projections.rows import GroupFold, RowFold
from projections.timeline_text import describe

_DOSSIER_COLUMNS = (
    "dossier_id",
    "owner_id",
    "code",
    "procedure_code",
    "procedure_name",
    "channel",
    "status",
    "national_code",
    "agency_code",
    "department",
    "submitted_at",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
    "return_method",
    "satisfaction",
    "version",
)


_STORED = (*_DOSSIER_COLUMNS, "paused_from")
_SUPPLEMENT_COLUMNS = (
    "dossier_id",
    "version",
    "requested_at",
    "items",
    "reason",
    "received_at",
)
_FEE_COLUMNS = (
    "dossier_id",
    "version",
    "requested_at",
    "total",
    "lines",
    "paid_at",
    "channel",
)
_RESULT_COLUMNS = ("dossier_id", "result_code", "document_id", "number_symbol")


@dataclass(frozen=True)
class CitizenDossier:
    dossier_id: str
    owner_id: str
    code: str | None
    procedure_code: str
    procedure_name: str
    channel: str
    status: DossierStatus
    national_code: int
    agency_code: str
    department: str | None
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    return_method: str | None
    satisfaction: str | None
    version: int


@dataclass(frozen=True)
class CitizenStep:
    version: int
    at: datetime
    step_vi: str
    step_en: str
    agency_code: str | None
    department: str | None


@dataclass(frozen=True)
class CitizenSupplement:
    requested_at: datetime
    items: tuple[str, ...]
    reason: str
    received_at: datetime | None


@dataclass(frozen=True)
class CitizenFee:
    requested_at: datetime
    total: int
    lines: tuple[tuple[str, str, int], ...]
    paid_at: datetime | None
    channel: str | None


@dataclass(frozen=True)
class CitizenResult:
    result_code: str
    document_id: str
    number_symbol: str


_STEP_EVENTS = (
    SubmittedOnline,
    ReceivedAtDesk,
    Received,
    Refused,
    Forwarded,
    SupplementRequested,
    SupplementReceived,
    FinancialObligationRequested,
    FinancialObligationPaid,
    Reappointed,
    Stopped,
    Withdrawn,
    Resolved,
    Returned,
    Rated,
)


class CitizenProjection(Projection):
    name = "citizen"
    topics = frozenset(get_topic(e) for e in _STEP_EVENTS)
    tables: ClassVar[dict[str, str]] = {
        "dossiers": "dossier_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, code TEXT, "
        "procedure_code TEXT NOT NULL, procedure_name TEXT NOT NULL, channel TEXT NOT NULL, "
        "status TEXT NOT NULL, national_code INTEGER NOT NULL, agency_code TEXT NOT NULL, "
        "department TEXT, submitted_at TEXT, received_at TEXT, due_at TEXT, "
        "finished_at TEXT, returned_at TEXT, return_method TEXT, satisfaction TEXT, "
        "version BIGINT NOT NULL, paused_from TEXT",
        "steps": "dossier_id TEXT NOT NULL, version BIGINT NOT NULL, at TEXT NOT NULL, "
        "step_vi TEXT NOT NULL, step_en TEXT NOT NULL, agency_code TEXT, department TEXT, "
        "PRIMARY KEY (dossier_id, version)",
        "supplements": "dossier_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "requested_at TEXT NOT NULL, items TEXT NOT NULL, reason TEXT NOT NULL, "
        "received_at TEXT, PRIMARY KEY (dossier_id, version)",
        "fees": "dossier_id TEXT NOT NULL, version BIGINT NOT NULL, "
        "requested_at TEXT NOT NULL, total BIGINT NOT NULL, lines TEXT NOT NULL, "
        "paid_at TEXT, channel TEXT, PRIMARY KEY (dossier_id, version)",
        "pending_results": "dossier_id TEXT NOT NULL, result_code TEXT NOT NULL, "
        "document_id TEXT NOT NULL, number_symbol TEXT NOT NULL, "
        "PRIMARY KEY (dossier_id, document_id)",
        "results": "dossier_id TEXT NOT NULL, result_code TEXT NOT NULL, "
        "document_id TEXT NOT NULL, number_symbol TEXT NOT NULL, "
        "PRIMARY KEY (dossier_id, document_id)",
    }
    indexes = (("dossiers", "owner_id"), ("dossiers", "code"))

    def __init__(self, suffix: str = "") -> None:
        super().__init__(suffix)
        self.folded = RowFold(
            self.table("dossiers"), "dossier_id", _STORED, conflict="dossier_id"
        )
        pair = ("dossier_id", "version")
        self.supplements = GroupFold(
            self.table("supplements"), "dossier_id", pair, _SUPPLEMENT_COLUMNS
        )
        self.fees_folded = GroupFold(
            self.table("fees"), "dossier_id", pair, _FEE_COLUMNS
        )
        self.pending = GroupFold(
            self.table("pending_results"),
            "dossier_id",
            ("dossier_id", "document_id"),
            _RESULT_COLUMNS,
        )

    def _folds(self) -> tuple[RowFold | GroupFold, ...]:
        return (self.folded, self.supplements, self.fees_folded, self.pending)

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        for fold in self._folds():
            fold.begin(sql, originators)

    def end_batch(self, sql: Sql) -> None:
        for fold in self._folds():
            fold.flush(sql)

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events are not shown to the citizen."""

    @apply.register
    def lodged(self, event: Lodged, sql: Sql) -> None:
        received = isinstance(event, ReceivedAtDesk)
        status = DossierStatus.RECEIVED if received else DossierStatus.SUBMITTED
        competent = event.procedure.competent_agency
        agency = (
            event.receiving_agency if isinstance(event, ReceivedAtDesk) else competent
        )
        row = (
            str(event.originator_id),
            event.applicant.id,
            event.code if isinstance(event, ReceivedAtDesk) else None,
            event.procedure.code,
            event.procedure.name,
            event.channel.value,
            status.value,
            status.national_code,
            agency,
            None,
            utc(event.trace.at),
            utc(event.trace.at) if received else None,
            utc(event.due_at) if isinstance(event, ReceivedAtDesk) else None,
            None,
            None,
            None,
            None,
            event.originator_version,
        )
        self.folded.put(dict(zip(_STORED, (*row, None), strict=True)))
        self._step(event, sql, agency)

    @apply.register
    def received(self, event: Received, sql: Sql) -> None:
        self._update(
            event,
            sql,
            DossierStatus.RECEIVED,
            code=event.code,
            agency_code=event.receiving_agency,
            received_at=utc(event.trace.at),
            due_at=utc(event.due_at),
        )
        self._step(event, sql, event.receiving_agency)

    @apply.register
    def forwarded(self, event: Forwarded, sql: Sql) -> None:
        to = event.to_holder
        self._update(
            event,
            sql,
            DossierStatus.IN_PROGRESS,
            agency_code=to.agency_code,
            department=to.department,
        )
        self._step(event, sql, to.agency_code, to.department)

    @apply.register
    def supplement_requested(self, event: SupplementRequested, sql: Sql) -> None:
        self._update(event, sql, DossierStatus.AWAITING_SUPPLEMENT, pause=True)
        values = (
            str(event.originator_id),
            event.originator_version,
            utc(event.trace.at),
            json.dumps(list(event.items)),
            event.reason,
            None,
        )
        self.supplements.put(dict(zip(_SUPPLEMENT_COLUMNS, values, strict=True)))
        self._step(event, sql)

    @apply.register
    def supplement_received(self, event: SupplementReceived, sql: Sql) -> None:
        for row in self.supplements.rows(str(event.originator_id)):
            if row["received_at"] is None:
                row["received_at"] = utc(event.trace.at)
                self.supplements.changed(row)
        self._resume(event, sql, event.due_at)

    @apply.register
    def payment_requested(self, event: FinancialObligationRequested, sql: Sql) -> None:
        self._update(event, sql, DossierStatus.AWAITING_PAYMENT, pause=True)
        lines = [(f.code, f.name, int(f.amount)) for f in event.fees]
        values = (
            str(event.originator_id),
            event.originator_version,
            utc(event.trace.at),
            sum(line[2] for line in lines),
            json.dumps(lines, ensure_ascii=False),
            None,
            None,
        )
        self.fees_folded.put(dict(zip(_FEE_COLUMNS, values, strict=True)))
        self._step(event, sql)

    @apply.register
    def payment_made(self, event: FinancialObligationPaid, sql: Sql) -> None:
        for row in self.fees_folded.rows(str(event.originator_id)):
            if row["paid_at"] is None:
                row["paid_at"] = utc(event.trace.at)
                row["channel"] = event.channel.value
                self.fees_folded.changed(row)
        self._resume(event, sql, event.due_at)

    @apply.register
    def reappointed(self, event: Reappointed, sql: Sql) -> None:
        self._update(event, sql, None, due_at=utc(event.due_at))
        self._step(event, sql)

    @apply.register
    def refused(self, event: Refused, sql: Sql) -> None:
        self._finish(event, sql, DossierStatus.REFUSED)

    @apply.register
    def stopped(self, event: Stopped, sql: Sql) -> None:
        self._finish(event, sql, DossierStatus.STOPPED)

    @apply.register
    def withdrawn(self, event: Withdrawn, sql: Sql) -> None:
        self._finish(event, sql, DossierStatus.WITHDRAWN)

    @apply.register
    def resolved(self, event: Resolved, sql: Sql) -> None:
        self._finish(event, sql, DossierStatus.RESOLVED)
        for r in event.results:
            values = (
                str(event.originator_id),
                r.result_code,
                str(r.document_id),
                r.number_symbol,
            )
            self.pending.put(dict(zip(_RESULT_COLUMNS, values, strict=True)))

    @apply.register
    def returned(self, event: Returned, sql: Sql) -> None:
        self._update(
            event,
            sql,
            DossierStatus.RETURNED,
            returned_at=utc(event.trace.at),
            return_method=event.method.value,
        )
        for row in self.pending.rows(str(event.originator_id)):
            sql.append(
                f"INSERT INTO {self.table('results')} VALUES (?, ?, ?, ?)",
                tuple(row[c] for c in _RESULT_COLUMNS),
            )
        self._step(event, sql)

    @apply.register
    def rated(self, event: Rated, sql: Sql) -> None:
        self._update(event, sql, None, satisfaction=event.satisfaction.value)

    # -- writes --------------------------------------------------------------

    def _update(
        self,
        event: DossierEvent,
        sql: Sql,
        status: DossierStatus | None,
        *,
        pause: bool = False,
        **values: Any,
    ) -> None:
        key = str(event.originator_id)
        row = self.folded.get(key)
        if row is None:
            return
        if pause:
            row["paused_from"] = row["status"]
        row["version"] = event.originator_version
        if status is not None:
            row["status"] = status.value
            row["national_code"] = status.national_code
        row.update(values)
        self.folded.changed(key)

    def _resume(self, event: DossierEvent, sql: Sql, due_at: datetime | None) -> None:
        row = self.folded.get(str(event.originator_id))
        if row is not None:
            resumed = DossierStatus(
                row["paused_from"] or DossierStatus.IN_PROGRESS.value
            )
            row["paused_from"] = None
            self._update(event, sql, resumed, due_at=utc(due_at))
        self._step(event, sql)

    def _finish(self, event: DossierEvent, sql: Sql, status: DossierStatus) -> None:
        self._update(event, sql, status, finished_at=utc(event.trace.at))
        self._step(event, sql)

    def _step(
        self,
        event: DossierEvent,
        sql: Sql,
        agency: str | None = None,
        department: str | None = None,
    ) -> None:
        vi, en = describe(event)
        sql.append(
            f"INSERT INTO {self.table('steps')} VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.originator_id),
                event.originator_version,
                utc(event.trace.at),
                vi,
                en,
                agency,
                department,
            ),
        )


class CitizenView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.projection = CitizenProjection()

    def _dossiers(self, where: str, params: tuple[Any, ...]) -> list[CitizenDossier]:
        rows = self.store.query(
            f"SELECT {', '.join(_DOSSIER_COLUMNS)} FROM {self.projection.table('dossiers')} "
            f"WHERE {where} ORDER BY submitted_at DESC, dossier_id",
            params,
        )
        return [_dossier(row) for row in rows]

    def dossiers_of(self, owner_id: str) -> list[CitizenDossier]:
        return self._dossiers("owner_id = ?", (owner_id,))

    def dossier(self, owner_id: str, code: str) -> CitizenDossier | None:
        found = self._dossiers("owner_id = ? AND code = ?", (owner_id, code))
        return found[0] if found else None

    def steps(self, dossier_id: str) -> list[CitizenStep]:
        rows = self.store.query(
            f"SELECT version, at, step_vi, step_en, agency_code, department FROM "
            f"{self.projection.table('steps')} WHERE dossier_id = ? ORDER BY version",
            (dossier_id,),
        )
        return [
            CitizenStep(r[0], local_time(r[1]), r[2], r[3], r[4], r[5]) for r in rows
        ]

    def supplements(self, dossier_id: str) -> list[CitizenSupplement]:
        rows = self.store.query(
            f"SELECT requested_at, items, reason, received_at FROM "
            f"{self.projection.table('supplements')} WHERE dossier_id = ? ORDER BY version",
            (dossier_id,),
        )
        return [
            CitizenSupplement(
                local_time(r[0]), tuple(json.loads(r[1])), r[2], local_iso(r[3])
            )
            for r in rows
        ]

    def fees(self, dossier_id: str) -> list[CitizenFee]:
        rows = self.store.query(
            f"SELECT requested_at, total, lines, paid_at, channel FROM "
            f"{self.projection.table('fees')} WHERE dossier_id = ? ORDER BY version",
            (dossier_id,),
        )
        return [
            CitizenFee(
                local_time(r[0]),
                int(r[1]),
                tuple(tuple(line) for line in json.loads(r[2])),
                local_iso(r[3]),
                r[4],
            )
            for r in rows
        ]

    def results(self, dossier_id: str) -> list[CitizenResult]:
        rows = self.store.query(
            f"SELECT result_code, document_id, number_symbol FROM "
            f"{self.projection.table('results')} WHERE dossier_id = ? ORDER BY result_code",
            (dossier_id,),
        )
        return [CitizenResult(*row) for row in rows]


def _dossier(row: tuple[Any, ...]) -> CitizenDossier:
    values = dict(zip(_DOSSIER_COLUMNS, row, strict=True))
    values["status"] = DossierStatus(values["status"])
    for key in ("submitted_at", "received_at", "due_at", "finished_at", "returned_at"):
        values[key] = local_iso(values[key])
    return CitizenDossier(**values)
