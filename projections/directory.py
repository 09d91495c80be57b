"""Agency directory over time: every lifecycle change of every unit, as rows.

Questions are answered by the pure folds of ``domain.directory``:
the structure as of a day, the successor of a unit today, and the mapping
from historical units to today's successors that monitoring uses.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import singledispatchmethod
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic

from domain.agency import Agency, business_day
from domain.directory import (
    UnitAsOf,
    UnitChange,
    structure_as_of,
    successor_map,
    successors,
)
from domain.values import LegalAct
from projections.base import Projection, key_of
from projections.ports import ReadStore, Sql

_VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
_EVENTS = (
    Agency.Registered,
    Agency.Renamed,
    Agency.Reparented,
    Agency.CodeChanged,
    Agency.MergedInto,
    Agency.Split,
    Agency.Dissolved,
)
_COLUMNS = (
    "agency_id",
    "sequence",
    "code",
    "kind",
    "effective_on",
    "name",
    "level",
    "parent",
    "successors",
    "procedure_successors",
    "legal_act",
)


def _act(act: LegalAct | None) -> str | None:
    return str(act) if act is not None else None


class DirectoryProjection(Projection):
    name = "directory"
    topics = frozenset(get_topic(e) for e in _EVENTS)
    tables: ClassVar[dict[str, str]] = {
        "changes": "agency_id TEXT NOT NULL, sequence BIGINT NOT NULL, "
        "code TEXT NOT NULL, kind TEXT NOT NULL, effective_on TEXT NOT NULL, "
        "name TEXT, level TEXT, parent TEXT, successors TEXT NOT NULL, "
        "procedure_successors TEXT NOT NULL, legal_act TEXT, "
        "PRIMARY KEY (agency_id, sequence)",
    }
    indexes = (("changes", "code"),)

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not change the directory."""

    @apply.register
    def registered(self, event: Agency.Registered, sql: Sql) -> None:
        parent = event.parent_code or (
            event.code.parent.value if event.code.parent else None
        )
        self._row(
            event,
            sql,
            event.code.value,
            "Registered",
            business_day(event.trace, event.effective_on),
            name=event.name,
            level=event.level.value,
            parent=parent,
            legal_act=_act(event.legal_act),
        )

    @apply.register
    def renamed(self, event: Agency.Renamed, sql: Sql) -> None:
        self._row(
            event,
            sql,
            None,
            "Renamed",
            business_day(event.trace, event.effective_on),
            name=event.name,
            legal_act=_act(event.legal_act),
        )

    @apply.register
    def reparented(self, event: Agency.Reparented, sql: Sql) -> None:
        self._row(
            event,
            sql,
            None,
            "Reparented",
            event.effective_on,
            parent=event.parent_code,
            legal_act=_act(event.legal_act),
        )

    @apply.register
    def ended(self, event: Agency.Ended, sql: Sql) -> None:
        per_procedure = (
            sorted(event.procedure_successors.items())
            if isinstance(event, Agency.Split)
            else []
        )
        self._row(
            event,
            sql,
            None,
            type(event).__name__,
            event.effective_on,
            successors=list(event.successors),
            procedure_successors=per_procedure,
            legal_act=_act(event.legal_act),
        )

    def _row(
        self,
        event: Any,
        sql: Sql,
        code: str | None,
        kind: str,
        effective_on: date,
        *,
        name: str | None = None,
        level: str | None = None,
        parent: str | None = None,
        successors: list[str] | None = None,
        procedure_successors: list[tuple[str, str]] | None = None,
        legal_act: str | None = None,
    ) -> None:
        table = self.table("changes")
        agency_id = key_of(event.originator_id)
        if code is None:
            found = sql.query(
                f"SELECT code FROM {table} WHERE agency_id = ? AND kind = 'Registered'",
                (agency_id,),
            )
            if not found:
                return
            code = str(found[0][0])
        sql.execute(
            f"DELETE FROM {table} WHERE agency_id = ? AND sequence = ?",
            (agency_id, event.originator_version),
        )
        sql.execute(
            f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                agency_id,
                event.originator_version,
                code,
                kind,
                effective_on.isoformat(),
                name,
                level,
                parent,
                json.dumps(successors or []),
                json.dumps(procedure_successors or []),
                legal_act,
            ),
        )


class DirectoryView:
    """The directory's questions, answered from the read model.

    For monitoring (figures per unit across the 2025 reorganisation):
    ``successor_map()`` maps every unit ever recorded (old Kon Tum codes
    included) to the units carrying it on today; sum a historical unit's
    figures into those successors for "today's structure", or group by the
    recorded unit itself for "the structure of the time". A split unit maps
    to several successors: pass ``procedure`` to ``successors_of`` to pick
    the one that took over a procedure.
    """

    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.table = DirectoryProjection().table("changes")

    def changes(self) -> list[UnitChange]:
        rows = self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM {self.table} "
            "ORDER BY effective_on, code, sequence"
        )
        return [
            UnitChange(
                code=r[2],
                kind=r[3],
                effective_on=date.fromisoformat(r[4]),
                sequence=int(r[1]),
                name=r[5],
                level=r[6],
                parent=r[7],
                successors=tuple(json.loads(r[8])),
                procedure_successors=tuple(
                    (str(p), str(u)) for p, u in json.loads(r[9])
                ),
                legal_act=r[10],
            )
            for r in rows
        ]

    def structure_as_of(self, day: date) -> list[UnitAsOf]:
        units = structure_as_of(self.changes(), day)
        return [units[code] for code in sorted(units)]

    def successors_of(
        self, code: str, *, day: date | None = None, procedure: str | None = None
    ) -> tuple[str, ...]:
        return successors(self.changes(), code, day or _today(), procedure)

    def successor_map(self, day: date | None = None) -> dict[str, tuple[str, ...]]:
        """Historical unit → its living successors on ``day`` (default today)."""
        return successor_map(self.changes(), day or _today())

    def history(self, code: str) -> list[UnitChange]:
        return [c for c in self.changes() if c.code == code]


def _today() -> date:
    return datetime.now(_VIETNAM).date()
