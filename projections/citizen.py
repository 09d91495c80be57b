"""Citizen view: an owner's dossiers with department-level steps.

Results stay in a separate hidden table until the dossier is returned, so the
citizen read model cannot show a result early (R-25).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache, singledispatchmethod
from typing import Any, ClassVar

from domain.cross_province import (
    AcceptedByProvince,
    ForwardedToProvince,
    RefusedByProvince,
    ResultReturnedByProvince,
)
from domain.dossier_events import (
    DossierEvent,
    FinancialObligationPaid,
    FinancialObligationRequested,
    Forwarded,
    Lodged,
    Reappointed,
    Received,
    Refused,
    Resolved,
    Returned,
    Stopped,
    SupplementReceived,
    SupplementRequested,
    TransferredToSuccessor,
    Withdrawn,
)
from domain.dossier_state import DossierState
from domain.dossier_status import DossierStatus
from projections.base import Projection, key_of, local_iso, local_time, utc
from projections.dossier_rows import DossierRows, Row, Stored
from projections.ports import ReadStore, Sql
from projections.rows import GroupFold
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


def _columns(state: DossierState, stored: Stored) -> dict[str, Any]:
    """The row's lifecycle columns: what the domain's fold says."""
    holder = state.holder
    return {
        "code": state.code,
        "channel": stored["channel"],
        "status": stored["status"],
        "national_code": state.national_code,
        "agency_code": holder.agency_code,
        "department": holder.department,
        "submitted_at": stored["submitted_at"],
        "received_at": stored["received_at"],
        "due_at": stored["due_at"],
        "finished_at": stored["finished_at"],
        "returned_at": stored["returned_at"],
        "return_method": stored["return_method"],
        "satisfaction": stored["satisfaction"],
        "version": state.version,
    }


def _owner(row: Row) -> Iterable[str | None]:
    """Change key: the owner, whose pages show the row (every event of a
    dossier folds its row, so its steps, fees and results are covered)."""
    yield row.get("owner_id")


class CitizenProjection(Projection):
    name = "citizen"
    version = 3
    reads_actors = False  # states, steps, fees, results: never who acted
    tables: ClassVar[dict[str, str]] = {
        "dossiers": "dossier_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, code TEXT, "
        "procedure_code TEXT NOT NULL, procedure_name TEXT NOT NULL, channel TEXT NOT NULL, "
        "status TEXT NOT NULL, national_code INTEGER NOT NULL, agency_code TEXT NOT NULL, "
        "department TEXT, submitted_at TEXT, received_at TEXT, due_at TEXT, "
        "finished_at TEXT, returned_at TEXT, return_method TEXT, satisfaction TEXT, "
        "version BIGINT NOT NULL, state TEXT NOT NULL",
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
        self.folded = DossierRows(
            self.table("dossiers"),
            _DOSSIER_COLUMNS,
            _columns,
            conflict="dossier_id",
            keys_of=_owner,
            changed=self.changed,
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

    def _folds(self) -> tuple[DossierRows | GroupFold, ...]:
        return (self.folded, self.supplements, self.fees_folded, self.pending)

    def begin_batch(self, sql: Sql, originators: set[str]) -> None:
        self.load_batch(sql, originators)()

    def load_batch(self, sql: Sql, originators: set[str]) -> Callable[[], None]:
        finishers = [fold.load(sql, originators) for fold in self._folds()]

        def finish() -> None:
            for finisher in finishers:
                finisher()

        return finish

    def end_batch(self, sql: Sql) -> None:
        for fold in self._folds():
            fold.flush(sql)

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events are not shown to the citizen."""

    @apply.register
    def dossier_event(self, event: DossierEvent, sql: Sql) -> None:
        """Every event moves the folded state; steps are shown for some."""
        self.folded.fold(event, key_of(event.originator_id))
        if isinstance(event, _STEPS):
            self._step(event, sql)

    @apply.register
    def lodged(self, event: Lodged, sql: Sql) -> None:
        self.folded.lodge(
            event,
            key_of(event.originator_id),
            owner_id=event.applicant.id,
            procedure_code=event.procedure.code,
            procedure_name=event.procedure.name,
        )
        self._step(event, sql)

    @apply.register
    def supplement_requested(self, event: SupplementRequested, sql: Sql) -> None:
        self.folded.fold(event, key_of(event.originator_id))
        values = (
            key_of(event.originator_id),
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
        self.folded.fold(event, key_of(event.originator_id))
        for row in self.supplements.rows(key_of(event.originator_id)):
            if row["received_at"] is None:
                row["received_at"] = utc(event.trace.at)
                self.supplements.changed(row)
        self._step(event, sql)

    @apply.register
    def payment_requested(self, event: FinancialObligationRequested, sql: Sql) -> None:
        self.folded.fold(event, key_of(event.originator_id))
        lines = [(f.code, f.name, int(f.amount)) for f in event.fees]
        values = (
            key_of(event.originator_id),
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
        self.folded.fold(event, key_of(event.originator_id))
        for row in self.fees_folded.rows(key_of(event.originator_id)):
            if row["paid_at"] is None:
                row["paid_at"] = utc(event.trace.at)
                row["channel"] = event.channel.value
                self.fees_folded.changed(row)
        self._step(event, sql)

    @apply.register
    def resolved(self, event: Resolved, sql: Sql) -> None:
        self._with_results(event, sql)

    @apply.register
    def result_from_province(self, event: ResultReturnedByProvince, sql: Sql) -> None:
        """Another province's result (R-17): shown once this one returns it."""
        self._with_results(event, sql)

    def _with_results(
        self, event: Resolved | ResultReturnedByProvince, sql: Sql
    ) -> None:
        self.folded.fold(event, key_of(event.originator_id))
        for r in event.results:
            values = (
                key_of(event.originator_id),
                r.result_code,
                str(r.document_id),
                r.number_symbol,
            )
            self.pending.put(dict(zip(_RESULT_COLUMNS, values, strict=True)))
        self._step(event, sql)

    @apply.register
    def returned(self, event: Returned, sql: Sql) -> None:
        self.folded.fold(event, key_of(event.originator_id))
        for row in self.pending.rows(key_of(event.originator_id)):
            sql.append(
                f"INSERT INTO {self.table('results')} VALUES (?, ?, ?, ?)",
                tuple(row[c] for c in _RESULT_COLUMNS),
            )
        self._step(event, sql)

    def _step(self, event: DossierEvent, sql: Sql) -> None:
        """A line of the citizen's history; hand-overs name the unit now holding it."""
        key = key_of(event.originator_id)
        state = self.folded.state(key)
        holder = (
            state.holder
            if state is not None and isinstance(event, _HAND_OVERS)
            else None
        )
        vi, en = describe(event)
        sql.append(
            f"INSERT INTO {self.table('steps')} VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                event.originator_version,
                utc(event.trace.at),
                vi,
                en,
                holder.agency_code if holder else None,
                holder.department if holder else None,
            ),
        )


_STEPS = (
    Refused,
    Forwarded,
    Reappointed,
    Stopped,
    Withdrawn,
    Received,
    TransferredToSuccessor,
    ForwardedToProvince,
    AcceptedByProvince,
    RefusedByProvince,
)
"""Events shown as a step besides those with their own handler (a step each)."""
_HAND_OVERS = (
    Lodged,
    Received,
    Forwarded,
    TransferredToSuccessor,
    ForwardedToProvince,
    RefusedByProvince,
    ResultReturnedByProvince,
)


class CitizenView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.projection = CitizenProjection()

    def _dossiers(
        self, where: str, params: tuple[Any, ...], limit: int | None = None
    ) -> list[CitizenDossier]:
        page = "" if limit is None else f" LIMIT {max(0, int(limit))}"
        rows = self.store.query(
            f"SELECT {', '.join(_DOSSIER_COLUMNS)} FROM {self.projection.table('dossiers')} "
            f"WHERE {where} ORDER BY submitted_at DESC, dossier_id{page}",
            params,
        )
        return [_dossier(row) for row in rows]

    def dossiers_of(
        self, owner_id: str, limit: int | None = None
    ) -> list[CitizenDossier]:
        """Newest first; the first ``limit`` only (the database pages, so a
        citizen with many dossiers costs a page, not all of them)."""
        return self._dossiers("owner_id = ?", (owner_id,), limit)

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


_TIMES = frozenset(
    ("submitted_at", "received_at", "due_at", "finished_at", "returned_at")
)


@lru_cache(maxsize=8192)
def _stored_time(moment: str | None) -> datetime | None:
    """A row's stored time in Vietnam time. Memoised: the same rows are read
    again and again (a citizen's list, polled), and an aware datetime is
    immutable, so one converted value serves every reader."""
    return local_iso(moment)


_STATUS = _DOSSIER_COLUMNS.index("status")
_TIME_SPAN = slice(
    _DOSSIER_COLUMNS.index("submitted_at"), _DOSSIER_COLUMNS.index("returned_at") + 1
)
assert set(_DOSSIER_COLUMNS[_TIME_SPAN]) == _TIMES  # the five times are adjacent


def _dossier(row: tuple[Any, ...]) -> CitizenDossier:
    values = list(row)
    values[_STATUS] = DossierStatus(row[_STATUS])
    values[_TIME_SPAN] = map(_stored_time, row[_TIME_SPAN])
    return CitizenDossier(*values)
