"""Public procedure catalogue and agency directory."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import singledispatchmethod
from typing import Any, ClassVar

from domain.agency import Agency
from domain.procedure import Procedure, ProcedureDefinition
from projections.base import Projection, key_of
from projections.ports import ReadStore, Sql


def fold(text: str) -> str:
    """Lower-case, without Vietnamese diacritics: 'Đăng ký' → 'dang ky'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'`` (SQLite and PostgreSQL)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name: str
    field_code: str
    agency_code: str
    agency_name: str | None
    time_limit_unit: str
    time_limit_amount: str
    components: list[dict[str, Any]]
    results: list[dict[str, Any]]
    fees: list[dict[str, Any]]
    online_level: str
    version: int


@dataclass(frozen=True)
class AgencyEntry:
    code: str
    name: str
    level: str
    parent_code: str | None


AGENCY_NAMES = "agencies"
"""Change key of a batch that registered or renamed an agency (citizen
pages show agency names)."""


class CatalogueProjection(Projection):
    name = "catalogue"
    tables: ClassVar[dict[str, str]] = {
        "agencies": "code TEXT PRIMARY KEY, agency_id TEXT NOT NULL, name TEXT NOT NULL, "
        "level TEXT NOT NULL, parent_code TEXT",
        "departments": "agency_id TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, "
        "PRIMARY KEY (agency_id, code)",
        "procedures": "code TEXT PRIMARY KEY, name TEXT NOT NULL, search_text TEXT NOT NULL, "
        "field_code TEXT NOT NULL, agency_code TEXT NOT NULL, time_limit_unit TEXT NOT NULL, "
        "time_limit_amount TEXT NOT NULL, components TEXT NOT NULL, results TEXT NOT NULL, "
        "fees TEXT NOT NULL, online_level TEXT NOT NULL, version BIGINT NOT NULL",
    }

    @singledispatchmethod
    def apply(self, event: object, sql: Sql) -> None:
        """Other events do not change the catalogue."""

    @apply.register
    def registered(self, event: Agency.Registered, sql: Sql) -> None:
        parent = event.code.parent
        sql.execute(
            f"INSERT INTO {self.table('agencies')} VALUES (?, ?, ?, ?, ?)",
            (
                event.code.value,
                key_of(event.originator_id),
                event.name,
                event.level.value,
                parent.value if parent else None,
            ),
        )
        self.changed.add(AGENCY_NAMES)

    @apply.register
    def renamed(self, event: Agency.Renamed, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.table('agencies')} SET name = ? WHERE agency_id = ?",
            (event.name, key_of(event.originator_id)),
        )
        self.changed.add(AGENCY_NAMES)

    @apply.register
    def department_added(self, event: Agency.DepartmentAdded, sql: Sql) -> None:
        table = self.table("departments")
        sql.execute(
            f"DELETE FROM {table} WHERE agency_id = ? AND code = ?",
            (key_of(event.originator_id), event.department_code),
        )
        sql.execute(
            f"INSERT INTO {table} VALUES (?, ?, ?)",
            (key_of(event.originator_id), event.department_code, event.name),
        )

    @apply.register
    def published(self, event: Procedure.Published, sql: Sql) -> None:
        self._store(event.definition, event.originator_version, sql)

    @apply.register
    def revised(self, event: Procedure.Revised, sql: Sql) -> None:
        sql.execute(
            f"DELETE FROM {self.table('procedures')} WHERE code = ?",
            (event.definition.code,),
        )
        self._store(event.definition, event.originator_version, sql)

    def _store(self, d: ProcedureDefinition, version: int, sql: Sql) -> None:
        components = [
            {
                "code": c.code,
                "name": c.name,
                "documentTypeCode": c.document_type_code,
                "scope": c.scope.value,
                "mandatory": c.mandatory,
            }
            for c in d.components
        ]
        results = [{"resultCode": r.result_code, "name": r.name} for r in d.results]
        fees = [
            {"code": f.code, "name": f.name, "amount": str(f.amount)} for f in d.fees
        ]
        sql.execute(
            f"INSERT INTO {self.table('procedures')} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                d.code,
                d.name,
                fold(f"{d.code} {d.name} {d.field_code}"),
                d.field_code,
                d.competent_agency.value,
                d.time_limit.unit.value,
                str(d.time_limit.amount),
                json.dumps(components, ensure_ascii=False),
                json.dumps(results, ensure_ascii=False),
                json.dumps(fees, ensure_ascii=False),
                d.online_level.value,
                version,
            ),
        )


class CatalogueView:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        self.projection = CatalogueProjection()

    def search(
        self, text: str = "", *, agency_code: str | None = None, limit: int = 50
    ) -> list[CatalogueEntry]:
        procedures = self.projection.table("procedures")
        agencies = self.projection.table("agencies")
        where, params = ["1 = 1"], []
        for word in fold(text).split():
            # The searcher's % and _ are letters to find, not wildcards.
            where.append("p.search_text LIKE ? ESCAPE '\\'")
            params.append(f"%{like_literal(word)}%")
        if agency_code:
            where.append("p.agency_code = ?")
            params.append(agency_code)
        rows = self.store.query(
            f"SELECT p.code, p.name, p.field_code, p.agency_code, a.name, p.time_limit_unit, "
            f"p.time_limit_amount, p.components, p.results, p.fees, p.online_level, p.version "
            f"FROM {procedures} p LEFT JOIN {agencies} a ON a.code = p.agency_code "
            f"WHERE {' AND '.join(where)} ORDER BY p.code LIMIT ?",
            (*params, limit),
        )
        return [
            CatalogueEntry(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                json.loads(r[7]),
                json.loads(r[8]),
                json.loads(r[9]),
                r[10],
                int(r[11]),
            )
            for r in rows
        ]

    def agencies(self) -> list[AgencyEntry]:
        rows = self.store.query(
            f"SELECT code, name, level, parent_code FROM {self.projection.table('agencies')} "
            "ORDER BY code"
        )
        return [AgencyEntry(*row) for row in rows]

    def agency_names(self) -> dict[str, str]:
        return {a.code: a.name for a in self.agencies()}
